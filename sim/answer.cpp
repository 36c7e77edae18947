// Simulated answer text; see answer.hpp.
#include "sim/answer.hpp"

#include "sim/utf8.hpp"

namespace sim {

std::string DefaultAnswer(int turn, std::string_view session, std::string_view model,
                          std::string_view question) {
  std::string out;
  out.reserve(64 + session.size() + model.size() + question.size());
  out.append("[sim turn=").append(std::to_string(turn));
  out.append(" session=").append(session);
  out.append(" model=").append(model.empty() ? std::string_view("auto") : model);
  out.append("] ").append(CodePointPrefix(question, kQuoteCodePoints));
  return out;
}

std::string WithThinkBlock(std::string_view answer, int turn) {
  std::string out = "\n````think::{THINK_TIME}\nsim reasoning for turn ";
  out.append(std::to_string(turn)).append("\n````\n").append(answer);
  return out;
}

std::string_view SessionTitle(std::string_view question) {
  return CodePointPrefix(question, kQuoteCodePoints);
}

}  // namespace sim
