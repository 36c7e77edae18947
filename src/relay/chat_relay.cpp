// ChatRelay: one chat turn from neutral request to neutral events; see chat_relay.hpp.
#include "relay/chat_relay.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include "chat/answer_assembler.hpp"
#include "chat/prompt.hpp"
#include "chat/usage.hpp"
#include "obs/log.hpp"

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

asio::awaitable<void> DeleteSession(lingma::Instance* instance, std::string session_id) {
  // Built outside the co_await expression: GCC 12 rejects initializer lists inside it.
  boost::json::object params;
  params["sessionId"] = std::move(session_id);
  co_await instance->Call("chat/deleteSessionById", std::move(params));
}

}  // namespace

ChatRelay::ChatRelay(std::vector<lingma::Instance*> instances, RelayOptions options,
                     obs::Logger& logger)
    : instances_(std::move(instances)),
      options_(std::move(options)),
      logger_(logger),
      random_(std::random_device{}()) {}

lingma::Instance* ChatRelay::PickInstance() const {
  lingma::Instance* best = nullptr;
  std::size_t best_load = 0;
  for (auto* instance : instances_) {
    const auto snap = instance->Snapshot();
    if (snap.state != lingma::InstanceState::kReady || !snap.auth.logged_in) continue;
    if (!best || snap.active_turns < best_load) {
      best = instance;
      best_load = snap.active_turns;
    }
  }
  return best;
}

chat::Failure ChatRelay::Unavailable() const {
  bool logged_out = false;
  std::string last_error;
  for (auto* instance : instances_) {
    const auto snap = instance->Snapshot();
    logged_out |= snap.state == lingma::InstanceState::kReady && !snap.auth.logged_in;
    if (last_error.empty()) last_error = snap.last_error;
  }
  if (logged_out) {
    return {503, "service_unavailable", "lingma_not_logged_in",
            "Lingma is not logged in. Sign in to Lingma (open the Lingma IDE plugin, or call the "
            "gateway's login flow) for the gateway's work dir, then retry."};
  }
  return {503, "service_unavailable", "lingma_unavailable",
          "No Lingma instance is ready" + (last_error.empty() ? std::string(".") : ": " + last_error) +
              " Retry shortly; GET /ready shows the instances' states."};
}

namespace {

// Turns the assembler's output into events for the sink. (Free functions, not lambdas: GCC 12
// miscompiles lambda coroutines that take parameters by value.)
asio::awaitable<bool> Emit(AnswerSink& sink, chat::AnswerAssembler::Output& out,
                           TurnReport& report, Clock::time_point started, bool& first_token) {
  if (first_token && (!out.reasoning.empty() || !out.content.empty())) {
    report.time_to_first_token =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
    first_token = false;
  }
  if (!out.reasoning.empty()) {
    chat::ChatEvent event = chat::ReasoningDelta{std::move(out.reasoning)};
    if (!co_await sink.OnEvent(event)) co_return false;
  }
  if (!out.content.empty()) {
    chat::ChatEvent event = chat::ContentDelta{std::move(out.content)};
    if (!co_await sink.OnEvent(event)) co_return false;
  }
  co_return true;
}

asio::awaitable<TurnReport> Fail(AnswerSink& sink, TurnReport report, const chat::Failure& failure) {
  report.outcome = failure.code.empty() ? failure.type : failure.code;
  report.http_status = failure.http_status;
  chat::ChatEvent event = failure;
  co_await sink.OnEvent(event);
  co_return report;
}

TurnReport ClientGone(TurnReport report) {
  report.outcome = "client_gone";
  report.http_status = 499;
  return report;
}

}  // namespace

