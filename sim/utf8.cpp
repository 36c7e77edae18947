// UTF-8 code-point helpers; see utf8.hpp.
#include "sim/utf8.hpp"

namespace sim {
namespace {

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

bool IsCodePointBoundary(std::string_view text, std::size_t pos) {
  return pos == 0 || pos >= text.size() || !IsContinuationByte(text[pos]);
}

std::size_t NextCodePointBoundary(std::string_view text, std::size_t pos) {
  while (pos < text.size() && IsContinuationByte(text[pos])) ++pos;
  return pos < text.size() ? pos : text.size();
}

std::size_t CodePointCount(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) count += IsContinuationByte(c) ? 0 : 1;
  return count;
}

std::string_view CodePointPrefix(std::string_view text, std::size_t max_code_points) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (IsContinuationByte(text[i])) continue;
    if (seen == max_code_points) return text.substr(0, i);
    ++seen;
  }
  return text;
}

std::vector<std::string_view> SplitByCodePoints(std::string_view text, std::size_t parts) {
  std::vector<std::string_view> out;
  const std::size_t total = CodePointCount(text);
  if (total == 0 || parts == 0) return out;
  if (parts > total) parts = total;
  out.reserve(parts);
  // Piece k holds code points [k*total/parts, (k+1)*total/parts): sizes differ by at most one.
  std::size_t begin = 0;
  std::size_t index = 0;  // code points consumed so far
  for (std::size_t k = 0; k < parts; ++k) {
    const std::size_t want_end = (k + 1) * total / parts;
    std::size_t end = begin;
    while (index < want_end) {
      ++end;
      while (end < text.size() && IsContinuationByte(text[end])) ++end;
      ++index;
    }
    out.push_back(text.substr(begin, end - begin));
    begin = end;
  }
  return out;
}

std::string WithIllFormedUtf8(std::string_view text) {
  std::string out;
  if (text.empty()) return out;
  const std::size_t first = NextCodePointBoundary(text, 1);
  out.reserve(text.size() + kIllFormedBytes.size());
  out.append(text.substr(0, first)).append(kIllFormedBytes).append(text.substr(first));
  return out;
}

}  // namespace sim
