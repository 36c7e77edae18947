// ChatRelay: one chat turn from neutral request to neutral events; see chat_relay.hpp.
#include "relay/chat_relay.hpp"

#include <boost/json.hpp>

#include "chat/prompt.hpp"
#include "chat/silence_clock.hpp"
#include "chat/usage.hpp"
#include "obs/log.hpp"
#include "relay/answer_flow.hpp"

namespace relay {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

chat::Failure FailureFrom(const lingma::Error& error) {
  using lingma::ErrorKind;
  switch (error.kind) {
    case ErrorKind::kNotReady:
      return {503, "service_unavailable", "lingma_unavailable", error.message};
    case ErrorKind::kTimeout:
      return {504, "timeout", "upstream_timeout", error.message};
    case ErrorKind::kOverloaded:
      return {503, "service_unavailable", "overloaded", error.message};
    case ErrorKind::kCancelled:
      return {499, "cancelled", "cancelled", error.message};
    case ErrorKind::kRejected:
    case ErrorKind::kDisconnected:
    case ErrorKind::kProtocol:
    case ErrorKind::kStartup:
      break;
  }
  return {502, "upstream_error", "upstream_error", "Lingma failed: " + error.message};
}

// Every failure is built inside a coroutine that lives only while it is sent. GCC gives each
// local and each temporary of a coroutine its own slot in the frame for the coroutine's whole
// life, so a Failure built in Attempt would cost every open stream its bytes, failed or not.
// (Named and passed by reference: GCC 12 frees a braced aggregate temporary passed by value to a
// coroutine in a co_await expression, such as Failure{...}, wrongly.)
asio::awaitable<void> Fail(AnswerSink& sink, TurnReport& report, const chat::Failure& failure) {
  report.outcome = failure.code.empty() ? failure.type : failure.code;
  report.http_status = failure.http_status;
  chat::ChatEvent event = failure;
  co_await sink.OnEvent(event);
}

asio::awaitable<void> FailOn(AnswerSink& sink, TurnReport& report, const lingma::Error& error) {
  const chat::Failure failure = FailureFrom(error);
  co_await Fail(sink, report, failure);
}

asio::awaitable<void> FailSilent(AnswerSink& sink, TurnReport& report,
                                 std::chrono::milliseconds idle_timeout) {
  const chat::Failure failure{504, "timeout", "upstream_timeout",
                              "Lingma sent nothing for " +
                                  std::to_string(idle_timeout.count() / 1000) +
                                  " s; the turn was stopped"};
  co_await Fail(sink, report, failure);
}

asio::awaitable<void> FailFinish(AnswerSink& sink, TurnReport& report,
                                 const lingma::TurnOutcome& outcome) {
  const chat::Failure failure{outcome.http_status, outcome.error_type, outcome.error_code,
                              outcome.message};
  co_await Fail(sink, report, failure);
}

void MarkClientGone(TurnReport& report) {
  report.outcome = "client_gone";
  report.http_status = 499;
}

}  // namespace

ChatRelay::ChatRelay(lingma::Pool& pool, chat::SessionCache& cache, RelayOptions options,
                     obs::Logger& logger)
    : pool_(pool),
      cache_(cache),
      options_(std::move(options)),
      logger_(logger),
      random_(std::random_device{}()) {}

chat::Failure ChatRelay::Unavailable() const {
  bool logged_out = false;
  std::string last_error;
  for (auto* instance : pool_.instances()) {
    const auto snap = instance->Snapshot();
    logged_out |= snap.state == lingma::InstanceState::kReady && !snap.auth.logged_in;
    if (last_error.empty()) last_error = snap.last_error;
  }
  if (logged_out) {
    return {503, "service_unavailable", "lingma_not_logged_in",
            "Lingma is not logged in. An operator can get a login URL with `curl -X POST "
            "http://127.0.0.1:<port>/internal/login` on the gateway's host, open it in a browser "
            "and sign in with the Alibaba Cloud account; then retry."};
  }
  return {503, "service_unavailable", "lingma_unavailable",
          "No Lingma instance is ready" +
              (last_error.empty() ? std::string(".") : ": " + last_error + ".") +
              " Retry shortly; GET /ready shows the instances' states."};
}

void ChatRelay::DeleteSessions(const std::vector<chat::UpstreamSession>& sessions) {
  for (const auto& s : sessions) {
    // A session of an instance that restarted died with the old process: nothing to delete.
    auto generation = pool_.Generation(s.instance);
    if (!generation || *generation != s.instance_generation) continue;
    pool_.instances()[static_cast<std::size_t>(s.instance)]->SendAndForget(
        "chat/deleteSessionById", boost::json::object{{"sessionId", s.session_id}});
  }
}

