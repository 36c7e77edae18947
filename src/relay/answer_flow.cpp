// AnswerFlow: Lingma's pushes through the assembler into the sink; see answer_flow.hpp.
#include "relay/answer_flow.hpp"

#include <variant>

namespace relay {
namespace asio = boost::asio;

AnswerFlow::AnswerFlow(AnswerSink& sink, TurnReport& report, Clock::time_point started)
    : sink_(sink), report_(report), started_(started), last_push_(Clock::now()) {}

chat::AnswerAssembler::Output AnswerFlow::Assemble(lingma::ChatEvent& event) {
  last_push_ = Clock::now();
  if (auto* answer = std::get_if<lingma::AnswerPush>(&event)) {
    filtered_ |= answer->filtered;
    return assembler_.OnAnswer(answer->text, answer->overwrite);
  }
  if (auto* think = std::get_if<lingma::ThinkPush>(&event)) return assembler_.OnThink(think->text);
  return assembler_.OnFinish(std::get<lingma::FinishPush>(event).full_answer);
}

void AnswerFlow::Note(const chat::AnswerAssembler::Output& out) {
  if (out.reasoning.empty() && out.content.empty()) return;
  client_saw_output_ = true;
  if (first_token_pending_) {
    report_.time_to_first_token =
        std::chrono::duration_cast<std::chrono::microseconds>(last_push_ - started_);
    first_token_pending_ = false;
  }
}

bool AnswerFlow::TakeNow(lingma::ChatEvent& event) {
  if (std::holds_alternative<lingma::FinishPush>(event) || !sink_.ready_now()) return false;
  const chat::AnswerAssembler::Output out = Assemble(event);
  Note(out);
  if (!out.reasoning.empty() || !out.content.empty()) sink_.TakeNow(out.reasoning, out.content);
  return true;
}

asio::awaitable<bool> AnswerFlow::Take(lingma::ChatEvent& event, bool more_ready) {
  chat::AnswerAssembler::Output out = Assemble(event);
  Note(out);
  // Reasoning first: a client shows the thinking above the answer it led to.
  if (!out.reasoning.empty()) {
    chat::ChatEvent delta = chat::ReasoningDelta{std::move(out.reasoning)};
    const bool listening = co_await sink_.OnEvent(delta);  // GCC 12: no co_await in a condition
    if (!listening) co_return false;
  }
  if (!out.content.empty()) {
    chat::ChatEvent delta = chat::ContentDelta{std::move(out.content)};
    const bool listening = co_await sink_.OnEvent(delta);
    if (!listening) co_return false;
  }
  // Deltas that arrived together leave together: one write for all that are ready.
  if (std::holds_alternative<lingma::FinishPush>(event) || more_ready) co_return true;
  const bool listening = co_await sink_.Flush();
  co_return listening;
}

}  // namespace relay
