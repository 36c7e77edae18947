// The baseline client: chat turns straight to lingma-sim over WebSocket, no gateway. It speaks
// what the gateway speaks upstream (LSP frames, JSON-RPC, `initialize`, `chat/ask` requests),
// answers every push request at once and times the chat/answer pushes and chat/finish.
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <unordered_map>

#include "bench/loadgen/clients.hpp"
#include "lingma/chat_shapes.hpp"
#include "lingma/frame_codec.hpp"
#include "lingma/jsonrpc.hpp"
#include "net/ws_client.hpp"

namespace loadgen {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace rpc = lingma::rpc;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kInitializeTimeout = std::chrono::seconds(10);

// A turn in flight on a connection: where its pushes go.
struct DirectTurn {
  TurnTrace* trace = nullptr;
  asio::steady_timer* wake = nullptr;  // cancelled when the turn ends
  std::string request_id;
  std::int64_t ask_id = 0;
};

class DirectConnection : public std::enable_shared_from_this<DirectConnection> {
 public:
  explicit DirectConnection(asio::any_io_executor executor)
      : executor_(executor), init_wake_(executor) {}

  asio::awaitable<bool> Open(std::string host, std::uint16_t port, std::string& error) {
    boost::system::error_code ec;
    net::WsConnection::Options options;
    options.host = std::move(host);
    options.port = port;
    ws_ = co_await net::WsConnection::Connect(executor_, options, ec);
    if (!ws_) {
      error =
          "cannot connect to the simulator on port " + std::to_string(port) + ": " + ec.message();
      co_return false;
    }
    asio::co_spawn(executor_, ReadLoop(shared_from_this()), asio::detached);
    const std::string root = "file://" + std::filesystem::current_path().string();
    json::object params{
        {"processId", static_cast<std::int64_t>(getpid())},
        {"clientInfo", {{"name", "loadgen"}, {"version", "1"}}},
        {"rootUri", root},
        {"workspaceFolders", json::array{json::object{{"uri", root}, {"name", "workspace"}}}},
        {"capabilities", {{"workspace", {{"workspaceFolders", true}, {"configuration", true}}}}},
        {"ideSeries", "JetBrains"},
        {"idePlatform", "loadgen"},
        {"ideVersion", "1"},
        {"pluginVersion", "1"},
        {"allowStatistics", false},
    };
    init_id_ = next_id_++;
    ws_->Send(lingma::EncodeFrame(rpc::Request(init_id_, "initialize", params)));
    init_wake_.expires_after(kInitializeTimeout);
    co_await init_wake_.async_wait(kUseTuple);
    if (!init_done_) {
      error = init_error_.empty() ? "initialize got no answer" : "initialize: " + init_error_;
      co_return false;
    }
    ws_->Send(lingma::EncodeFrame(rpc::Notification("initialized", json::object{})));
    co_return true;
  }

  bool open() const { return ws_ && ws_->is_open(); }

  std::int64_t NextId() { return next_id_++; }

  // Registers the turn and sends its chat/ask; false when the connection is gone.
  bool Ask(DirectTurn& turn, std::string_view frame) {
    if (!open()) return false;
    turns_[*lingma::ParseRequestKey(turn.request_id)] = &turn;  // made by NewRequestId
    asks_[turn.ask_id] = &turn;
    if (ws_->Send(frame)) return true;
    Forget(turn);
    return false;
  }

  void Forget(const DirectTurn& turn) {
    turns_.erase(*lingma::ParseRequestKey(turn.request_id));
    asks_.erase(turn.ask_id);
  }

  // Best effort: a timed-out turn is stopped so the sim does not keep streaming it.
  void Stop(const DirectTurn& turn) {
    if (!open()) return;
    ws_->Send(lingma::EncodeFrame(
        rpc::Request(next_id_++, "chat/stop", json::object{{"requestId", turn.request_id}})));
  }

  void Close() {
    if (ws_) ws_->Close();
  }

  std::size_t unread_bytes() const { return ws_ ? ws_->unread_bytes() : 0; }

