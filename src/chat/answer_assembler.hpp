// One turn's answer: Lingma's chat/answer, chat/think and chat/finish pushes → content and
// reasoning deltas for the client.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "chat/think_splitter.hpp"

namespace chat {

// Feed the pushes of one turn in arrival order; every call returns the deltas to send now.
//
// Policies:
// - Empty answer texts are ignored, also with `overwrite` (clearing cannot be unsent, and an
//   empty replacement carries nothing to show).
// - Answer text runs through a ThinkSplitter: inline think blocks become reasoning.
// - `overwrite` replaces the whole answer. The new text is split again from scratch and compared,
//   per channel (content, reasoning from the answer), with what the client was sent:
//   * it extends what was sent → only the new part is emitted;
//   * it is a shorter prefix of what was sent → nothing is emitted, and later deltas are emitted
//     only where they go beyond (or differ from) what the client already has;
//   * it diverges → what was sent cannot be taken back: the part after the common prefix (cut
//     back to a character boundary) is emitted, and diverged() turns true, so the caller can
//     log it. From then on the new text is what later overwrites are compared with.
// - chat/think texts go straight to reasoning; overwrites do not touch them.
// - chat/finish: flushes the splitter. `full_answer` is used only when no answer text arrived at
//   all (it may be empty even on success, so deltas are what counts); it is split like a stream.
//   Its reasoning is dropped if chat/think already delivered reasoning, which it would repeat.
// - After finish every call returns nothing (late pushes are ignored).
class AnswerAssembler {
 public:
  struct Output {
    std::string content;
    std::string reasoning;
  };

  Output OnAnswer(std::string_view text, bool overwrite);
  Output OnThink(std::string_view text);
  Output OnFinish(std::string_view full_answer);

  // The answer as Lingma finally means it (overwrites applied, split afresh), for clients that
  // get the whole answer at once: unlike content(), it never holds text Lingma took back.
  Output Complete() const;

  const std::string& content() const { return content_; }  // everything emitted as content
  const std::string& reasoning() const { return reasoning_; }
  bool any_delta() const { return any_delta_; }  // a non-empty chat/answer text arrived
  bool diverged() const { return content_channel_.diverged() || reasoning_channel_.diverged(); }

 private:
  // Keeps one channel of what the client was sent aligned with the text Lingma currently means.
  class Channel {
   public:
    std::string Append(std::string_view delta);  // returns the bytes to emit
    std::string Replace(std::string_view text);  // the whole channel text after an overwrite
    bool diverged() const { return diverged_; }

   private:
    std::string sent_;         // the client's text, in terms of Lingma's current text
    std::size_t covered_ = 0;  // bytes of Lingma's current text; sent_ may run ahead of it
    bool diverged_ = false;
  };

  void Take(const ThinkSplitter::Output& split, bool keep_reasoning, Output& out);

  std::string upstream_;  // Lingma's current answer text (deltas appended, overwrites applied)
  std::string think_;     // chat/think texts
  ThinkSplitter splitter_;
  Channel content_channel_;
  Channel reasoning_channel_;  // reasoning from think blocks inside the answer text
  std::string content_;
  std::string reasoning_;
  bool any_delta_ = false;
  bool think_pushed_ = false;
  bool finished_ = false;
};

}  // namespace chat
