// Pure bookkeeping of the JSON-RPC peer on a Lingma connection: outstanding requests with
// deadlines, and what to do with each inbound message (route, answer, or drop).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lingma/chat_shapes.hpp"
#include "lingma/jsonrpc.hpp"

namespace lingma {

// Outstanding client→server requests with deadlines. Pure: the async layer owns the waiters and
// the timer; it asks NextDeadline() when to wake and TakeExpired() what to fail. Every entry
// leaves the table exactly once (response, expiry, disconnect, or a failed send via Take), so no
// request is ever left behind.
class RpcTable {
 public:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    std::int64_t id;
    std::string method;
    Clock::time_point deadline;
  };

  // Registers a request and returns its fresh id: 1, 2, 3, ... never reused on this table.
  std::int64_t Add(std::string method, Clock::time_point deadline);
  // On a response (or when sending failed); nullopt if unknown (late, duplicate or foreign).
  std::optional<Pending> Take(std::int64_t id);
  // Entries whose deadline is <= now, earliest deadline first (ties by id).
  std::vector<Pending> TakeExpired(Clock::time_point now);
  // On disconnect: every entry, in id order, to fail them all.
  std::vector<Pending> TakeAll();
  // The earliest deadline, nullopt when empty. Linear: a connection has a handful in flight.
  std::optional<Clock::time_point> NextDeadline() const;
  std::size_t size() const { return pending_.size(); }

 private:
  std::int64_t next_id_ = 1;
  std::map<std::int64_t, Pending> pending_;
};

// What to do with one incoming message from Lingma.
struct Inbound {
  enum class Action {
    kResponse,            // match message.id against RpcTable
    kChatPush,            // route `push` to the turn with push->request_id
    kServerRequest,       // any other server→client request (already answered by `reply`)
    kServerNotification,  // any other notification
    kInvalid,             // drop (message.invalid_reason says why)
  } action = Action::kInvalid;
  rpc::Message message;
  // The answer to send back at once (rpc::AppendReply with message.id). Every server request gets
  // `result: null` so that Lingma never stalls waiting for us, chat pushes and `tool/invoke`
  // included; a malformed request whose id was readable gets a JSON-RPC error.
  std::optional<rpc::Reply> reply;
  std::optional<RoutedPush> push;  // kChatPush
};

// Classifies one frame body. Method first: a server request with id 1 is a request even while our
// own request 1 is pending. A chat push that arrives as a request yields kChatPush and a reply.
// The message's JSON values are allocated from `storage` (see rpc::Parse). Chat pushes, most of
// the traffic, are read by ScanChatPush without building a JSON tree (their message.params is
// then null); everything else as by ClassifyInboundFromTree.
Inbound ClassifyInbound(std::string_view body, boost::json::storage_ptr storage = {});

// The general path alone: rpc::Parse, then the action. Same action, id, method, reply and push
// as ClassifyInbound for every body (the fuzz target checks this).
Inbound ClassifyInboundFromTree(std::string_view body, boost::json::storage_ptr storage = {});

}  // namespace lingma