 private:
  static asio::awaitable<void> ReadLoop(std::shared_ptr<DirectConnection> self) {
    lingma::FrameDecoder decoder;
    std::string_view message, body;  // views, valid until the next Read and Feed
    std::string replies;
    std::string failure = "the simulator closed the connection";
    while (true) {
      auto ec = co_await self->ws_->Read(message);
      if (ec) break;
      const auto now = Clock::now();
      decoder.Feed(message);
      replies.clear();
      lingma::FrameDecoder::Status status;
      while ((status = decoder.Next(body)) == lingma::FrameDecoder::Status::kFrame) {
        self->HandleBody(body, now, replies);
      }
      // Every push request of this message answered in one write, as soon as it was read.
      if (!replies.empty()) self->ws_->Send(replies);
      if (status == lingma::FrameDecoder::Status::kError) {
        failure = "malformed frame from the simulator: " + decoder.error();
        break;
      }
    }
    self->ws_->Close();
    self->FailAll(failure);
  }

  void HandleBody(std::string_view body, Clock::time_point now, std::string& replies) {
    rpc::Message m = rpc::Parse(body);
    switch (m.kind) {
      case rpc::Kind::kRequest:
        lingma::AppendFrame(replies, rpc::Result(m.id, nullptr));
        HandlePush(m, now);
        return;
      case rpc::Kind::kNotification:
        HandlePush(m, now);
        return;
      case rpc::Kind::kResponse:
        HandleResponse(m);
        return;
      case rpc::Kind::kInvalid:
        return;
    }
  }

  void HandlePush(const rpc::Message& m, Clock::time_point now) {
    auto routed = lingma::ParseChatPush(m.method, m.params);
    if (!routed) return;
    const auto key = lingma::ParseRequestKey(lingma::View(routed->request_id));
    if (!key) return;
    auto it = turns_.find(*key);
    if (it == turns_.end()) return;
    DirectTurn& turn = *it->second;
    if (auto* answer = std::get_if<lingma::AnswerPush>(&routed->push)) {
      if (!answer->text.empty()) turn.trace->OnDelta(now);
    } else if (auto* think = std::get_if<lingma::ThinkPush>(&routed->push)) {
      if (!think->text.empty()) turn.trace->OnDelta(now);
    } else if (auto* finish = std::get_if<lingma::FinishPush>(&routed->push)) {
      if (finish->status_code == 200) {
        turn.trace->Finish(now);
      } else {
        turn.trace->Fail("finish_" + std::to_string(finish->status_code), finish->reason);
      }
      End(turn);
    }
  }

  void HandleResponse(const rpc::Message& m) {
    const auto id = rpc::IntId(m.id);
    if (!id) return;
    if (*id == init_id_) {
      if (m.error) {
        init_error_ = m.error->message;
      } else {
        init_done_ = true;
      }
      init_wake_.cancel();
      return;
    }
    auto it = asks_.find(*id);
    if (it == asks_.end()) return;
    DirectTurn& turn = *it->second;
    asks_.erase(it);
    if (m.error) {
      turn.trace->Fail("rejected", m.error->message);
      End(turn);
      return;
    }
    const auto ack = lingma::ParseChatAskResult(m.result);
    if (!ack.accepted) {
      turn.trace->Fail("rejected", ack.error);
      End(turn);
      return;
    }
    turn.trace->OnOpen();
  }

  void End(DirectTurn& turn) {
    Forget(turn);
    turn.wake->cancel();
  }

  void FailAll(const std::string& why) {
    init_wake_.cancel();
    auto turns = std::move(turns_);
    turns_.clear();
    asks_.clear();
    for (auto& [id, turn] : turns) {
      turn->trace->Fail("disconnected", why);
      turn->wake->cancel();
    }
  }

  asio::any_io_executor executor_;
  std::shared_ptr<net::WsConnection> ws_;
  lingma::RequestIdMap<DirectTurn*> turns_;             // by requestId
  std::unordered_map<std::int64_t, DirectTurn*> asks_;  // by the chat/ask's JSON-RPC id
  std::int64_t next_id_ = 1;
  std::int64_t init_id_ = 0;
  asio::steady_timer init_wake_;
  bool init_done_ = false;
  std::string init_error_;
};

struct DirectShared {
  std::mt19937_64 random{std::random_device{}()};
  std::string question;
  std::string model_key;
  std::chrono::milliseconds timeout{30000};
};

class DirectSession final : public TurnSession {
 public:
  DirectSession(asio::any_io_executor executor, std::shared_ptr<DirectConnection> connection,
                std::shared_ptr<DirectShared> shared)
      : executor_(executor), connection_(std::move(connection)), shared_(std::move(shared)) {}

