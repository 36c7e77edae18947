// Fuzzes chat::ThinkSplitter with fuzzer-chosen delta boundaries (input layout: fuzz::SplitInput).
//
// Invariants:
// - the concatenated content and the concatenated reasoning do not depend on the cuts: feeding
//   the pieces equals feeding the whole text at once (each followed by Finish);
// - for valid UTF-8 input every Output's content and reasoning is valid UTF-8 on its own (nothing
//   is cut inside a character);
// - without any opening marker in the text, the content is the text byte for byte;
// - markers are only ever removed: content + reasoning is never longer than the input;
// - Reset forgets everything: a reused splitter behaves like a fresh one.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "chat/think_splitter.hpp"
#include "fuzz/fuzz_common.hpp"

namespace {

struct Totals {
  std::string content;
  std::string reasoning;
};

void Collect(const chat::ThinkSplitter::Output& out, bool utf8_input, Totals& totals) {
  if (utf8_input) {
    FUZZ_CHECK_MSG(fuzz::IsValidUtf8(out.content), "content piece is not valid UTF-8 (%zu bytes)",
                   out.content.size());
    FUZZ_CHECK_MSG(fuzz::IsValidUtf8(out.reasoning),
                   "reasoning piece is not valid UTF-8 (%zu bytes)", out.reasoning.size());
  }
  totals.content += out.content;
  totals.reasoning += out.reasoning;
}

Totals OneShot(chat::ThinkSplitter& splitter, std::string_view text, bool utf8_input) {
  Totals totals;
  Collect(splitter.Feed(text), utf8_input, totals);
  Collect(splitter.Finish(), utf8_input, totals);
  return totals;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const fuzz::Split split = fuzz::SplitInput(data, size);
  const std::string_view text = split.payload;
  const bool utf8 = fuzz::IsValidUtf8(text);

  chat::ThinkSplitter pieced;
  Totals streamed;
  for (std::string_view piece : split.pieces) Collect(pieced.Feed(piece), utf8, streamed);
  Collect(pieced.Finish(), utf8, streamed);

  chat::ThinkSplitter fresh;
  const Totals whole = OneShot(fresh, text, utf8);

  FUZZ_CHECK_MSG(streamed.content == whole.content,
                 "content differs: %zu bytes streamed vs %zu bytes whole", streamed.content.size(),
                 whole.content.size());
  FUZZ_CHECK_MSG(streamed.reasoning == whole.reasoning,
                 "reasoning differs: %zu bytes streamed vs %zu bytes whole",
                 streamed.reasoning.size(), whole.reasoning.size());
  FUZZ_CHECK(whole.content.size() + whole.reasoning.size() <= text.size());

  if (text.find("````think::") == std::string_view::npos &&
      text.find("<think>") == std::string_view::npos) {
    FUZZ_CHECK(whole.content == text);
    FUZZ_CHECK(whole.reasoning.empty());
  }

  // The streamed splitter, reset, gives the one-shot answer too (Reset after Finish, and Reset
  // in the middle of a stream).
  pieced.Reset();
  const Totals after_reset = OneShot(pieced, text, utf8);
  FUZZ_CHECK(after_reset.content == whole.content && after_reset.reasoning == whole.reasoning);
  if (!split.pieces.empty()) {
    chat::ThinkSplitter interrupted;
    interrupted.Feed(split.pieces.front());
    interrupted.Reset();
    const Totals again = OneShot(interrupted, text, utf8);
    FUZZ_CHECK(again.content == whole.content && again.reasoning == whole.reasoning);
  }
  return 0;
}
