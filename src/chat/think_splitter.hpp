// Streaming separation of the reasoning blocks Lingma inlines in its answer text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace chat {

// Lingma streams reasoning inside chat/answer text as a fenced block, and reasoning models may
// use <think> tags instead:
//
//   ````think::{THINK_TIME}        or ````think::<digits>        or <think>
//   <reasoning>                       <reasoning>                   <reasoning>
//   ````                              ````                          </think>
//
// Recognised markers (everything else is answer text, byte for byte):
// - A block opens only at the start of a line of the answer (its very start, or right after a
//   line break): "````think::" + ("{THINK_TIME}" | one or more digits) + "\n", or "<think>" with
//   one optional "\n" after it. Requiring a line start keeps inline mentions such as `<think>` in
//   prose or code from swallowing the rest of the answer.
// - A fenced block closes with "\n````\n", or "\n````" at the very end of the stream, or
//   "````\n" right after the opening line when the block is empty. "\n````python" and the like
//   do not close it.
// - A tag block closes with "</think>" anywhere, with one optional "\n" before and after it.
// - An unterminated block is reasoning up to the end of the stream.
//
// Newlines: the newline after an opening marker and before a closing marker belong to the
// markers and are stripped, as is the newline after a closing marker, so a block is removed as
// whole lines: "before\n````think::1\nR\n````\nafter" → content "before\nafter", reasoning "R".
// The line break in front of a block is the preceding line's own and stays in the content, except
// when nothing has been answered yet: then it is part of the marker, so "\n````think::…" at the
// start of a stream (what Lingma sends) leaves no stray leading newline in the content.
// The reasoning of consecutive blocks is separated by a blank line ("\n\n"), so their texts do not
// run together.
//
// Streaming: deltas may be cut anywhere, even inside a marker or a UTF-8 sequence. Feed emits
// everything it can decide now and holds back only a tail that may still turn out to be a
// marker, plus an incomplete UTF-8 sequence at the very end, so every Output ends on a character
// boundary (for valid UTF-8 input). The concatenated outputs do not depend on how the input was
// cut.
class ThinkSplitter {
 public:
  struct Output {
    std::string content;
    std::string reasoning;
  };

  // Feeds one delta; returns what can be emitted now.
  Output Feed(std::string_view delta);
  // End of stream: flushes held-back bytes (an unterminated block's text is reasoning).
  Output Finish();
  // Forgets everything (for `overwrite` deltas, which restart the answer).
  void Reset();

 private:
  enum class Mode { kContent, kFencedThink, kTagThink };
  enum class Match { kNone, kPartial, kFull };
  struct MarkerMatch {
    Match match = Match::kNone;
    std::size_t length = 0;  // bytes of the marker when kFull
    Mode next = Mode::kContent;
  };

  void Drain(bool at_end, Output& out);
  void Emit(std::string_view bytes, Output& out);
  MarkerMatch MatchAt(std::size_t pos, bool at_end) const;
  MarkerMatch MatchOpen(std::size_t pos, bool at_end) const;
  MarkerMatch MatchFencedOpen(std::size_t pos, bool at_end) const;
  MarkerMatch MatchTagOpen(std::size_t pos, bool at_end) const;
  MarkerMatch MatchFencedClose(std::size_t pos, bool at_end) const;
  MarkerMatch MatchTagClose(std::size_t pos, bool at_end) const;
  Match MatchLiteral(std::string_view literal, std::size_t pos) const;

  std::string pending_;  // received, not yet emitted
  Mode mode_ = Mode::kContent;
  bool content_empty_ = true;       // no content emitted yet
  bool content_line_start_ = true;  // the last content byte emitted was "\n" (or there is none)
  bool block_empty_ = true;         // no reasoning emitted yet in the current block
  bool reasoning_empty_ = true;     // no reasoning emitted yet at all
};

}  // namespace chat
