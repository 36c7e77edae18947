// Token estimation; the formula is documented in usage.hpp.
#include "chat/usage.hpp"

#include "text/word_scan.hpp"

namespace chat {
namespace {

constexpr std::int64_t kBytesPerToken = 4;

// Code points that Qwen-style tokenizers spend about one token on each.
bool IsCjkOrFullwidth(char32_t cp) {
  return (cp >= 0x1100 && cp <= 0x11FF) ||  // Hangul Jamo
         (cp >= 0x2E80 && cp <= 0x9FFF) ||  // radicals, CJK punctuation, kana, ideographs
         (cp >= 0xA960 && cp <= 0xA97F) ||  // Hangul Jamo Extended-A
         (cp >= 0xAC00 && cp <= 0xD7FF) ||  // Hangul syllables, Jamo Extended-B
         (cp >= 0xF900 && cp <= 0xFAFF) ||  // CJK compatibility ideographs
         (cp >= 0xFE30 && cp <= 0xFE4F) ||  // CJK compatibility forms
         (cp >= 0xFF00 && cp <= 0xFFEF) ||  // halfwidth and fullwidth forms
         (cp >= 0x20000 && cp <= 0x3FFFF);  // ideograph extensions B and later
}

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Length of the valid UTF-8 sequence at text[pos] and its code point; 0 when the byte there does
// not start one (stray continuation, overlong form, surrogate, beyond U+10FFFF, truncated).
std::size_t DecodeAt(std::string_view text, std::size_t pos, char32_t& cp) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  std::size_t length = 0;
  char32_t min = 0;
  if (lead < 0x80) {
    cp = lead;
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    cp = lead & 0x1F;
    min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    cp = lead & 0x0F;
    min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    cp = lead & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (text.size() - pos < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto byte = static_cast<unsigned char>(text[pos + i]);
    if (!IsContinuation(byte)) return 0;
    cp = (cp << 6) | (byte & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return length;
}

}  // namespace

std::int64_t EstimateTokens(std::string_view text) {
  if (text.empty()) return 0;
  std::int64_t cjk = 0;
  std::int64_t other_bytes = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    // ASCII, most of a prompt, a block at a time.
    const std::size_t ascii_end = word_scan::Skip<word_scan::NonAscii>(text, pos);
    other_bytes += static_cast<std::int64_t>(ascii_end - pos);
    pos = ascii_end;
    if (pos == text.size()) break;
    char32_t cp = 0;
    const std::size_t length = DecodeAt(text, pos, cp);
    if (length == 0) {
      ++other_bytes;
      ++pos;
      continue;
    }
    if (IsCjkOrFullwidth(cp)) {
      ++cjk;
    } else {
      other_bytes += static_cast<std::int64_t>(length);
    }
    pos += length;
  }
  const std::int64_t tokens = cjk + (other_bytes + kBytesPerToken - 1) / kBytesPerToken;
  return tokens > 0 ? tokens : 1;
}

Usage EstimateUsage(std::string_view prompt_text, std::size_t message_count,
                    std::string_view completion, std::string_view reasoning) {
  Usage usage;
  usage.prompt_tokens =
      EstimateTokens(prompt_text) + kTokensPerMessage * static_cast<std::int64_t>(message_count);
  usage.reasoning_tokens = EstimateTokens(reasoning);
  usage.completion_tokens = EstimateTokens(completion) + usage.reasoning_tokens;
  return usage;
}

}  // namespace chat