  asio::awaitable<void> Run(TurnTrace& trace) override {
    auto connection = connection_;
    asio::steady_timer wake(executor_);
    auto& random = shared_->random;
    lingma::ChatAsk ask;
    ask.request_id = lingma::NewRequestId(random(), random());
    ask.session_id = lingma::NewSessionId(random(), random());
    ask.question = shared_->question;
    ask.model_key = shared_->model_key;
    DirectTurn turn{&trace, &wake, ask.request_id, connection->NextId()};
    rpc::RequestParams params;
    lingma::AppendChatAskParams(params.out(), ask);
    const rpc::FramedBytes frame = rpc::FrameRequest(turn.ask_id, "chat/ask", std::move(params));
    if (!connection->Ask(turn, frame.wire())) {
      trace.Fail("disconnected", "the connection to the simulator is closed");
      co_return;
    }
    wake.expires_at(trace.start() + shared_->timeout);
    co_await wake.async_wait(kUseTuple);
    if (!trace.ended()) {
      connection->Forget(turn);
      connection->Stop(turn);
      trace.Fail("timeout", "no chat/finish within the turn deadline");
    }
  }

 private:
  asio::any_io_executor executor_;
  std::shared_ptr<DirectConnection> connection_;
  std::shared_ptr<DirectShared> shared_;
};

// Line 1 of <work-dir>/.info, or websocketPort of .info.json.
std::uint16_t PortFromInfo(const std::string& work_dir, std::string& error) {
  namespace fs = std::filesystem;
  std::ifstream lines(fs::path(work_dir) / ".info");
  std::string first;
  if (lines && std::getline(lines, first)) {
    try {
      const int port = std::stoi(first);
      if (port > 0 && port < 65536) return static_cast<std::uint16_t>(port);
    } catch (const std::exception&) {
    }
  }
  std::ifstream js(fs::path(work_dir) / ".info.json");
  std::string text((std::istreambuf_iterator<char>(js)), std::istreambuf_iterator<char>());
  const auto at = text.find("\"websocketPort\"");
  if (at != std::string::npos) {
    const auto colon = text.find(':', at);
    if (colon != std::string::npos) {
      try {
        const int port = std::stoi(text.substr(colon + 1));
        if (port > 0 && port < 65536) return static_cast<std::uint16_t>(port);
      } catch (const std::exception&) {
      }
    }
  }
  error = "no simulator port in " + work_dir + "/.info or .info.json";
  return 0;
}

class DirectClient final : public TurnClient {
 public:
  DirectClient(asio::any_io_executor executor, const Options& options)
      : executor_(executor), options_(options), shared_(std::make_shared<DirectShared>()) {
    shared_->question = PromptText(options.prompt_bytes);
    shared_->model_key = options.model == "auto" ? "" : options.model;
    shared_->timeout = std::chrono::milliseconds(options.timeout_ms);
  }

  asio::awaitable<bool> Start(std::string& error) override {
    std::uint16_t port = options_.port;
    if (port == 0) port = PortFromInfo(options_.work_dir, error);
    if (port == 0) co_return false;
    for (int i = 0; i < options_.connections; ++i) {
      auto connection = std::make_shared<DirectConnection>(executor_);
      const bool ok = co_await connection->Open(options_.host, port, error);
      connections_.push_back(connection);
      if (!ok) co_return false;
    }
    co_return true;
  }

  std::unique_ptr<TurnSession> NewSession(int index) override {
    auto& connection = connections_[static_cast<std::size_t>(index) % connections_.size()];
    return std::make_unique<DirectSession>(executor_, connection, shared_);
  }

  void Stop() override {
    for (auto& connection : connections_) connection->Close();
  }

  std::optional<std::size_t> UnreadUpstreamBytes() const override {
    std::size_t total = 0;
    for (const auto& connection : connections_) total += connection->unread_bytes();
    return total;
  }

 private:
  asio::any_io_executor executor_;
  Options options_;
  std::shared_ptr<DirectShared> shared_;
  std::vector<std::shared_ptr<DirectConnection>> connections_;
};

}  // namespace

std::unique_ptr<TurnClient> MakeDirectClient(asio::any_io_executor executor,
                                             const Options& options) {
  return std::make_unique<DirectClient>(executor, options);
}

}  // namespace loadgen
