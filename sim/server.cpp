// The sim's network side; see server.hpp. Everything runs on one io_context thread, so the
// shared state (sessions, turns, stats) needs no locks; each chat turn is a coroutine with one
// timer, not a thread.
#include "sim/server.hpp"

#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <list>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "lingma/frame_codec.hpp"
#include "sim/answer.hpp"
#include "sim/ask_log.hpp"
#include "sim/chunker.hpp"
#include "sim/control_file.hpp"
#include "sim/files.hpp"
#include "sim/pacing.hpp"
#include "sim/pushes.hpp"
#include "sim/rpc.hpp"
#include "sim/script.hpp"
#include "sim/sessions.hpp"
#include "sim/stats.hpp"
#include "sim/stream_plan.hpp"
#include "sim/utf8.hpp"
#include "text/utf8.hpp"

namespace sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr int kCrashExitCode = 3;
// Push requests remembered per connection for matching responses; a client that never answers
// must not grow memory without bound.
constexpr std::size_t kMaxPendingPushes = 1 << 16;
// A turn stops producing while its connection has more than this much unsent output (slow
// reader); the connection's writer wakes it once the output is taken (Connection::WaitForWriter).
constexpr std::size_t kBackpressureBytes = 4 << 20;
constexpr std::size_t kMaxMessageBytes = 64 << 20;
// The largest message --coalesce-frames builds from several frames.
constexpr std::size_t kCoalescedMessageBytes = 64 << 10;

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Log(std::string_view message) {
  std::string line = "lingma-sim: ";
  line.append(message).push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

// Completion of every co_spawn: logs what escapes a coroutine instead of ending the process.
constexpr auto kLogErrors = [](std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    Log(std::string("coroutine failed: ") + e.what());
  }
};

class Server;
class Connection;

// One chat/ask being streamed.
struct Turn {
  Turn(std::shared_ptr<Connection> connection, const asio::any_io_executor& executor)
      : conn(std::move(connection)), timer(executor) {}

  std::shared_ptr<Connection> conn;
  ChatAsk ask;
  TurnPlan plan;
  Knobs knobs;
  std::string answer;
  std::string ill_formed;         // the streamed text under invalid_utf8 (see PlanStream)
  std::string_view streamed;      // the text the deltas carry: `answer` or `ill_formed`
  std::vector<StreamStep> steps;  // views into `answer`, `ill_formed` and `knobs`
  asio::steady_timer timer;       // every wait of the turn; cancel() wakes it early
  bool stop_requested = false;
  bool finished = false;
  bool awaiting_response = false;  // the last push request is unanswered
  std::int64_t awaited_id = 0;
  bool waiting_for_response = false;  // blocked in the unanswered-push penalty
  std::size_t answered = 0;         // bytes of `streamed` the client holds (for a cancelled finish)
  bool waiting_for_writer = false;  // parked in Connection::WaitForWriter, at writer_wait_pos
  std::list<Turn*>::iterator writer_wait_pos;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<Server> server, tcp::socket socket, std::uint64_t index);

  void Start();
  void Close();

  // Queues one frame: its own WebSocket message, or part of the split stream. `binary`: the
  // body is not valid UTF-8, so every message holding any of its bytes is sent as binary.
  void SendFrame(std::string_view body, bool binary = false);
  // The next push id (request mode), remembered so the client's response can be matched.
  std::int64_t NextPushId(const std::shared_ptr<Turn>& turn);
  void OnResponse(const boost::json::value& id);

  bool closed() const { return closed_; }
  bool flushed() const { return out_.empty() && !write_active_; }
  std::size_t pending_bytes() const { return out_.size(); }
  std::uint64_t index() const { return index_; }
  void AddTurn(Turn* turn) { turns_.insert(turn); }
  void RemoveTurn(Turn* turn) { turns_.erase(turn); }
  // Parks `turn` (on its own timer) until the writer makes progress — it takes the queued
  // output (pending_bytes() drops to 0) or goes idle (flushed()) — or the connection closes,
  // or anything else cancels the timer (chat/stop). The caller re-checks its condition.
  asio::awaitable<void> WaitForWriter(Turn& turn);

 private:
  struct PendingPush {
    std::weak_ptr<Turn> turn;
    bool answered = false;
  };

  asio::awaitable<void> ReadLoop();
  asio::awaitable<void> WriteLoop();
  void HandleMessage(std::string_view message);
  void WakeWriterWaiters();

  std::shared_ptr<Server> server_;
  websocket::stream<beast::tcp_stream> ws_;
  std::uint64_t index_;
  lingma::FrameDecoder decoder_;
  std::string frame_;  // reused decode target
  bool closed_ = false;

  // Output: frames accumulate in out_ while writing_ is on the wire; the buffers swap, so their
  // capacity is reused.
  std::string out_;
  std::vector<std::size_t> out_ends_;  // message boundaries in out_ (unsplit mode)
  // [begin, end) of the frames in out_ that are not valid UTF-8, in order.
  std::vector<std::pair<std::size_t, std::size_t>> out_binary_;
  std::string writing_;
  std::vector<std::size_t> writing_ends_;
  std::vector<std::pair<std::size_t, std::size_t>> writing_binary_;
  bool write_active_ = false;
  bool writer_idle_ = false;
  asio::steady_timer writer_wake_;
  std::optional<MessageChunker> chunker_;

  std::int64_t next_push_id_ = 1;  // Lingma numbers its own requests from 1 per connection
  std::int64_t pending_base_ = 1;  // id of pending_.front()
  std::deque<PendingPush> pending_;
  std::unordered_set<Turn*> turns_;
  std::list<Turn*> writer_waiters_;  // turns parked in WaitForWriter, woken first come first
};