asio::awaitable<TurnReport> ChatRelay::Run(const chat::ChatRequest& request, std::string model_key,
                                           AnswerSink& sink) {
  TurnReport report;
  const auto started = Clock::now();

  lingma::Instance* instance = PickInstance();
  if (!instance) {
    const chat::Failure failure = Unavailable();
    co_return co_await Fail(sink, report, failure);
  }
  report.instance = instance->Snapshot().index;

  const chat::Prompt prompt = chat::BuildPrompt(request.messages);
  report.prompt_bytes = prompt.text.size();
  lingma::ChatAsk ask;
  ask.request_id = lingma::NewRequestId(random_(), random_());
  // A fresh upstream session per request: the prompt carries the whole conversation.
  ask.session_id = lingma::NewSessionId(random_(), random_());
  ask.question = prompt.text;
  ask.model_key = std::move(model_key);
  ask.mode = options_.ask_mode;

  auto turn_or = co_await instance->StartChat(ask);
  if (!turn_or) {
    const chat::Failure failure = FailureFrom(turn_or.error());
    co_return co_await Fail(sink, report, failure);
  }
  std::unique_ptr<lingma::ChatTurn> turn = std::move(*turn_or);

  chat::AnswerAssembler assembler;
  bool filtered = false;
  bool first_token = true;
  auto last_push = Clock::now();
  const milliseconds wait =
      options_.silence_interval.count() > 0
          ? std::min(options_.silence_interval, options_.idle_timeout)
          : options_.idle_timeout;
  std::string session_used = ask.session_id;

  while (true) {
    if (sink.client_gone()) {
      turn->Cancel();
      co_return ClientGone(report);
    }
    auto event = co_await turn->Next(wait);
    if (!event) {
      if (event.error().kind == lingma::ErrorKind::kTimeout) {
        if (Clock::now() - last_push >= options_.idle_timeout) {
          turn->Cancel();
          const chat::Failure failure{504, "timeout", "upstream_timeout",
                                      "Lingma sent nothing for " +
                                          std::to_string(options_.idle_timeout.count() / 1000) +
                                          " s; the turn was stopped"};
          co_return co_await Fail(sink, report, failure);
        }
        if (!co_await sink.OnSilence()) {
          turn->Cancel();
          co_return ClientGone(report);
        }
        continue;
      }
      const chat::Failure failure = FailureFrom(event.error());
      co_return co_await Fail(sink, report, failure);
    }
    last_push = Clock::now();
    chat::AnswerAssembler::Output out;
    if (auto* answer = std::get_if<lingma::AnswerPush>(&*event)) {
      filtered |= answer->filtered;
      out = assembler.OnAnswer(answer->text, answer->overwrite);
    } else if (auto* think = std::get_if<lingma::ThinkPush>(&*event)) {
      out = assembler.OnThink(think->text);
    } else if (auto* finish = std::get_if<lingma::FinishPush>(&*event)) {
      if (!finish->session_id.empty()) session_used = finish->session_id;
      out = assembler.OnFinish(finish->full_answer);
      const bool more = co_await Emit(sink, out, report, started, first_token);
      const auto outcome = lingma::MapFinish(*finish, filtered);
      // The fresh session has served its purpose; delete it upstream (best effort).
      auto executor = co_await asio::this_coro::executor;
      asio::co_spawn(executor, DeleteSession(instance, session_used), asio::detached);
      if (!more) co_return ClientGone(report);
      if (!outcome.ok) {
        const chat::Failure failure{outcome.http_status, outcome.error_type, outcome.error_code,
                                    outcome.message};
        co_return co_await Fail(sink, report, failure);
      }
      report.usage = chat::EstimateUsage(prompt.text, request.messages.size(),
                                         assembler.content(), assembler.reasoning());
      report.outcome = outcome.finish_reason == "stop" ? "ok" : outcome.finish_reason;
      chat::ChatEvent done = chat::Finish{outcome.finish_reason, report.usage};
      co_await sink.OnEvent(done);
      co_return report;
    }
    if (!co_await Emit(sink, out, report, started, first_token)) {
      turn->Cancel();
      co_return ClientGone(report);
    }
  }
}

}  // namespace relay
