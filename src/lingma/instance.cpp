// Instance: supervision loop, JSON-RPC over the WebSocket, chat-turn routing; see instance.hpp.
#include "lingma/instance.hpp"

#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "lingma/frame_codec.hpp"
#include "lingma/instance_core.hpp"
#include "lingma/jsonrpc.hpp"
#include "obs/log.hpp"

namespace lingma {
namespace asio = boost::asio;
namespace json = boost::json;
using std::chrono::milliseconds;

InstanceCore::InstanceCore(asio::any_io_executor executor_in, InstanceOptions options_in,
                           obs::Logger& logger_in)
    : executor(executor_in),
      options(std::move(options_in)),
      logger(logger_in),
      random(std::random_device{}() ^ (static_cast<std::uint64_t>(getpid()) << 32) ^
             static_cast<std::uint64_t>(options.index)),
      wake(executor_in) {}

void InstanceCore::SetState(InstanceState next) {
  if (state == next) return;
  state = next;
  logger.Info("instance.state", {{"instance", options.index},
                                 {"state", ToString(next)},
                                 {"pid", lingma_pid},
                                 {"port", port}});
  if (on_state_change) on_state_change(next);
}

void InstanceCore::SetError(std::string message) {
  logger.Warn("instance.error", {{"instance", options.index}, {"error", message}});
  last_error = std::move(message);
}

asio::awaitable<void> InstanceCore::Sleep(milliseconds duration) {
  if (closing) co_return;
  wake.expires_after(duration);
  co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
}

// --- supervision -------------------------------------------------------------------------------

asio::awaitable<void> InstanceCore::Supervise() {
  auto self = shared_from_this();  // keeps the core alive while the loop runs
  supervising = true;
  int failures = 0;
  bool ever_ready = false;
  while (!closing) {
    if (failures >= options.failures_before_failed) {
      SetState(InstanceState::kFailed);  // still retrying, at the backoff's pace
    } else {
      SetState(ever_ready ? InstanceState::kReconnecting : InstanceState::kStarting);
    }
    auto established = co_await Establish();
    if (closing) {
      if (established) (*established)->Close();
      break;
    }
    if (!established) {
      SetError(established.error().message);
      co_await StopProcesses();
      ++failures;
      std::uniform_real_distribution<double> unit(0.0, 1.0);
      const auto delay = BackoffDelay(options.backoff, failures - 1, unit(random));
      logger.Info("instance.retry", {{"instance", options.index},
                                     {"attempt", failures},
                                     {"delay_ms", static_cast<std::int64_t>(delay.count())}});
      co_await Sleep(delay);
      continue;
    }
    connection = *established;
    asio::co_spawn(executor, ReadLoop(connection), asio::detached);
    auto ready = co_await Handshake();
    if (closing) break;
    if (!ready) {
      SetError(ready.error().message);
      auto failed = std::move(connection);  // so the reader does not cut the backoff short
      connection.reset();
      failed->Close();
      FailEverything(MakeError(ErrorKind::kDisconnected, "Lingma handshake failed"));
      co_await StopProcesses();
      ++failures;
      std::uniform_real_distribution<double> unit(0.0, 1.0);
      co_await Sleep(BackoffDelay(options.backoff, failures - 1, unit(random)));
      continue;
    }
    if (ever_ready) ++restarts;
    ever_ready = true;
    failures = 0;
    last_error.clear();
    SetState(InstanceState::kReady);
    if (options.heartbeat_interval.count() > 0) {
      asio::co_spawn(executor, Heartbeat(connection), asio::detached);
    }
    // Wait until the reader sees the connection end.
    while (!closing && connection && connection->is_open()) {
      co_await Sleep(milliseconds(1000 * 3600));
    }
    if (closing) break;
    SetError("connection to Lingma lost");
    FailEverything(MakeError(ErrorKind::kDisconnected, "the connection to Lingma was lost"));
    connection.reset();
    // A Lingma we spawned is replaced as a whole: its state is unknown after a broken connection.
    co_await StopProcesses();
  }
  supervising = false;
}

asio::awaitable<Result<bool>> InstanceCore::Handshake() {
  const std::string root_uri = "file://" + options.work_dir.string();
  json::object params{
      {"processId", static_cast<std::int64_t>(getpid())},
      {"clientInfo", {{"name", "lingma-gateway"}, {"version", options.client_version}}},
      {"rootUri", root_uri},
      {"workspaceFolders", json::array{json::object{{"uri", root_uri}, {"name", "workspace"}}}},
      {"capabilities", {{"workspace", {{"workspaceFolders", true}, {"configuration", true}}}}},
      {"ideSeries", "JetBrains"},
      {"idePlatform", "lingma-gateway"},
      {"ideVersion", options.client_version},
      {"pluginVersion", options.client_version},
      {"allowStatistics", false},
  };
  auto init = co_await Call("initialize", rpc::RequestParams::Of(params), options.rpc_timeout);
  if (!init) co_return Error{init.error().kind, "initialize: " + init.error().message};
  // Lingma answers `initialized` with "unknown method" in its log; harmless, and LSP expects it.
  if (connection) {
    std::string frame;
    AppendFrame(frame, rpc::Notification("initialized", json::object{}));
    connection->Send(frame);
  }
  auto status = co_await Call("auth/status", rpc::RequestParams::Json("{}"), options.rpc_timeout);
  if (!status) co_return Error{status.error().kind, "auth/status: " + status.error().message};
  auth = ParseAuthStatus(*status);
  logger.Info("instance.auth", {{"instance", options.index}, {"auth", auth.describe()}});
  co_return true;
}

asio::awaitable<void> InstanceCore::ReadLoop(std::shared_ptr<net::WsConnection> conn) {
  auto self = shared_from_this();
  FrameDecoder decoder;
  std::string_view message;  // inside the connection, until the next Read
  std::string_view body;     // inside the decoder, until the next Feed
  while (true) {
    auto ec = co_await conn->Read(message);
    if (ec) {
      if (!closing)
        logger.Info("instance.disconnected",
                    {{"instance", options.index}, {"reason", ec.message()}});
      break;
    }
    decoder.Feed(message);
    FrameDecoder::Status status;
    while ((status = decoder.Next(body)) == FrameDecoder::Status::kFrame) HandleMessage(body);
    if (status == FrameDecoder::Status::kError) {
      SetError("Lingma sent a malformed frame: " + decoder.error());
      break;
    }
  }
  conn->Close();
  if (connection == conn) {
    // Not ready from this moment: the pool must not hand this instance a turn meanwhile.
    if (!closing) SetState(InstanceState::kReconnecting);
    FailEverything(MakeError(ErrorKind::kDisconnected, "the connection to Lingma was lost"));
    wake.cancel();  // the supervisor notices the closed connection
  }
}

void InstanceCore::HandleMessage(std::string_view body) {
  // The parsed message lives only for this call, so an arena on the stack holds it: parsing a
  // push costs no heap allocation and dropping it costs nothing. What outlives the call (a
  // response's result) is copied out.
  alignas(std::max_align_t) unsigned char arena_buffer[8192];
  json::monotonic_resource arena(arena_buffer, sizeof arena_buffer);
  Inbound inbound = ClassifyInbound(body, &arena);
  if (inbound.reply && connection) {
    reply_body.clear();
    rpc::AppendReply(reply_body, inbound.message.id, *inbound.reply);
    reply_frame.clear();
    AppendFrame(reply_frame, reply_body);
    connection->Send(reply_frame, net::WsConnection::Urgency::kBatch);
  }
  switch (inbound.action) {
    case Inbound::Action::kResponse: {
      auto id = rpc::IntId(inbound.message.id);
      if (!id) return;
      if (!rpc.Take(*id)) return;  // late (timed out) or a response to a fire-and-forget request
      auto it = waiters.find(*id);
      if (it == waiters.end()) return;
      auto waiter = it->second;
      waiters.erase(it);
      if (inbound.message.error) {
        waiter->result = Error{ErrorKind::kRejected, inbound.message.error->message};
      } else {
        waiter->result = json::value(inbound.message.result, json::storage_ptr());
      }
      waiter->timer.cancel();
      return;
    }
    case Inbound::Action::kChatPush: {
      auto& routed = *inbound.push;
      const std::string_view request_id = View(routed.request_id);
      const std::optional<RequestKey> key = ParseRequestKey(request_id);
      if (!key) return;  // not an id we make: another client's turn
      auto it = turns.find(*key);
      if (it == turns.end()) return;  // a turn we stopped, or another client's
      auto turn = it->second;
      if (std::holds_alternative<StepPush>(routed.push)) return;
      ChatEvent event = std::visit(
          [](auto&& push) -> ChatEvent {
            using T = std::decay_t<decltype(push)>;
            if constexpr (std::is_same_v<T, StepPush>) {
              return AnswerPush{};
            } else {
              return std::move(push);
            }
          },
          std::move(routed.push));
      const bool is_finish = std::holds_alternative<FinishPush>(event);
      if (!is_finish && turn->take_now && turn->events.consumer_idle() &&
          OfferDirectly(*turn, event)) {
        return;
      }
      if (!turn->events.Push(std::move(event), /*bounded=*/turn->consumer_started)) {
        turn->end_error =
            Error{ErrorKind::kOverloaded,
                  "the client is reading the answer too slowly; the turn was cut off"};
        turn->events.Close();
        turns.erase(it);
        SendAndForget("chat/stop", json::object{{"requestId", request_id}});
        logger.Warn("turn.cut_off", {{"instance", options.index},
                                     {"lingma_request_id", request_id},
                                     {"buffered_pushes", options.turn_buffer}});
        return;
      }
      if (is_finish) {
        turn->finished = true;
        turn->events.Close();
        turns.erase(it);
      }
      return;
    }
    case Inbound::Action::kServerRequest:
    case Inbound::Action::kServerNotification:
      if (inbound.message.method == "auth/report") {
        auth = ParseAuthStatus(inbound.message.params);
        logger.Info("instance.auth", {{"instance", options.index}, {"auth", auth.describe()}});
      }
      return;
    case Inbound::Action::kInvalid:
      logger.Debug("instance.invalid_message",
                   {{"instance", options.index}, {"reason", inbound.message.invalid_reason}});
      return;
  }
}

bool InstanceCore::OfferDirectly(ChatTurn::State& turn, ChatEvent& event) {
  // On the reader's stack: an exception here would end the reader, and with it every turn of
  // this instance. The turn's own loop gets the push instead (and whatever it throws is its own).
  try {
    return turn.take_now(event);
  } catch (const std::exception& e) {
    turn.take_now = nullptr;
    logger.Error("turn.offer_failed", {{"instance", options.index}, {"reason", e.what()}});
    return false;
  }
}

void InstanceCore::FailEverything(const Error& error) {
  for (auto& pending : rpc.TakeAll()) {
    auto it = waiters.find(pending.id);
    if (it == waiters.end()) continue;
    it->second->result = error;
    it->second->timer.cancel();
  }
  waiters.clear();
  for (auto& [id, turn] : turns) {
    turn->end_error = error;
    turn->events.Close();
  }
  turns.clear();
}

asio::awaitable<void> InstanceCore::Heartbeat(std::shared_ptr<net::WsConnection> conn) {
  auto self = shared_from_this();
  asio::steady_timer timer(executor);
  while (!closing && conn->is_open() && connection == conn) {
    timer.expires_after(options.heartbeat_interval);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (closing || !conn->is_open() || connection != conn) break;
    auto pong = co_await Call("ping", rpc::RequestParams::Json("{}"), options.rpc_timeout);
    if (!pong && pong.error().kind == ErrorKind::kTimeout && connection == conn) {
      SetError("Lingma did not answer ping within the RPC timeout");
      conn->Close();  // the reader ends, the supervisor reconnects
      break;
    }
  }
}

// --- RPC ---------------------------------------------------------------------------------------

asio::awaitable<Result<json::value>> InstanceCore::Call(std::string method,
                                                        rpc::RequestParams params,
                                                        milliseconds timeout) {
  auto self = shared_from_this();
  if (!connection || !connection->is_open()) {
    co_return Error{ErrorKind::kNotReady,
                    "Lingma is not connected (" + std::string(ToString(state)) + ")"};
  }
  if (timeout.count() <= 0) timeout = options.rpc_timeout;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::int64_t id = rpc.Add(method, deadline);
  auto waiter = std::make_shared<CallWaiter>(executor);
  waiters.emplace(id, waiter);
  bool sent = false;
  {  // the request's text (a chat/ask holds the whole prompt) is not kept during the wait
    // Framed where the params were written, and taken by the connection without a copy when
    // nothing else waits to be sent: a large prompt costs no intermediate body or frame buffers.
    rpc::FramedBytes frame = rpc::FrameRequest(id, method, std::move(params));
    sent = connection->SendOwned(std::move(frame.bytes), frame.from);
  }
  if (!sent) {
    rpc.Take(id);
    waiters.erase(id);
    co_return Error{ErrorKind::kDisconnected, "could not send " + method + " to Lingma"};
  }
  waiter->timer.expires_at(deadline);
  co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (waiter->result) co_return std::move(*waiter->result);
  // Deadline passed: forget the request so a late response is ignored.
  rpc.Take(id);
  waiters.erase(id);
  co_return Error{ErrorKind::kTimeout, method + " got no answer from Lingma within " +
                                           std::to_string(timeout.count()) + " ms"};
}

void InstanceCore::SendAndForget(std::string_view method, const json::value& params) {
  if (!connection || !connection->is_open()) return;
  const std::int64_t id =
      rpc.Add(std::string(method), std::chrono::steady_clock::now() + options.rpc_timeout);
  rpc.Take(id);  // nobody waits: the response is dropped as unknown
  rpc::FramedBytes frame = rpc::FrameRequest(id, method, rpc::RequestParams::Of(params));
  // No one waits for it, so it leaves with the writer's next message rather than at once: a turn
  // that ends (its session deleted) must not take the send that the next turn's chat/ask, often
  // made in the same turn of the event loop, would have had (see WsConnection::Send).
  connection->SendOwned(std::move(frame.bytes), frame.from, net::WsConnection::Urgency::kBatch);
}

// --- ChatTurn ----------------------------------------------------------------------------------

ChatTurn::ChatTurn(std::weak_ptr<InstanceCore> core, std::shared_ptr<State> state,
                   std::string request_id, std::string session_id)
    : core_(std::move(core)),
      state_(std::move(state)),
      request_id_(std::move(request_id)),
      session_id_(std::move(session_id)) {}

ChatTurn::~ChatTurn() { Cancel(); }

void ChatTurn::Cancel() {
  state_->take_now = nullptr;
  if (state_->finished) return;
  state_->finished = true;
  state_->end_error = Error{ErrorKind::kCancelled, "the turn was cancelled"};
  state_->events.Close();
  if (auto core = core_.lock()) {
    const std::optional<RequestKey> key = ParseRequestKey(request_id_);
    auto it = key ? core->turns.find(*key) : core->turns.end();
    if (it != core->turns.end() && it->second == state_) {
      core->turns.erase(it);
      core->SendAndForget("chat/stop",
                          json::object{{"requestId", request_id_}, {"sessionId", session_id_}});
    }
  }
}

std::size_t ChatTurn::ready() const { return state_->events.size(); }

void ChatTurn::OfferDirectly(TakeNow take) { state_->take_now = std::move(take); }

asio::awaitable<Result<ChatEvent>> ChatTurn::Next(milliseconds idle_timeout) {
  state_->consumer_started = true;
  ChatEvent event;
  const auto status = co_await state_->events.Pop(event, idle_timeout);
  switch (status) {
    case net::AsyncQueue<ChatEvent>::PopStatus::kItem:
      co_return event;
    case net::AsyncQueue<ChatEvent>::PopStatus::kTimeout:
      co_return Error{ErrorKind::kTimeout,
                      "Lingma sent nothing for " + std::to_string(idle_timeout.count()) + " ms"};
    case net::AsyncQueue<ChatEvent>::PopStatus::kClosed:
      break;
  }
  co_return state_->end_error.value_or(
      Error{ErrorKind::kProtocol, "the turn ended without chat/finish"});
}

// --- Instance ----------------------------------------------------------------------------------

Instance::Instance(asio::any_io_executor executor, InstanceOptions options, obs::Logger& logger)
    : core_(std::make_shared<InstanceCore>(executor, std::move(options), logger)) {}

Instance::~Instance() {
  core_->closing = true;
  core_->wake.cancel();
  if (core_->connection) core_->connection->Close();
  core_->child.reset();  // SIGKILL + reap if still running
}

void Instance::Start() {
  if (core_->supervising || core_->closing) return;
  asio::co_spawn(core_->executor, core_->Supervise(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
}

asio::awaitable<void> Instance::Stop() {
  auto core = core_;
  core->closing = true;
  core->wake.cancel();
  if (core->connection) core->connection->Close();
  core->FailEverything(MakeError(ErrorKind::kCancelled, "the gateway is shutting down"));
  // The supervisor notices `closing` after its current step (bounded by its own deadlines).
  for (int i = 0; i < 500 && core->supervising; ++i) {
    co_await net::SleepFor(core->executor, milliseconds(10));
  }
  co_await core->StopProcesses();
  core->SetState(InstanceState::kClosed);
}

InstanceState Instance::state() const { return core_->state; }

InstanceSnapshot Instance::Snapshot() const {
  InstanceSnapshot s;
  s.index = core_->options.index;
  s.state = core_->state;
  s.pid = core_->lingma_pid;
  s.port = core_->port;
  s.last_error = core_->last_error;
  s.auth = core_->auth;
  s.restarts = core_->restarts;
  s.active_turns = core_->turns.size();
  return s;
}

std::size_t Instance::unread_bytes() const {
  return core_->connection ? core_->connection->unread_bytes() : 0;
}

void Instance::OnStateChange(std::function<void(InstanceState)> callback) {
  core_->on_state_change = std::move(callback);
}

asio::awaitable<Result<json::value>> Instance::Call(std::string method, json::value params,
                                                    milliseconds timeout) {
  auto core = core_;
  auto result = co_await core->Call(std::move(method), rpc::RequestParams::Of(params), timeout);
  co_return result;
}

void Instance::SendAndForget(std::string_view method, const json::value& params) {
  core_->SendAndForget(method, params);
}

asio::awaitable<Result<std::unique_ptr<ChatTurn>>> Instance::StartChat(ChatAsk ask) {
  auto core = core_;
  if (core->state != InstanceState::kReady) {
    co_return Error{ErrorKind::kNotReady,
                    "Lingma instance " + std::to_string(core->options.index) + " is " +
                        ToString(core->state) +
                        (core->last_error.empty() ? "" : ": " + core->last_error)};
  }
  const std::optional<RequestKey> key = ParseRequestKey(ask.request_id);
  if (!key) {
    co_return Error{ErrorKind::kRejected,
                    "chat/ask needs a request id of 32 characters (NewRequestId), not '" +
                        ask.request_id + "'"};
  }
  auto state = std::make_shared<ChatTurn::State>(core->executor, core->options.turn_buffer);
  // Registered before sending: pushes may overtake the chat/ask response.
  core->turns[*key] = state;
  auto turn = std::make_unique<ChatTurn>(core, state, ask.request_id, ask.session_id);
  rpc::RequestParams params;
  AppendChatAskParams(params.out(), ask);
  auto response = co_await core->Call("chat/ask", std::move(params), core->options.rpc_timeout);
  if (!response) {
    co_return response.error();  // ~ChatTurn stops whatever Lingma may have started
  }
  auto ack = ParseChatAskResult(*response);
  if (!ack.accepted) {
    state->finished = true;  // nothing runs upstream: no chat/stop
    core->turns.erase(*key);
    co_return Error{ErrorKind::kRejected, "Lingma rejected chat/ask: " + ack.error};
  }
  co_return turn;
}

}  // namespace lingma