class Server : public std::enable_shared_from_this<Server> {
 public:
  Server(asio::io_context& io, const Options& options, const ServerHooks& hooks)
      : io_(io),
        options_(options),
        hooks_(hooks),
        acceptor_(io),
        signals_(io, SIGINT, SIGTERM),
        rng_(std::random_device{}()),
        sessions_([this] { return NewUuid(); }),
        control_(options.control_path),
        script_(options.script_path),
        ask_log_(options.ask_log_path),
        runtime_auth_(options.knobs.auth),
        endpoint_(options.endpoint) {
    if (!options.ask_log_path.empty() && !ask_log_.enabled()) {
      Log("cannot open the ask log " + options.ask_log_path);
    }
  }

  void Start();
  int exit_code() const { return exit_code_; }

  const Options& options() const { return options_; }
  Stats& stats() { return stats_; }

  void HandleFrame(const std::shared_ptr<Connection>& conn, const std::string& body);
  void CountBadFrame(std::string_view detail);
  void Register(Connection* conn) { connections_.insert(conn); }
  void Unregister(Connection* conn) { connections_.erase(conn); }
  void EndTurn(Turn& turn);

 private:
  asio::awaitable<void> Serve();
  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> CompleteLoginLater(int delay_ms);
  asio::awaitable<void> RunTurn(std::shared_ptr<Turn> turn);

  void Dispatch(const std::shared_ptr<Connection>& conn, const Incoming& in);
  void HandleChatAsk(const std::shared_ptr<Connection>& conn, const Incoming& in);
  void StopTurns(std::string_view request_id);
  void CleanExit();
  void WriteStatsFile();
  Knobs CurrentKnobs();
  std::string NewUuid();

  void Respond(Connection& conn, const boost::json::value& id, std::string_view result_json);
  void RespondError(Connection& conn, const boost::json::value& id, int code,
                    std::string_view message);
  PushId NextPushId(Connection& conn, const std::shared_ptr<Turn>& turn);
  // Sends body_; `binary`: it holds ill-formed UTF-8 (the invalid_utf8 fault).
  void SendPush(Connection& conn, PushId id, bool binary = false);

  // Turn helpers: each wait ends early on chat/stop or a closed connection.
  bool Interrupted(const Turn& turn) const;
  asio::awaitable<void> SleepUntil(Turn& turn, Clock::time_point deadline);
  asio::awaitable<void> SleepFor(Turn& turn, std::chrono::microseconds duration);
  // Waits out backpressure and the unanswered-push penalty; false when the turn must end.
  asio::awaitable<bool> ReadyToPush(const std::shared_ptr<Turn>& turn);
  // False when the turn must end: connection gone, or stopped (cancelled finish sent).
  bool Checkpoint(const std::shared_ptr<Turn>& turn);
  void SendFinish(const std::shared_ptr<Turn>& turn, std::string_view reason, int status,
                  std::string_view full_answer);
  [[noreturn]] void Crash(std::string_view why);

  asio::io_context& io_;
  const Options& options_;
  const ServerHooks& hooks_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  std::mt19937_64 rng_;
  Sessions sessions_;
  ControlFile control_;
  ScriptFile script_;
  AskLog ask_log_;
  Stats stats_;
  AuthState runtime_auth_;  // changes on login completion and auth/logout
  std::string endpoint_;
  bool login_pending_ = false;
  std::uint64_t login_nonce_ = 0;
  int port_ = 0;
  int exit_code_ = 0;
  bool exiting_ = false;
  std::string body_;  // reused for every outgoing body
  std::unordered_set<Connection*> connections_;
  std::unordered_multimap<std::string, Turn*> turns_by_request_;
};