asio::awaitable<void> ChatRelay::Run(const chat::ChatRequest& request, std::string_view scope,
                                     const std::string& model_key, AnswerSink& sink,
                                     TurnReport& report) {
  report = TurnReport{};
  const auto started = Clock::now();
  // An instance that dies before the client saw a byte costs nothing visible: the turn is tried
  // again elsewhere with the full transcript. Bounded, so a crashing Lingma cannot loop a request.
  constexpr int kMaxAttempts = 2;
  for (int attempt = 1;; ++attempt) {
    const AttemptResult result =
        co_await Attempt(request, scope, model_key, sink, report, started, attempt < kMaxAttempts);
    if (result == AttemptResult::kDone) break;
    logger_.Warn("relay.retry", {{"instance", report.instance}, {"attempt", attempt}});
  }
}

asio::awaitable<ChatRelay::AttemptResult> ChatRelay::Attempt(
    const chat::ChatRequest& request, std::string_view scope, const std::string& model_key,
    AnswerSink& sink, TurnReport& report, Clock::time_point started, bool may_retry) {
  // 1. Which upstream session continues this conversation, if any.
  chat::SessionLookup lookup =
      cache_.Begin(scope, request, [this](int index) { return pool_.Generation(index); });
  DeleteSessions(lookup.abandoned);
  report.session = lookup.outcome;
  report.session_reason = lookup.reason;
  std::optional<int> preferred;
  if (lookup.session) preferred = lookup.session->instance;

  // 2. A turn slot: on the session's instance for a hit, else the least busy one.
  auto lease = co_await pool_.Acquire(preferred);
  if (!lease) {
    DeleteSessions(cache_.Abort(lookup.ticket, std::nullopt));
    if (lease.error().kind == lingma::ErrorKind::kNotReady) {
      co_await FailUnavailable(sink, report);
    } else {
      co_await FailOn(sink, report, lease.error());
    }
    co_return AttemptResult::kDone;
  }
  lingma::Instance* instance = lease->instance();
  report.instance = lease->index();
  const bool hit = lookup.session && lookup.session->instance == lease->index();
  if (lookup.session && !hit) {
    // Cannot happen with a sticky pool, but never append to a session on the wrong instance.
    report.session = chat::SessionOutcome::kMiss;
  }
  sink.OnStart(TurnStart{report.session, report.instance});

  // 3. The prompt: only the new message(s) on a hit, else the whole conversation.
  const chat::Prompt prompt =
      hit ? chat::BuildReplyPrompt(request.messages) : chat::BuildPrompt(request.messages);
  report.prompt_bytes = prompt.text.size();
  const std::uint64_t generation = pool_.Generation(lease->index()).value_or(0);
  chat::UpstreamSession used{
      hit ? lookup.session->session_id : lingma::NewSessionId(random_(), random_()), lease->index(),
      generation};

  if (sink.client_gone()) {
    DeleteSessions(cache_.Abort(lookup.ticket, std::nullopt));
    MarkClientGone(report);
    co_return AttemptResult::kDone;
  }
  auto turn_or = co_await StartTurn(*instance, prompt.text, used.session_id, hit, model_key);
  if (!turn_or) {
    DeleteSessions(cache_.Abort(lookup.ticket, used));
    const auto kind = turn_or.error().kind;
    if (may_retry &&
        (kind == lingma::ErrorKind::kDisconnected || kind == lingma::ErrorKind::kNotReady)) {
      co_return AttemptResult::kRetry;
    }
    co_await FailOn(sink, report, turn_or.error());
    co_return AttemptResult::kDone;
  }
  std::unique_ptr<lingma::ChatTurn> turn = std::move(*turn_or);

  // 4. The answer. Deltas that arrive while the loop waits go straight to the sink when it can
  // take them; the loop wakes for the rest (the first token, the finish, errors, silence, a
  // client that reads too slowly).
  AnswerFlow flow(sink, report, started);
  turn->OfferDirectly([&flow](lingma::ChatEvent& event) { return flow.TakeNow(event); });
  // A client that leaves stops the turn at once: chat/stop upstream, and Next() wakes up.
  lingma::ChatTurn* turn_ptr = turn.get();
  sink.OnClientGone([turn_ptr] { turn_ptr->Cancel(); });
  struct Unhook {  // before `flow` and `turn` go
    AnswerSink& sink;
    lingma::ChatTurn& turn;
    ~Unhook() {
      sink.OnClientGone(nullptr);
      turn.OfferDirectly(nullptr);
    }
  } unhook{sink, *turn};

  chat::SilenceClock silence(options_.silence_interval, options_.idle_timeout);
  while (true) {
    if (sink.client_gone()) {
      turn->Cancel();
      DeleteSessions(cache_.Abort(lookup.ticket, used));
      MarkClientGone(report);
      co_return AttemptResult::kDone;
    }
    // Lingma's last push may have gone straight to the sink: the clock reads it from the flow.
    auto event = co_await turn->Next(silence.WaitFrom(Clock::now(), flow.last_push()));
    if (!event && (event.error().kind == lingma::ErrorKind::kCancelled || sink.client_gone())) {
      turn->Cancel();
      DeleteSessions(cache_.Abort(lookup.ticket, used));
      MarkClientGone(report);
      co_return AttemptResult::kDone;
    }
    if (!event) {
      if (event.error().kind == lingma::ErrorKind::kTimeout) {
        const auto action = silence.OnTimeout(Clock::now(), flow.last_push());
        if (action == chat::SilenceClock::Action::kWaitMore) continue;
        if (action == chat::SilenceClock::Action::kKeepAlive) {
          flow.NoteKeepAlive();
          const bool client_listening = co_await sink.OnSilence();
          if (client_listening) continue;
          turn->Cancel();
          DeleteSessions(cache_.Abort(lookup.ticket, used));
          MarkClientGone(report);
          co_return AttemptResult::kDone;
        }
        turn->Cancel();
        DeleteSessions(cache_.Abort(lookup.ticket, used));
        co_await FailSilent(sink, report, options_.idle_timeout);
        co_return AttemptResult::kDone;
      }
      DeleteSessions(cache_.Abort(lookup.ticket, used));
      if (may_retry && !flow.client_saw_output() &&
          event.error().kind == lingma::ErrorKind::kDisconnected) {
        co_return AttemptResult::kRetry;
      }
      co_await FailOn(sink, report, event.error());
      co_return AttemptResult::kDone;
    }
    const auto* finish = std::get_if<lingma::FinishPush>(&*event);
    if (finish && !finish->session_id.empty()) used.session_id = finish->session_id;
    const bool more = co_await flow.Take(*event, turn->ready() > 0);
    if (!more) {
      if (!finish) turn->Cancel();
      DeleteSessions(cache_.Abort(lookup.ticket, used));
      MarkClientGone(report);
      co_return AttemptResult::kDone;
    }
    if (!finish) continue;
    co_await Conclude(request, *finish, flow, prompt.text, lookup.ticket, used, sink, report);
    co_return AttemptResult::kDone;
  }
}

