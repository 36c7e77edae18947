// Scanning text eight bytes at a time: the long runs that need nothing (plain ASCII in a prompt,
// in Lingma's JSON) are skipped a word per step by the validators, escapers and counters that
// look at every byte.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace word_scan {

inline constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

// True when a byte of `word` is from 0x80 up (not ASCII).
inline bool HasNonAscii(std::uint64_t word) { return (word & kHighBits) != 0; }

// The first position from `from` where the eight bytes starting there make `stops(word)` true,
// or where fewer than eight bytes are left. `stops` may be true for a word with nothing of
// interest (the caller then looks at its bytes one by one), never false for one with something.
template <class WordTest>
std::size_t SkipWords(std::string_view s, std::size_t from, WordTest stops) {
  while (from + sizeof(std::uint64_t) <= s.size()) {
    std::uint64_t word;
    std::memcpy(&word, s.data() + from, sizeof word);
    if (stops(word)) break;
    from += sizeof word;
  }
  return from;
}

}  // namespace word_scan