// ---- Connection ----

Connection::Connection(std::shared_ptr<Server> server, tcp::socket socket, std::uint64_t index)
    : server_(std::move(server)),
      ws_(std::move(socket)),
      index_(index),
      writer_wake_(ws_.get_executor()) {
  if (server_->options().split_frames) chunker_.emplace(server_->options().split_seed + index);
  server_->Register(this);
}

void Connection::Start() {
  asio::co_spawn(
      ws_.get_executor(), [self = shared_from_this()] { return self->ReadLoop(); }, kLogErrors);
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  server_->stats().connections_open -= 1;
  server_->Unregister(this);
  writer_wake_.cancel();
  WakeWriterWaiters();
  for (Turn* turn : turns_) turn->timer.cancel();
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

asio::awaitable<void> Connection::ReadLoop() {
  auto self = shared_from_this();
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(30);
  timeouts.idle_timeout = websocket::stream_base::none();  // a gateway may idle for hours
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.read_message_max(kMaxMessageBytes);
  ws_.auto_fragment(false);
  auto [accept_error] = co_await ws_.async_accept(kUseTuple);  // any path is accepted
  if (accept_error) {
    if (server_->options().verbose) Log("handshake failed: " + accept_error.message());
    Close();
    co_return;
  }
  ws_.text(true);
  asio::co_spawn(
      ws_.get_executor(), [self] { return self->WriteLoop(); }, kLogErrors);

  beast::flat_buffer buffer;
  while (!closed_) {
    auto [ec, bytes] = co_await ws_.async_read(buffer, kUseTuple);
    if (ec) {
      if (server_->options().verbose) Log("connection closed: " + ec.message());
      break;
    }
    server_->stats().bytes_received += bytes;
    server_->stats().messages_received += 1;
    const auto data = buffer.cdata();
    HandleMessage(std::string_view(static_cast<const char*>(data.data()), data.size()));
    buffer.consume(buffer.size());
  }
  Close();
}

void Connection::HandleMessage(std::string_view message) {
  // Lingma wants LSP headers on every frame; bare JSON at a frame boundary is rejected at once
  // rather than left to stall the decoder until its header limit.
  if (decoder_.buffered() == 0 && LooksLikeBareJson(message)) {
    server_->CountBadFrame("bare JSON without Content-Length");
    return;
  }
  decoder_.Feed(message);
  for (;;) {
    const lingma::FrameDecoder::Status status = decoder_.Next(frame_);
    if (status == lingma::FrameDecoder::Status::kNeedMore) return;
    if (status == lingma::FrameDecoder::Status::kError) {
      server_->CountBadFrame(decoder_.error());
      decoder_ = lingma::FrameDecoder();  // drop the garbage, keep the connection
      return;
    }
    server_->HandleFrame(shared_from_this(), frame_);
    if (closed_) return;
  }
}

void Connection::SendFrame(std::string_view body, bool binary) {
  if (closed_) return;
  if (server_->options().verbose) Log("-> #" + std::to_string(index_) + " " + std::string(body));
  const std::size_t begin = out_.size();
  lingma::AppendFrame(out_, body);
  if (binary) out_binary_.emplace_back(begin, out_.size());
  if (!chunker_) out_ends_.push_back(out_.size());
  if (writer_idle_) writer_wake_.cancel();
}

asio::awaitable<void> Connection::WaitForWriter(Turn& turn) {
  if (closed_) co_return;
  turn.writer_wait_pos = writer_waiters_.insert(writer_waiters_.end(), &turn);
  turn.waiting_for_writer = true;
  turn.timer.expires_at(Clock::time_point::max());
  co_await turn.timer.async_wait(kUseTuple);
  if (turn.waiting_for_writer) {  // woken by something else (chat/stop)
    writer_waiters_.erase(turn.writer_wait_pos);
    turn.waiting_for_writer = false;
  }
}

void Connection::WakeWriterWaiters() {
  // cancel() only queues the completions, which then run in this order.
  for (Turn* turn : writer_waiters_) {
    turn->waiting_for_writer = false;
    turn->timer.cancel();
  }
  writer_waiters_.clear();
}

asio::awaitable<void> Connection::WriteLoop() {
  auto self = shared_from_this();
  while (!closed_) {
    if (out_.empty()) {
      WakeWriterWaiters();  // flushed() holds now
      writer_idle_ = true;
      writer_wake_.expires_at(Clock::time_point::max());
      co_await writer_wake_.async_wait(kUseTuple);
      writer_idle_ = false;
      continue;
    }
    std::swap(out_, writing_);
    std::swap(out_ends_, writing_ends_);
    std::swap(out_binary_, writing_binary_);
    out_.clear();
    out_ends_.clear();
    out_binary_.clear();
    if (chunker_) {
      writing_ends_.clear();
      chunker_->Cut(writing_, writing_ends_);
    } else if (server_->options().coalesce_frames) {
      CoalesceMessages(writing_ends_, kCoalescedMessageBytes);
    }
    write_active_ = true;
    WakeWriterWaiters();  // pending_bytes() is 0 now: turns held back by backpressure go on
    std::size_t begin = 0;
    std::size_t next_binary = 0;  // the first binary range not wholly before `begin`
    for (std::size_t end : writing_ends_) {
      while (next_binary < writing_binary_.size() && writing_binary_[next_binary].second <= begin) {
        ++next_binary;
      }
      // A text message must be valid UTF-8: one holding any byte of a binary frame is binary.
      ws_.binary(next_binary < writing_binary_.size() && writing_binary_[next_binary].first < end);
      auto [ec, bytes] =
          co_await ws_.async_write(asio::buffer(writing_.data() + begin, end - begin), kUseTuple);
      if (ec) {
        write_active_ = false;
        Close();
        co_return;
      }
      server_->stats().bytes_sent += bytes;
      server_->stats().messages_sent += 1;
      begin = end;
    }
    write_active_ = false;
  }
}

std::int64_t Connection::NextPushId(const std::shared_ptr<Turn>& turn) {
  const std::int64_t id = next_push_id_++;
  pending_.push_back({turn, false});
  while (pending_.size() > kMaxPendingPushes) {
    pending_.pop_front();
    ++pending_base_;
  }
  return id;
}

void Connection::OnResponse(const boost::json::value& id_value) {
  Stats& stats = server_->stats();
  std::optional<std::int64_t> id;
  if (id_value.is_int64()) id = id_value.get_int64();
  if (id_value.is_uint64() && id_value.get_uint64() <= INT64_MAX) {
    id = static_cast<std::int64_t>(id_value.get_uint64());
  }
  if (!id || *id < pending_base_ ||
      *id - pending_base_ >= static_cast<std::int64_t>(pending_.size()) ||
      pending_[static_cast<std::size_t>(*id - pending_base_)].answered) {
    stats.unexpected_responses += 1;
    return;
  }
  PendingPush& push = pending_[static_cast<std::size_t>(*id - pending_base_)];
  push.answered = true;
  stats.push_responses += 1;
  if (std::shared_ptr<Turn> turn = push.turn.lock()) {
    if (turn->awaiting_response && turn->awaited_id == *id) {
      turn->awaiting_response = false;
      if (turn->waiting_for_response) turn->timer.cancel();
    }
  }
  while (!pending_.empty() && pending_.front().answered) {
    pending_.pop_front();
    ++pending_base_;
  }
}

// ---- Server: start-up, exit ----

void Server::Start() {
  signals_.async_wait([self = shared_from_this()](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    Log(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", exiting");
    self->CleanExit();
  });
  asio::co_spawn(
      io_, [self = shared_from_this()] { return self->Serve(); }, kLogErrors);
}

asio::awaitable<void> Server::Serve() {
  auto self = shared_from_this();
  if (options_.startup_delay_ms > 0) {
    asio::steady_timer delay(io_, std::chrono::milliseconds(options_.startup_delay_ms));
    co_await delay.async_wait(kUseTuple);
    if (exiting_) co_return;
  }
  boost::system::error_code ec;
  const tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"),
                               static_cast<unsigned short>(options_.socket_port));
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) port_ = acceptor_.local_endpoint(ec).port();
  if (ec) {
    Log("cannot listen on 127.0.0.1:" + std::to_string(options_.socket_port) + ": " + ec.message());
    exit_code_ = 1;
    io_.stop();
    co_return;
  }
  if (hooks_.on_listening && !hooks_.on_listening(port_)) {
    exit_code_ = 1;
    io_.stop();
    co_return;
  }
  Log("WebSocket: " + std::to_string(port_) + " (pid " + std::to_string(::getpid()) + ")");
  co_await AcceptLoop();
}