// 5. The end of the turn: remember the session for the next turn, or give it up. The answer the
// client ends up with: a stream holds what was streamed, a whole response the final text.
asio::awaitable<void> ChatRelay::Conclude(const chat::ChatRequest& request,
                                          const lingma::FinishPush& finish, AnswerFlow& flow,
                                          std::string_view prompt_text, std::uint64_t ticket,
                                          const chat::UpstreamSession& used, AnswerSink& sink,
                                          TurnReport& report) {
  const auto outcome = lingma::MapFinish(finish, flow.filtered());
  const chat::AnswerAssembler& assembler = flow.assembler();
  chat::AnswerAssembler::Output complete = assembler.Complete();
  const std::string& client_answer = request.stream ? assembler.content() : complete.content;
  // The cache is settled before the client hears the end (its next turn may come at once);
  // the upstream sessions it gives up are deleted after, so the client does not wait for that.
  std::vector<chat::UpstreamSession> given_up;
  if (!outcome.ok || outcome.finish_reason != "stop") {
    given_up = cache_.Abort(ticket, used);
  } else if (report.session == chat::SessionOutcome::kOff) {
    cache_.Abort(ticket, std::nullopt);
    given_up.push_back(used);
  } else {
    given_up = cache_.Commit(ticket, used, client_answer);
  }
  if (!outcome.ok) {
    co_await FailFinish(sink, report, outcome);
    DeleteSessions(given_up);
    co_return;
  }
  report.usage = chat::EstimateUsage(prompt_text, request.messages.size(), assembler.content(),
                                     assembler.reasoning());
  report.outcome = outcome.finish_reason == "stop" ? "ok" : outcome.finish_reason;
  chat::ChatEvent done = chat::Finish{outcome.finish_reason, report.usage,
                                      std::move(complete.content), std::move(complete.reasoning)};
  co_await sink.OnEvent(done);
  DeleteSessions(given_up);
}

asio::awaitable<lingma::Result<std::unique_ptr<lingma::ChatTurn>>> ChatRelay::StartTurn(
    lingma::Instance& instance, std::string_view question, const std::string& session_id,
    bool is_reply, const std::string& model_key) {
  lingma::ChatAsk ask;
  ask.request_id = lingma::NewRequestId(random_(), random_());
  ask.session_id = session_id;
  ask.is_reply = is_reply;
  ask.question = question;  // a view: the caller's prompt outlives StartChat
  ask.model_key = model_key;
  ask.mode = options_.ask_mode;
  auto turn = co_await instance.StartChat(std::move(ask));
  co_return turn;
}

asio::awaitable<void> ChatRelay::FailUnavailable(AnswerSink& sink, TurnReport& report) const {
  const chat::Failure failure = Unavailable();
  co_await Fail(sink, report, failure);
}

}  // namespace relay
