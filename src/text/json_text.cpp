// JSON text writing; see json_text.hpp.
#include "text/json_text.hpp"

#include <charconv>

#include "text/utf8.hpp"
#include "text/word_scan.hpp"

namespace json_text {
namespace {

bool NeedsAttention(unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80; }

// The bytes of `word` that need attention, flagged in their high bits as word_scan::Skip wants:
// the same test as NeedsAttention, a word at a time, so that long plain runs (most of a prompt)
// are skipped eight bytes per step. The borrows of the subtractions reach only bytes above one
// that needs attention, so the lowest flag is exact.
std::uint64_t AttentionFlags(std::uint64_t word) {
  using word_scan::kHighBits, word_scan::kOnes;
  // With `& kHighBits`, flags the zero bytes of `v` (a borrow starts only there).
  const auto zero_bytes = [](std::uint64_t v) { return (v - kOnes) & ~v; };
  // Likewise for a byte below 0x20 (bytes from 0x80 up are flagged by `word` itself).
  const std::uint64_t below_space = (word - 0x20 * kOnes) & ~word;
  return (word | below_space | zero_bytes(word ^ ('"' * kOnes)) |
          zero_bytes(word ^ ('\\' * kOnes))) &
         kHighBits;
}

// What AppendQuoted must look at, for word_scan::Skip.
struct NeedsAttentionTest {
  static std::uint64_t Word(std::uint64_t word) { return AttentionFlags(word); }
#if defined(__SSE2__)
  static unsigned Block(__m128i block) {
    const __m128i quote_or_backslash = _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('"')),
                                                    _mm_cmpeq_epi8(block, _mm_set1_epi8('\\')));
    // Compared as signed bytes: below 0x20, or from 0x80 up (negative).
    const __m128i control_or_high = _mm_cmplt_epi8(block, _mm_set1_epi8(0x20));
    return static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(quote_or_backslash, control_or_high)));
  }
#endif
};

// A quote, a backslash or a control character, escaped.
void AppendEscaped(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out.append("\\\"");
      break;
    case '\\':
      out.append("\\\\");
      break;
    case '\n':
      out.append("\\n");
      break;
    case '\r':
      out.append("\\r");
      break;
    case '\t':
      out.append("\\t");
      break;
    case '\b':
      out.append("\\b");
      break;
    case '\f':
      out.append("\\f");
      break;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out.append(escaped, sizeof escaped);
    }
  }
}

// Copies runs that need nothing in one append; `repair` decides what bytes from 0x80 up become.
void AppendQuoted(std::string& out, std::string_view text, bool repair) {
  out.reserve(out.size() + text.size() + 2);
  out.push_back('"');
  std::size_t run_start = 0;
  std::size_t i = 0;
  const auto flush = [&] { out.append(text.data() + run_start, i - run_start); };
  while (i < text.size()) {
    i = word_scan::Skip<NeedsAttentionTest>(text, i);
    if (i == text.size()) break;
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (!NeedsAttention(c)) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const int length = repair ? utf8::SequenceLength(text.substr(i)) : 1;
      if (length > 0) {
        i += static_cast<std::size_t>(length);  // valid multi-byte characters stay in the run
        continue;
      }
      flush();
      out.append(utf8::kReplacementCharacter);
      i += static_cast<std::size_t>(-length);
      run_start = i;
      continue;
    }
    flush();
    AppendEscaped(out, c);
    ++i;
    run_start = i;
  }
  flush();
  out.push_back('"');
}

}  // namespace

void AppendString(std::string& out, std::string_view text) { AppendQuoted(out, text, true); }

void AppendStringVerbatim(std::string& out, std::string_view text) {
  AppendQuoted(out, text, false);
}

void AppendInt(std::string& out, std::int64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

}  // namespace json_text