asio::awaitable<void> Server::AcceptLoop() {
  while (!exiting_) {
    auto [ec, socket] = co_await acceptor_.async_accept(kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || exiting_) co_return;
      Log("accept failed: " + ec.message());
      asio::steady_timer pause(io_, std::chrono::milliseconds(50));  // e.g. out of descriptors
      co_await pause.async_wait(kUseTuple);
      continue;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // small frames must not wait for Nagle
    const std::uint64_t index = stats_.connections_total++;
    stats_.connections_open += 1;
    std::make_shared<Connection>(shared_from_this(), std::move(socket), index)->Start();
  }
}

void Server::CleanExit() {
  if (exiting_) return;
  exiting_ = true;
  // Stats before .info: a test that waits for .info to vanish can then read the stats.
  WriteStatsFile();
  if (hooks_.on_clean_exit) hooks_.on_clean_exit();
  exit_code_ = 0;
  io_.stop();
}

void Server::WriteStatsFile() {
  std::string error;
  std::string path = options_.work_dir;
  if (!path.empty() && path.back() != '/') path.push_back('/');
  path.append("sim-stats.json");
  if (!WriteFileAtomically(path, StatsJson(stats_, ::getpid(), port_, sessions_.size()), error)) {
    Log(error);
  }
}

void Server::Crash(std::string_view why) {
  Log(std::string("crashing on purpose: ") + std::string(why));
  WriteStatsFile();
  std::fflush(stderr);
  ::_exit(kCrashExitCode);
}

