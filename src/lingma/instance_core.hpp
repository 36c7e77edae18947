// Internal state of an Instance, shared by instance.cpp (connection, RPC, chat turns) and
// instance_launch.cpp (spawning or attaching to Lingma). Not part of the public interface.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>

#include "lingma/discovery.hpp"
#include "lingma/instance.hpp"
#include "lingma/jsonrpc.hpp"
#include "lingma/rpc_table.hpp"
#include "net/async_queue.hpp"
#include "net/child_process.hpp"
#include "net/ws_client.hpp"

namespace lingma {

struct ChatTurn::State {
  State(boost::asio::any_io_executor executor, std::size_t capacity) : events(executor, capacity) {}
  net::AsyncQueue<ChatEvent> events;
  ChatTurn::TakeNow take_now;      // see ChatTurn::OfferDirectly
  std::optional<Error> end_error;  // why the queue closed without a finish
  bool finished = false;           // chat/finish delivered (or the turn was cancelled)
  // The relay has asked for an event (ChatTurn::Next). Until then pushes are kept whatever their
  // number: Lingma may send a burst before the relay is back from chat/ask, and a client cannot
  // be too slow for what it was never offered.
  bool consumer_started = false;
};

// A caller waiting for the response to one request.
struct CallWaiter {
  explicit CallWaiter(boost::asio::any_io_executor executor) : timer(executor) {}
  boost::asio::steady_timer timer;
  std::optional<Result<boost::json::value>> result;
};

struct InstanceCore : std::enable_shared_from_this<InstanceCore> {
  InstanceCore(boost::asio::any_io_executor executor, InstanceOptions options, obs::Logger& logger);

  // --- supervision (instance.cpp) ---
  boost::asio::awaitable<void> Supervise();
  boost::asio::awaitable<void> ReadLoop(std::shared_ptr<net::WsConnection> connection);
  boost::asio::awaitable<void> Heartbeat(std::shared_ptr<net::WsConnection> connection);
  boost::asio::awaitable<Result<bool>> Handshake();
  void HandleMessage(std::string_view body);
  // A push offered to a waiting turn (ChatTurn::OfferDirectly); false: queue it.
  bool OfferDirectly(ChatTurn::State& turn, ChatEvent& event);
  void FailEverything(const Error& error);
  void SetState(InstanceState state);
  void SetError(std::string message);
  boost::asio::awaitable<void> Sleep(std::chrono::milliseconds duration);  // woken by Stop

  // --- RPC (instance.cpp) ---
  // `params`: written by the caller (rpc::RequestParams::Of, or a renderer such as
  // AppendChatAskParams), and framed where they are.
  boost::asio::awaitable<Result<boost::json::value>> Call(std::string method,
                                                          rpc::RequestParams params,
                                                          std::chrono::milliseconds timeout);
  // A request whose response nobody awaits (chat/stop, session deletion).
  void SendAndForget(std::string_view method, const boost::json::value& params);

  // --- launching (instance_launch.cpp) ---
  // Spawns (or finds) Lingma and connects to it. On failure nothing is left running.
  boost::asio::awaitable<Result<std::shared_ptr<net::WsConnection>>> Establish();
  boost::asio::awaitable<Result<std::shared_ptr<net::WsConnection>>> SpawnAndConnect();
  boost::asio::awaitable<Result<std::shared_ptr<net::WsConnection>>> AttachAndConnect();
  boost::asio::awaitable<Result<std::shared_ptr<net::WsConnection>>> ConnectUntil(
      int port, std::chrono::steady_clock::time_point deadline, bool watch_child);
  // Stops our child and, for a Lingma that daemonized, the process named in `.info`.
  boost::asio::awaitable<void> StopProcesses();
  boost::asio::awaitable<void> RemoveLeftovers();

  boost::asio::any_io_executor executor;
  InstanceOptions options;
  obs::Logger& logger;
  std::mt19937_64 random;

  InstanceState state = InstanceState::kStopped;
  std::function<void(InstanceState)> on_state_change;
  std::string last_error;
  AuthState auth;
  int restarts = 0;
  int lingma_pid = 0;  // from `.info`
  int port = 0;
  bool closing = false;
  bool supervising = false;

  std::unique_ptr<net::ChildProcess> child;
  std::shared_ptr<net::WsConnection> connection;
  RpcTable rpc;
  std::unordered_map<std::int64_t, std::shared_ptr<CallWaiter>> waiters;
  RequestIdMap<std::shared_ptr<ChatTurn::State>> turns;
  boost::asio::steady_timer wake;  // cancelled by Stop to cut sleeps short
  std::string reply_body;          // reused for every reply to a push (one per delta)
  std::string reply_frame;         // the same, framed
};

}  // namespace lingma
