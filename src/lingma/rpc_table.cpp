// JSON-RPC peer bookkeeping; see rpc_table.hpp.
#include "lingma/rpc_table.hpp"

#include <algorithm>
#include <utility>

#include "lingma/push_scanner.hpp"

namespace lingma {

std::int64_t RpcTable::Add(std::string method, Clock::time_point deadline) {
  const std::int64_t id = next_id_++;
  pending_.emplace(id, Pending{id, std::move(method), deadline});
  return id;
}

std::optional<RpcTable::Pending> RpcTable::Take(std::int64_t id) {
  auto node = pending_.extract(id);
  if (node.empty()) return std::nullopt;
  return std::move(node.mapped());
}

std::vector<RpcTable::Pending> RpcTable::TakeExpired(Clock::time_point now) {
  std::vector<Pending> expired;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline <= now) {
      expired.push_back(std::move(it->second));
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  // Map order already sorts by id, so a stable sort keeps ties in id order.
  std::stable_sort(expired.begin(), expired.end(),
                   [](const Pending& a, const Pending& b) { return a.deadline < b.deadline; });
  return expired;
}

std::vector<RpcTable::Pending> RpcTable::TakeAll() {
  std::vector<Pending> all;
  all.reserve(pending_.size());
  for (auto& [id, pending] : pending_) all.push_back(std::move(pending));
  pending_.clear();
  return all;
}

std::optional<RpcTable::Clock::time_point> RpcTable::NextDeadline() const {
  std::optional<Clock::time_point> next;
  for (const auto& [id, pending] : pending_) {
    if (!next || pending.deadline < *next) next = pending.deadline;
  }
  return next;
}

Inbound ClassifyInbound(std::string_view body, boost::json::storage_ptr storage) {
  if (std::optional<Inbound> push = ScanChatPush(body, storage)) return std::move(*push);
  return ClassifyInboundFromTree(body, std::move(storage));
}

Inbound ClassifyInboundFromTree(std::string_view body, boost::json::storage_ptr storage) {
  Inbound in{.message = rpc::Parse(body, std::move(storage))};
  rpc::Message& m = in.message;
  switch (m.kind) {
    case rpc::Kind::kResponse:
      in.action = Inbound::Action::kResponse;
      break;
    case rpc::Kind::kRequest:
    case rpc::Kind::kNotification:
      if (m.kind == rpc::Kind::kRequest) in.reply = rpc::Reply{};
      in.push = ParseChatPush(m.method, m.params);
      if (in.push) {
        in.action = Inbound::Action::kChatPush;
      } else {
        in.action = m.kind == rpc::Kind::kRequest ? Inbound::Action::kServerRequest
                                                  : Inbound::Action::kServerNotification;
      }
      break;
    case rpc::Kind::kInvalid:
      in.action = Inbound::Action::kInvalid;
      // A request we cannot read still deserves an answer, or Lingma waits on it.
      if (!m.method.empty() && !m.id.is_null()) {
        in.reply = rpc::Reply{rpc::kInvalidRequest, m.invalid_reason};
      }
      break;
  }
  return in;
}

}  // namespace lingma