std::string Server::NewUuid() {
  const std::uint64_t a = (rng_() & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // v4
  const std::uint64_t b = (rng_() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return text;
}

Knobs Server::CurrentKnobs() {
  Knobs base = options_.knobs;
  base.auth = runtime_auth_;
  std::vector<std::string> warnings;
  Knobs knobs = control_.Current(base, warnings);
  for (const std::string& w : warnings) Log(w);
  return knobs;
}

// ---- Server: JSON-RPC ----

void Server::CountBadFrame(std::string_view detail) {
  stats_.bad_frames += 1;
  Log("Unknown message header (" + std::string(detail) + "); message dropped");
}

void Server::Respond(Connection& conn, const boost::json::value& id, std::string_view result_json) {
  body_.clear();
  AppendResult(body_, id, result_json);
  conn.SendFrame(body_);
}

void Server::RespondError(Connection& conn, const boost::json::value& id, int code,
                          std::string_view message) {
  body_.clear();
  AppendError(body_, id, code, message);
  conn.SendFrame(body_);
}

PushId Server::NextPushId(Connection& conn, const std::shared_ptr<Turn>& turn) {
  if (options_.push_mode == PushMode::kNotifications) return std::nullopt;
  const std::int64_t id = conn.NextPushId(turn);
  if (turn) {
    turn->awaiting_response = true;
    turn->awaited_id = id;
  }
  return id;
}

void Server::SendPush(Connection& conn, PushId id, bool binary) {
  stats_.pushes_sent += 1;
  if (id) stats_.push_requests_sent += 1;
  conn.SendFrame(body_, binary);
}

void Server::HandleFrame(const std::shared_ptr<Connection>& conn, const std::string& body) {
  if (options_.verbose) Log("<- #" + std::to_string(conn->index()) + " " + body);
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(body, ec);
  if (ec) {
    stats_.bad_messages += 1;
    Log("invalid JSON in frame: " + ec.message());
    return;
  }
  const Incoming in = Classify(doc);
  switch (in.kind) {
    case Incoming::Kind::kInvalid:
      stats_.bad_messages += 1;
      Log("invalid JSON-RPC message: " + in.error);
      return;
    case Incoming::Kind::kResponse:
      conn->OnResponse(*in.id);
      return;
    case Incoming::Kind::kRequest:
    case Incoming::Kind::kNotification:
      Dispatch(conn, in);
      return;
  }
}

void Server::Dispatch(const std::shared_ptr<Connection>& conn, const Incoming& in) {
  const bool request = in.kind == Incoming::Kind::kRequest;
  (request ? stats_.requests : stats_.notifications) += 1;
  const std::string_view method = in.method;
  if (method == "chat/ask") {
    HandleChatAsk(conn, in);
    return;
  }
  static constexpr std::string_view kKnown[] = {
      "initialize",
      "ping",
      "shutdown",
      "exit",
      "auth/status",
      "auth/logout",
      "config/queryModels",
      "config/getEndpoint",
      "config/updateEndpoint",
      "login/generateUrl",
      "chat/stop",
      "chat/deleteSessionById",
      "sim/stats",
  };
  bool known = false;
  for (std::string_view k : kKnown) known = known || k == method;
  if (!known) {
    stats_.unknown_methods += 1;
    Log("err occur in " + std::string(method) + ", isReq: " + (request ? "true" : "false") +
        ", err: unknown method: " + std::string(method));
    if (request) {
      RespondError(*conn, *in.id, kMethodNotFound, "unknown method: " + std::string(method));
    }
    return;
  }
  // LSP defines shutdown and exit without params; every other method decodes an object.
  if (method != "shutdown" && method != "exit") {
    if (std::optional<std::string> error = ParamsError(in.params)) {
      stats_.invalid_params += 1;
      Log("err occur in " + std::string(method) + ": " + *error);
      if (request) RespondError(*conn, *in.id, kInvalidParams, *error);
      return;
    }
  }
  static const boost::json::object kNoParams;
  const boost::json::object& params =
      in.params && in.params->is_object() ? in.params->get_object() : kNoParams;

  std::string result;
  if (method == "initialize") {
    result = InitializeResult(options_.server_version);
  } else if (method == "ping") {
    result = R"({"success":true})";
  } else if (method == "shutdown") {
    result = "null";
  } else if (method == "exit") {
    if (request) Respond(*conn, *in.id, "null");
    CleanExit();
    return;
  } else if (method == "auth/status") {
    result = AuthStatusResult(CurrentKnobs().auth);
  } else if (method == "auth/logout") {
    runtime_auth_ = AuthState::kLoggedOut;
    result = R"({"success":true})";
  } else if (method == "config/queryModels") {
    result = QueryModelsResult(CurrentKnobs().auth);
  } else if (method == "config/getEndpoint") {
    result = EndpointResult(endpoint_);
  } else if (method == "config/updateEndpoint") {
    endpoint_ = StringField(params, "endpoint");
    result = R"({"success":true})";
  } else if (method == "login/generateUrl") {
    if (options_.login_after_ms >= 0 && !login_pending_ &&
        CurrentKnobs().auth != AuthState::kLoggedIn) {
      login_pending_ = true;
      asio::co_spawn(
          io_,
          [self = shared_from_this(), delay = options_.login_after_ms] {
            return self->CompleteLoginLater(delay);
          },
          kLogErrors);
    }
    result = LoginUrlResult(options_.http_port, ++login_nonce_);
  } else if (method == "chat/stop") {
    stats_.stops += 1;
    StopTurns(StringField(params, "requestId"));
    result = "{}";
  } else if (method == "chat/deleteSessionById") {
    std::string_view id = StringField(params, "sessionId");
    if (id.empty()) id = StringField(params, "id");
    sessions_.Delete(id);
    result = "null";
  } else if (method == "sim/stats") {
    result = StatsJson(stats_, ::getpid(), port_, sessions_.size());
  }
  if (request) Respond(*conn, *in.id, result);
}

asio::awaitable<void> Server::CompleteLoginLater(int delay_ms) {
  auto self = shared_from_this();
  asio::steady_timer timer(io_, std::chrono::milliseconds(delay_ms));
  co_await timer.async_wait(kUseTuple);
  login_pending_ = false;
  runtime_auth_ = AuthState::kLoggedIn;
  Log("login completed");
  const std::string status = AuthStatusResult(AuthState::kLoggedIn);
  std::vector<Connection*> open(connections_.begin(), connections_.end());
  for (Connection* conn : open) {
    if (conn->closed()) continue;
    const PushId id = NextPushId(*conn, nullptr);
    body_.clear();
    AppendAuthReport(body_, id, status);
    SendPush(*conn, id);
  }
}

void Server::StopTurns(std::string_view request_id) {
  auto [begin, end] = turns_by_request_.equal_range(std::string(request_id));
  for (auto it = begin; it != end; ++it) {
    Turn* turn = it->second;
    turn->stop_requested = true;
    if (!turn->knobs.ignore_stop) turn->timer.cancel();
  }
}

// ---- Server: chat turns ----

void Server::HandleChatAsk(const std::shared_ptr<Connection>& conn, const Incoming& in) {
  const bool request = in.kind == Incoming::Kind::kRequest;
  stats_.asks += 1;
  if (!request) stats_.asks_as_notification += 1;
  if (std::optional<std::string> error = ParamsError(in.params)) {
    stats_.invalid_params += 1;
    stats_.asks_rejected += 1;
    Log("err occur in chat/ask: " + *error);
    if (request) RespondError(*conn, *in.id, kInvalidParams, *error);
    return;
  }
  auto turn = std::make_shared<Turn>(conn, io_.get_executor());
  std::optional<std::string> error = ParseChatAsk(in.params->get_object(), turn->ask);
  turn->knobs = CurrentKnobs();
  int reject_status = 400;
  if (!error && turn->knobs.auth != AuthState::kLoggedIn) {
    error = turn->knobs.auth == AuthState::kExpired ? "login expired" : "not logged in";
    reject_status = 401;
  }
  const ChatAsk& ask = turn->ask;

  AskLogEntry entry;
  entry.time_ms = NowMs();
  entry.request_id = ask.request_id;
  entry.session_id = ask.session_id;
  entry.is_reply = ask.is_reply;
  entry.notification = !request;
  entry.model = ask.model;
  entry.mode = ask.mode;
  entry.session_type = ask.session_type;
  entry.connection = conn->index();

  if (error) {
    stats_.asks_rejected += 1;
    entry.error = *error;
    entry.prompt_bytes = ask.question.size();
    ask_log_.Append(entry);
    if (request) {
      Respond(*conn, *in.id, ChatAskResult(ask.request_id, error));
    } else {
      // A notification cannot be answered: end the turn with a finish so the client learns.
      const PushId id = NextPushId(*conn, nullptr);
      body_.clear();
      AppendFinish(body_, id, ask.request_id, ask.session_id, *error, reject_status, "",
                   ask.session_type);
      SendPush(*conn, id);
    }
    return;
  }

  turn->plan =
      sessions_.BeginTurn(ask.session_id, ask.question.size(), turn->knobs.finish_new_session);
  const TurnPlan& plan = turn->plan;
  std::vector<std::string> warnings;
  const std::string* reply = script_.Current(warnings).Match(ask.question);
  for (const std::string& w : warnings) Log(w);
  turn->answer = reply ? ExpandReply(*reply, plan.turn, plan.canonical_id, ask.model, ask.question)
                       : DefaultAnswer(plan.turn, plan.canonical_id, ask.model, ask.question);
  if (turn->knobs.think) turn->answer = WithThinkBlock(turn->answer, plan.turn);
  sessions_.AddAnswer(plan.canonical_id, turn->answer.size());
  turn->steps = PlanStream(turn->answer, plan.new_session, turn->knobs, turn->ill_formed);
  turn->streamed = turn->knobs.invalid_utf8 ? turn->ill_formed : turn->answer;

  if (request) Respond(*conn, *in.id, ChatAskResult(ask.request_id, std::nullopt));
  entry.resolved_session_id = plan.session_id;
  entry.canonical_session_id = plan.canonical_id;
  entry.finish_session_id = plan.finish_session_id;
  entry.prompt_bytes = plan.prompt_bytes;
  entry.processed_bytes = plan.processed_bytes;
  entry.turn = plan.turn;
  ask_log_.Append(entry);

  stats_.turns_active += 1;
  turns_by_request_.emplace(ask.request_id, turn.get());
  conn->AddTurn(turn.get());
  asio::co_spawn(
      io_, [self = shared_from_this(), turn] { return self->RunTurn(turn); }, kLogErrors);
}

void Server::EndTurn(Turn& turn) {
  stats_.turns_active -= 1;
  if (!turn.finished) stats_.turns_abandoned += 1;
  auto [begin, end] = turns_by_request_.equal_range(turn.ask.request_id);
  for (auto it = begin; it != end; ++it) {
    if (it->second == &turn) {
      turns_by_request_.erase(it);
      break;
    }
  }
  turn.conn->RemoveTurn(&turn);
}

bool Server::Interrupted(const Turn& turn) const {
  return turn.conn->closed() || (turn.stop_requested && !turn.knobs.ignore_stop);
}

asio::awaitable<void> Server::SleepUntil(Turn& turn, Clock::time_point deadline) {
  while (!Interrupted(turn) && Clock::now() < deadline) {
    turn.timer.expires_at(deadline);
    co_await turn.timer.async_wait(kUseTuple);
  }
}

asio::awaitable<void> Server::SleepFor(Turn& turn, std::chrono::microseconds duration) {
  if (duration.count() <= 0) co_return;
  const auto deadline =
      CeilToTick<Clock>(Clock::now() + duration, std::chrono::microseconds(options_.tick_us));
  co_await SleepUntil(turn, deadline);
}

bool Server::Checkpoint(const std::shared_ptr<Turn>& turn) {
  if (turn->conn->closed()) return false;
  if (turn->stop_requested && !turn->knobs.ignore_stop) {
    SendFinish(turn, "cancelled", 200, turn->streamed.substr(0, turn->answered));
    stats_.turns_cancelled += 1;
    return false;
  }
  return true;
}

asio::awaitable<bool> Server::ReadyToPush(const std::shared_ptr<Turn>& turn) {
  Turn& t = *turn;
  while (!Interrupted(t) && t.conn->pending_bytes() > kBackpressureBytes) {
    co_await t.conn->WaitForWriter(t);
  }
  if (t.awaiting_response && t.knobs.unanswered_push_penalty_ms > 0 && !Interrupted(t)) {
    // Lingma blocks on each push request until the client answers or a timeout passes.
    const auto deadline =
        Clock::now() + std::chrono::milliseconds(t.knobs.unanswered_push_penalty_ms);
    t.waiting_for_response = true;
    while (t.awaiting_response && !Interrupted(t) && Clock::now() < deadline) {
      t.timer.expires_at(deadline);
      co_await t.timer.async_wait(kUseTuple);
    }
    t.waiting_for_response = false;
    if (t.awaiting_response && !Interrupted(t)) {
      stats_.unanswered_pushes += 1;
      t.awaiting_response = false;  // counted once; the next push starts a new wait
    }
  }
  co_return Checkpoint(turn);
}

void Server::SendFinish(const std::shared_ptr<Turn>& turn, std::string_view reason, int status,
                        std::string_view full_answer) {
  const PushId id = NextPushId(*turn->conn, turn);
  body_.clear();
  AppendFinish(body_, id, turn->ask.request_id, turn->plan.finish_session_id, reason, status,
               full_answer, turn->ask.session_type);
  SendPush(*turn->conn, id, turn->knobs.invalid_utf8 && !utf8::IsWellFormed(full_answer));
  turn->finished = true;
  stats_.turns_finished += 1;
}

asio::awaitable<void> Server::RunTurn(std::shared_ptr<Turn> turn) {
  struct Guard {
    Server& server;
    Turn& turn;
    ~Guard() { server.EndTurn(turn); }
  } guard{*this, *turn};
  Turn& t = *turn;
  Connection& conn = *t.conn;
  const ChatAsk& ask = t.ask;
  const std::string& session = t.plan.session_id;

  for (const StreamStep& step : t.steps) {
    switch (step.kind) {
      case StreamStep::Kind::kStepStart:
      case StreamStep::Kind::kStepEnd: {
        const bool ready = co_await ReadyToPush(turn);
        if (!ready) co_return;
        const PushId id = NextPushId(conn, turn);
        body_.clear();
        const bool start = step.kind == StreamStep::Kind::kStepStart;
        AppendStepCallback(body_, id, ask.request_id, session, start ? "step_start" : "step_end",
                           step.status == 200 ? "done" : "error");
        SendPush(conn, id);
        break;
      }
      case StreamStep::Kind::kTitle: {
        const bool ready = co_await ReadyToPush(turn);
        if (!ready) co_return;
        const PushId id = NextPushId(conn, turn);
        body_.clear();
        AppendTitleUpdate(body_, id, session, SessionTitle(ask.question));
        SendPush(conn, id);
        break;
      }
      case StreamStep::Kind::kPrefill: {
        const double micros =
            static_cast<double>(t.plan.processed_bytes) * t.knobs.prefill_us_per_byte;
        co_await SleepFor(t, std::chrono::microseconds(static_cast<std::int64_t>(micros)));
        if (!Checkpoint(turn)) co_return;
        break;
      }
      case StreamStep::Kind::kDelta: {
        if (step.delay && t.knobs.delta_delay_ms > 0) {
          co_await SleepFor(t, std::chrono::milliseconds(t.knobs.delta_delay_ms));
        }
        const bool ready = co_await ReadyToPush(turn);
        if (!ready) co_return;
        const PushId id = NextPushId(conn, turn);
        body_.clear();
        AppendAnswer(body_, id, ask.request_id, session, step.text, step.overwrite,
                     t.knobs.filtered, NowMs(), ask.session_type);
        SendPush(conn, id, t.knobs.invalid_utf8 && !utf8::IsWellFormed(step.text));
        t.answered = step.answered;
        break;
      }
      case StreamStep::Kind::kFinish: {
        const bool ready = co_await ReadyToPush(turn);
        if (!ready) co_return;
        SendFinish(turn, step.reason, step.status, step.text);
        co_return;
      }
      case StreamStep::Kind::kExit:
        // The client must see what was sent before the crash: wait for the socket to drain.
        while (!conn.closed() && !conn.flushed()) {
          co_await conn.WaitForWriter(t);
        }
        Crash("exit-after-deltas reached in request " + ask.request_id);
      case StreamStep::Kind::kHang:
        co_await SleepUntil(t, Clock::time_point::max());
        Checkpoint(turn);  // sends the cancelled finish when stopped
        co_return;
    }
  }
}

}  // namespace

int RunServer(const Options& options, const ServerHooks& hooks) {
  asio::io_context io(1);
  auto server = std::make_shared<Server>(io, options, hooks);
  server->Start();
  io.run();
  const int code = server->exit_code();
  server.reset();
  return code;
}

}  // namespace sim
