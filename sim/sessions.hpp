// Conversation histories the sim keeps per sessionId, as Lingma does: turn numbers, aliases
// (the finish-new-session switch) and the prompt bytes a turn costs to prefill.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sim {

struct TurnPlan {
  std::string session_id;           // this turn's pushes carry it: as asked, or allocated for ""
  std::string canonical_id;         // the id that started the history (answers show it)
  std::string finish_session_id;    // what chat/finish reports (a fresh alias with the switch)
  int turn = 1;                     // 1-based position within the history
  bool new_session = true;          // this ask started the history (session/title/update is sent)
  std::size_t prompt_bytes = 0;     // stored history + question: what Lingma would send upstream
  std::size_t processed_bytes = 0;  // what the model prefills: all of it for a new session, only
                                    // the question for a continued one (the rest is cached)
};

class Sessions {
 public:
  using IdGenerator = std::function<std::string()>;

  explicit Sessions(IdGenerator new_id) : new_id_(std::move(new_id)) {}

  // Starts a turn on `asked_id` (empty: allocate one). A known id or alias continues its
  // history whatever isReply says; an unknown id starts a history under that id. The question
  // counts into the history right away, so concurrent turns on one session get distinct turns.
  TurnPlan BeginTurn(std::string_view asked_id, std::size_t question_bytes, bool alias_on_finish);

  // Adds the answer's bytes to the history of `id` (id or alias); no-op for unknown ids.
  void AddAnswer(std::string_view id, std::size_t answer_bytes);

  // Forgets the history that `id` (id or alias) belongs to, with all its aliases.
  bool Delete(std::string_view id);

  bool Knows(std::string_view id) const;
  std::size_t size() const { return histories_.size(); }

 private:
  struct History {
    int turns = 0;
    std::size_t bytes = 0;
    std::vector<std::string> aliases;
  };

  // The canonical id that `id` names, or nullptr.
  const std::string* Resolve(std::string_view id) const;

  IdGenerator new_id_;
  std::unordered_map<std::string, History> histories_;    // by canonical id
  std::unordered_map<std::string, std::string> aliases_;  // alias -> canonical id
};

}  // namespace sim
