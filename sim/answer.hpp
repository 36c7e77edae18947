// The text of a simulated answer: deterministic, and showing what the sim saw (turn, session,
// model, question) so tests can assert on session reuse through the gateway.
#pragma once

#include <string>
#include <string_view>

namespace sim {

// Characters of the question quoted in the default answer and in session titles.
inline constexpr std::size_t kQuoteCodePoints = 48;

// "[sim turn=3 session=<sid> model=<key>] <first 48 characters of the question>".
// An empty model shows as "auto" (what Lingma falls back to).
std::string DefaultAnswer(int turn, std::string_view session, std::string_view model,
                          std::string_view question);

// Prepends the inline reasoning block Lingma streams inside chat/answer:
// "\n````think::{THINK_TIME}\nsim reasoning for turn N\n````\n" + answer. The placeholder stays
// literal (also in fullAnswer), as observed mid-stream.
std::string WithThinkBlock(std::string_view answer, int turn);

// Session title for session/title/update: the start of the question.
std::string_view SessionTitle(std::string_view question);

}  // namespace sim
