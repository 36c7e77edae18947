// UTF-8 validation and repair; see utf8.hpp.
#include "text/utf8.hpp"

#include "text/word_scan.hpp"

namespace utf8 {

int SequenceLength(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  int length = 0;
  // Allowed range of the second byte: narrower than 80..BF for these leads, which is what
  // excludes overlong forms, UTF-16 surrogates (ED A0..) and code points above U+10FFFF
  // (Unicode table 3-7).
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return -1;  // a continuation byte without a lead, C0/C1 (always overlong) or F5..FF
  }
  for (int i = 1; i < length; ++i) {
    if (static_cast<std::size_t>(i) >= s.size()) return -i;  // truncated at the end
    const unsigned char b = byte(static_cast<std::size_t>(i));
    const unsigned char lo = i == 1 ? low : 0x80;
    const unsigned char hi = i == 1 ? high : 0xBF;
    if (b < lo || b > hi) return -i;
  }
  return length;
}

namespace {

// Index of the first byte of the first ill-formed sequence, or s.size().
std::size_t FirstIllFormed(std::string_view s, std::size_t from) {
  std::size_t i = from;
  while (i < s.size()) {
    i = word_scan::Skip<word_scan::NonAscii>(s, i);  // Lingma's JSON is mostly ASCII
    if (i >= s.size()) break;
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const int length = SequenceLength(s.substr(i));
    if (length < 0) return i;
    i += static_cast<std::size_t>(length);
  }
  return s.size();
}

}  // namespace

bool IsWellFormed(std::string_view s) { return FirstIllFormed(s, 0) == s.size(); }

void AppendRepaired(std::string& out, std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t bad = FirstIllFormed(s, i);
    out.append(s.data() + i, bad - i);
    if (bad == s.size()) break;
    out += kReplacementCharacter;
    i = bad + static_cast<std::size_t>(-SequenceLength(s.substr(bad)));
  }
}

}  // namespace utf8
