// Conversation histories; see sessions.hpp.
#include "sim/sessions.hpp"

namespace sim {

const std::string* Sessions::Resolve(std::string_view id) const {
  const std::string key(id);
  if (auto it = histories_.find(key); it != histories_.end()) return &it->first;
  if (auto it = aliases_.find(key); it != aliases_.end()) return &it->second;
  return nullptr;
}

bool Sessions::Knows(std::string_view id) const { return Resolve(id) != nullptr; }

TurnPlan Sessions::BeginTurn(std::string_view asked_id, std::size_t question_bytes,
                             bool alias_on_finish) {
  TurnPlan plan;
  plan.session_id = asked_id.empty() ? new_id_() : std::string(asked_id);
  const std::string* canonical = Resolve(plan.session_id);
  plan.new_session = canonical == nullptr;
  plan.canonical_id = canonical ? *canonical : plan.session_id;

  History& history = histories_[plan.canonical_id];
  plan.prompt_bytes = history.bytes + question_bytes;
  plan.processed_bytes = plan.new_session ? plan.prompt_bytes : question_bytes;
  history.turns += 1;
  history.bytes += question_bytes;
  plan.turn = history.turns;

  plan.finish_session_id = plan.session_id;
  if (alias_on_finish) {
    std::string alias = new_id_();
    while (Resolve(alias) != nullptr) alias = new_id_();
    aliases_.emplace(alias, plan.canonical_id);
    history.aliases.push_back(alias);
    plan.finish_session_id = std::move(alias);
  }
  return plan;
}

void Sessions::AddAnswer(std::string_view id, std::size_t answer_bytes) {
  const std::string* canonical = Resolve(id);
  if (canonical == nullptr) return;
  histories_[*canonical].bytes += answer_bytes;
}

bool Sessions::Delete(std::string_view id) {
  const std::string* found = Resolve(id);
  if (found == nullptr) return false;
  const std::string canonical = *found;  // copy: erasing invalidates `found`
  auto it = histories_.find(canonical);
  for (const std::string& alias : it->second.aliases) aliases_.erase(alias);
  histories_.erase(it);
  return true;
}

}  // namespace sim
