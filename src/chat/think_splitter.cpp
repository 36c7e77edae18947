// The think-block state machine; the recognised markers are documented in think_splitter.hpp.
#include "chat/think_splitter.hpp"

namespace chat {
namespace {

constexpr std::string_view kFencedOpen = "````think::";
constexpr std::string_view kThinkTime = "{THINK_TIME}";
constexpr std::string_view kFence = "````";
constexpr std::string_view kTagOpen = "<think>";
constexpr std::string_view kTagClose = "</think>";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Bytes at the end of `text` that start a UTF-8 sequence whose remaining bytes have not arrived.
std::size_t IncompleteUtf8Tail(std::string_view text) {
  const std::size_t lookback = text.size() < 3 ? text.size() : 3;
  for (std::size_t back = 1; back <= lookback; ++back) {
    const auto byte = static_cast<unsigned char>(text[text.size() - back]);
    if ((byte & 0xC0) == 0x80) continue;  // continuation: keep looking for the lead byte
    std::size_t length = 1;
    if (byte >= 0xC2 && byte <= 0xDF) {
      length = 2;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      length = 3;
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      length = 4;
    }
    return length > back ? back : 0;
  }
  return 0;
}

}  // namespace

ThinkSplitter::Output ThinkSplitter::Feed(std::string_view delta) {
  Output out;
  pending_.append(delta);
  Drain(/*at_end=*/false, out);
  return out;
}

ThinkSplitter::Output ThinkSplitter::Finish() {
  Output out;
  Drain(/*at_end=*/true, out);
  return out;
}

void ThinkSplitter::Reset() { *this = ThinkSplitter(); }

void ThinkSplitter::Drain(bool at_end, Output& out) {
  for (;;) {
    std::size_t pos = 0;
    MarkerMatch found;
    for (; pos < pending_.size(); ++pos) {
      found = MatchAt(pos, at_end);
      if (found.match != Match::kNone) break;
    }
    if (found.match == Match::kFull) {
      Emit(std::string_view(pending_).substr(0, pos), out);
      pending_.erase(0, pos + found.length);
      mode_ = found.next;
      block_empty_ = true;
      continue;
    }
    if (found.match == Match::kPartial) {
      // Markers are ASCII, so `pos` is a character boundary: nothing before it is held back.
      Emit(std::string_view(pending_).substr(0, pos), out);
      pending_.erase(0, pos);
      return;
    }
    const std::size_t keep = at_end ? 0 : IncompleteUtf8Tail(pending_);
    Emit(std::string_view(pending_).substr(0, pending_.size() - keep), out);
    pending_.erase(0, pending_.size() - keep);
    return;
  }
}

void ThinkSplitter::Emit(std::string_view bytes, Output& out) {
  if (bytes.empty()) return;
  if (mode_ == Mode::kContent) {
    out.content.append(bytes);
    content_empty_ = false;
    content_line_start_ = bytes.back() == '\n';
  } else {
    if (block_empty_ && !reasoning_empty_) out.reasoning.append("\n\n");
    out.reasoning.append(bytes);
    block_empty_ = false;
    reasoning_empty_ = false;
  }
}

ThinkSplitter::MarkerMatch ThinkSplitter::MatchAt(std::size_t pos, bool at_end) const {
  switch (mode_) {
    case Mode::kFencedThink:
      return MatchFencedClose(pos, at_end);
    case Mode::kTagThink:
      return MatchTagClose(pos, at_end);
    case Mode::kContent:
      break;
  }
  if (pos == 0 && content_empty_ && pending_[0] == '\n') {
    // Nothing answered yet: a line break in front of an opening marker is the marker's own.
    if (pending_.size() == 1) return {at_end ? Match::kNone : Match::kPartial};
    MarkerMatch open = MatchOpen(1, at_end);
    if (open.match == Match::kFull) ++open.length;
    return open;
  }
  const bool line_start = pos == 0 ? content_line_start_ : pending_[pos - 1] == '\n';
  if (!line_start) return {};
  return MatchOpen(pos, at_end);
}

ThinkSplitter::MarkerMatch ThinkSplitter::MatchOpen(std::size_t pos, bool at_end) const {
  if (pending_[pos] == '`') return MatchFencedOpen(pos, at_end);
  if (pending_[pos] == '<') return MatchTagOpen(pos, at_end);
  return {};
}

ThinkSplitter::MarkerMatch ThinkSplitter::MatchFencedOpen(std::size_t pos, bool at_end) const {
  // At the end of the stream a marker that is still incomplete is plain text.
  const MarkerMatch undecided{at_end ? Match::kNone : Match::kPartial};
  const Match head = MatchLiteral(kFencedOpen, pos);
  if (head != Match::kFull) return head == Match::kNone ? MarkerMatch{} : undecided;
  std::size_t end = pos + kFencedOpen.size();
  if (end == pending_.size()) return undecided;
  if (pending_[end] == '{') {
    const Match time = MatchLiteral(kThinkTime, end);
    if (time != Match::kFull) return time == Match::kNone ? MarkerMatch{} : undecided;
    end += kThinkTime.size();
  } else if (IsDigit(pending_[end])) {
    while (end < pending_.size() && IsDigit(pending_[end])) ++end;
  } else {
    return {};
  }
  if (end == pending_.size()) return undecided;
  if (pending_[end] != '\n') return {};
  return {Match::kFull, end + 1 - pos, Mode::kFencedThink};
}

ThinkSplitter::MarkerMatch ThinkSplitter::MatchTagOpen(std::size_t pos, bool at_end) const {
  const Match tag = MatchLiteral(kTagOpen, pos);
  if (tag == Match::kNone) return {};
  if (tag == Match::kPartial) return {at_end ? Match::kNone : Match::kPartial};
  const std::size_t end = pos + kTagOpen.size();
  if (end == pending_.size()) {
    // One more byte decides whether a "\n" belongs to the marker.
    if (!at_end) return {Match::kPartial};
    return {Match::kFull, kTagOpen.size(), Mode::kTagThink};
  }
  const std::size_t newline = pending_[end] == '\n' ? 1 : 0;
  return {Match::kFull, kTagOpen.size() + newline, Mode::kTagThink};
}

ThinkSplitter::MarkerMatch ThinkSplitter::MatchFencedClose(std::size_t pos, bool at_end) const {
  std::size_t fence = pos;
  if (pending_[pos] == '\n') {
    fence = pos + 1;
  } else if (!(pos == 0 && block_empty_)) {
    // Without its own line break a fence closes only an empty block, whose opening marker
    // already ate the line break.
    return {};
  }
  const MarkerMatch undecided{at_end ? Match::kNone : Match::kPartial};
  const Match match = MatchLiteral(kFence, fence);
  if (match != Match::kFull) return match == Match::kNone ? MarkerMatch{} : undecided;
  const std::size_t end = fence + kFence.size();
  if (end == pending_.size()) {
    if (!at_end) return {Match::kPartial};
    return {Match::kFull, end - pos, Mode::kContent};
  }
  if (pending_[end] != '\n') return {};  // "````python" and the like are reasoning text
  return {Match::kFull, end + 1 - pos, Mode::kContent};
}

ThinkSplitter::MarkerMatch ThinkSplitter::MatchTagClose(std::size_t pos, bool at_end) const {
  const std::size_t tag = pending_[pos] == '\n' ? pos + 1 : pos;
  const Match match = MatchLiteral(kTagClose, tag);
  if (match == Match::kNone) return {};
  if (match == Match::kPartial) return {at_end ? Match::kNone : Match::kPartial};
  const std::size_t end = tag + kTagClose.size();
  if (end == pending_.size()) {
    if (!at_end) return {Match::kPartial};
    return {Match::kFull, end - pos, Mode::kContent};
  }
  const std::size_t newline = pending_[end] == '\n' ? 1 : 0;
  return {Match::kFull, end + newline - pos, Mode::kContent};
}

// kFull when `literal` is at `pos`, kPartial when the buffer ends inside a match, else kNone.
ThinkSplitter::Match ThinkSplitter::MatchLiteral(std::string_view literal, std::size_t pos) const {
  const std::string_view rest = std::string_view(pending_).substr(pos);
  if (rest.size() >= literal.size()) {
    return rest.substr(0, literal.size()) == literal ? Match::kFull : Match::kNone;
  }
  return literal.substr(0, rest.size()) == rest ? Match::kPartial : Match::kNone;
}

}  // namespace chat
