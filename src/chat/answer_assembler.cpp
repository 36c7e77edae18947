// The per-turn answer state machine; its policies are documented in answer_assembler.hpp.
#include "chat/answer_assembler.hpp"

namespace chat {
namespace {

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::size_t CommonPrefix(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i;
}

// Moves a cut in `text` back to the start of the character it falls into, so what is emitted
// from there on is whole characters.
std::size_t CharacterStart(std::string_view text, std::size_t cut) {
  while (cut > 0 && cut < text.size() && IsContinuation(text[cut])) --cut;
  return cut;
}

}  // namespace

std::string AnswerAssembler::Channel::Append(std::string_view delta) {
  if (covered_ == sent_.size()) {
    sent_.append(delta);
    covered_ = sent_.size();
    return std::string(delta);
  }
  // The client already holds sent_[covered_..]: emit only what goes beyond or differs.
  const std::string_view ahead = std::string_view(sent_).substr(covered_);
  std::size_t same = CommonPrefix(delta, ahead);
  if (same == delta.size()) {
    covered_ += same;
    return {};
  }
  if (same < ahead.size()) {
    diverged_ = true;
    same = CharacterStart(delta, same);
    sent_.resize(covered_ + same);
  }
  const std::string_view fresh = delta.substr(same);
  sent_.append(fresh);
  covered_ = sent_.size();
  return std::string(fresh);
}

std::string AnswerAssembler::Channel::Replace(std::string_view text) {
  std::size_t same = CommonPrefix(sent_, text);
  if (same == text.size() && same < sent_.size()) {
    covered_ = same;  // Lingma's text lags behind what was sent: wait for it to catch up
    return {};
  }
  if (same < sent_.size()) {
    diverged_ = true;
    same = CharacterStart(text, same);
  }
  sent_.assign(text);
  covered_ = sent_.size();
  return std::string(text.substr(same));
}

AnswerAssembler::Output AnswerAssembler::OnAnswer(std::string_view text, bool overwrite) {
  Output out;
  if (finished_ || text.empty()) return out;
  any_delta_ = true;
  if (overwrite) {
    upstream_.assign(text);
  } else {
    upstream_.append(text);
  }
  if (!overwrite) {
    Take(splitter_.Feed(text), /*keep_reasoning=*/true, out);
    return out;
  }
  splitter_.Reset();
  const ThinkSplitter::Output split = splitter_.Feed(text);
  out.content = content_channel_.Replace(split.content);
  out.reasoning = reasoning_channel_.Replace(split.reasoning);
  content_ += out.content;
  reasoning_ += out.reasoning;
  return out;
}

AnswerAssembler::Output AnswerAssembler::OnThink(std::string_view text) {
  Output out;
  if (finished_ || text.empty()) return out;
  think_pushed_ = true;
  think_.append(text);
  out.reasoning = std::string(text);
  reasoning_ += out.reasoning;
  return out;
}

AnswerAssembler::Output AnswerAssembler::OnFinish(std::string_view full_answer) {
  Output out;
  if (finished_) return out;
  finished_ = true;
  if (any_delta_) {
    Take(splitter_.Finish(), /*keep_reasoning=*/true, out);
    return out;
  }
  upstream_.assign(full_answer);
  splitter_.Reset();
  ThinkSplitter::Output split = splitter_.Feed(full_answer);
  const ThinkSplitter::Output rest = splitter_.Finish();
  split.content += rest.content;
  split.reasoning += rest.reasoning;
  Take(split, /*keep_reasoning=*/!think_pushed_, out);
  return out;
}

AnswerAssembler::Output AnswerAssembler::Complete() const {
  ThinkSplitter splitter;
  ThinkSplitter::Output split = splitter.Feed(upstream_);
  const ThinkSplitter::Output rest = splitter.Finish();
  Output out;
  out.content = split.content + rest.content;
  out.reasoning = think_;
  // fullAnswer repeats what chat/think delivered; deltas do not.
  if (any_delta_ || !think_pushed_) out.reasoning += split.reasoning + rest.reasoning;
  return out;
}

void AnswerAssembler::Take(const ThinkSplitter::Output& split, bool keep_reasoning, Output& out) {
  const std::string content = content_channel_.Append(split.content);
  const std::string reasoning =
      keep_reasoning ? reasoning_channel_.Append(split.reasoning) : std::string();
  out.content += content;
  out.reasoning += reasoning;
  content_ += content;
  reasoning_ += reasoning;
}

}  // namespace chat
