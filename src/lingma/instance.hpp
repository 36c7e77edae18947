// One supervised Lingma process: spawn (or attach), connect, initialize, keep alive, reconnect
// with backoff, route chat pushes into per-turn streams, stop and reap on shutdown.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>

#include "lingma/backoff.hpp"
#include "lingma/chat_shapes.hpp"
#include "lingma/error.hpp"
#include "lingma/instance_state.hpp"

namespace obs {
class Logger;
}

namespace lingma {

enum class LaunchMode { kSpawn, kAttach };

struct InstanceOptions {
  int index = 0;
  LaunchMode mode = LaunchMode::kSpawn;
  std::filesystem::path binary;         // spawn: the Lingma executable
  std::vector<std::string> extra_args;  // appended after `start --workDir …`
  std::filesystem::path work_dir;       // spawn: this instance's own; attach: where `.info` lives
  int socket_port = 0;  // spawn: port to pass (0 = pick a free one); attach: 0 = `.info`
  std::map<std::string, std::string> child_env;  // the child's whole environment
  std::chrono::milliseconds startup_timeout{30000};
  std::chrono::milliseconds rpc_timeout{10000};
  std::chrono::milliseconds heartbeat_interval{30000};  // 0 = off
  std::chrono::milliseconds stop_grace{3000};           // SIGTERM → SIGKILL
  BackoffPolicy backoff;
  int failures_before_failed = 3;  // consecutive failed starts before the state says `failed`
  std::size_t turn_buffer = 4096;  // pushes buffered per chat turn before it is cut off
  std::string client_version = "0.0.0";
};

// What a chat turn yields, in order; the turn ends with FinishPush.
using ChatEvent = std::variant<AnswerPush, ThinkPush, FinishPush>;

struct InstanceCore;

// The caller's handle on one chat turn. Dropping it before the finish stops the turn upstream.
class ChatTurn {
 public:
  ~ChatTurn();
  ChatTurn(const ChatTurn&) = delete;
  ChatTurn& operator=(const ChatTurn&) = delete;

  // The next event. Errors: kDisconnected (Lingma went away mid-turn), kTimeout (no push for
  // `idle_timeout`), kOverloaded (the caller fell too far behind), kCancelled.
  boost::asio::awaitable<Result<ChatEvent>> Next(std::chrono::milliseconds idle_timeout);

  // Sends chat/stop unless the turn already finished; later pushes are ignored. Idempotent.
  void Cancel();

  // Events already received and waiting: Next() returns the first of them without waiting.
  std::size_t ready() const;

  // While the caller waits in Next() with nothing queued, an answer or think push is offered to
  // `take` as it arrives, on the reader's stack; if `take` returns true the push is consumed
  // and Next() keeps waiting. A stream of deltas then costs no resumption of the caller per
  // delta. Everything else (the finish, errors, pushes behind queued ones, pushes `take`
  // declines) comes through Next() in order. Empty: off. Reset on Cancel().
  using TakeNow = std::function<bool(ChatEvent& event)>;
  void OfferDirectly(TakeNow take);

  const std::string& request_id() const { return request_id_; }

  struct State;
  ChatTurn(std::weak_ptr<InstanceCore> core, std::shared_ptr<State> state, std::string request_id,
           std::string session_id);

 private:
  std::weak_ptr<InstanceCore> core_;
  std::shared_ptr<State> state_;
  std::string request_id_;
  std::string session_id_;
};

class Instance {
 public:
  Instance(boost::asio::any_io_executor executor, InstanceOptions options, obs::Logger& logger);
  ~Instance();  // kills and reaps a child that is still running
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // Starts the supervisor; returns at once (instances of a pool start concurrently).
  void Start();
  // Stops the supervisor, closes the connection, stops and reaps the Lingma process.
  boost::asio::awaitable<void> Stop();

  InstanceState state() const;
  InstanceSnapshot Snapshot() const;
  // Bytes Lingma sent that the gateway has not read yet (net::WsConnection::unread_bytes): about
  // zero while the gateway keeps up with it. A system call, so not part of Snapshot, which the
  // pool and the relay take several times per request.
  std::size_t unread_bytes() const;
  // Called on every state change (for pools and metrics).
  void OnStateChange(std::function<void(InstanceState)> callback);

  // One JSON-RPC request with the configured deadline (or `timeout` when given).
  boost::asio::awaitable<Result<boost::json::value>> Call(
      std::string method, boost::json::value params,
      std::chrono::milliseconds timeout = std::chrono::milliseconds::zero());

  // A request whose answer nobody needs (Lingma's response is dropped): nothing to wait for, and
  // nothing is sent while Lingma is not connected. It leaves with the connection's next batch.
  void SendAndForget(std::string_view method, const boost::json::value& params);

  // Sends chat/ask as a request and returns the turn once Lingma accepted it.
  boost::asio::awaitable<Result<std::unique_ptr<ChatTurn>>> StartChat(ChatAsk ask);

 private:
  std::shared_ptr<InstanceCore> core_;
};

}  // namespace lingma
