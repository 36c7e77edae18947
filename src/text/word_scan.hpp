// Scanning text a block at a time: the long runs that need nothing (plain ASCII in a prompt, in
// Lingma's JSON) are skipped by the validators, escapers and counters that look at every byte,
// sixteen bytes per step with SSE2 (which every x86-64 CPU has), then eight per step with
// integer arithmetic.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace word_scan {

inline constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

// A test for Skip: `Word` looks at eight bytes, `Block` (where SSE2 is available) at sixteen.
// Either may be true for bytes with nothing of interest (the caller then looks at them one by
// one), never false for bytes with something.
//
// Here: a byte from 0x80 up (not ASCII).
struct NonAscii {
  static bool Word(std::uint64_t word) { return (word & kHighBits) != 0; }
#if defined(__SSE2__)
  static bool Block(__m128i block) { return _mm_movemask_epi8(block) != 0; }
#endif
};

// The first position from `from` where the bytes starting there make the test true, or where
// fewer than eight bytes are left.
template <class Test>
std::size_t Skip(std::string_view s, std::size_t from) {
#if defined(__SSE2__)
  while (from + sizeof(__m128i) <= s.size()) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + from));
    if (Test::Block(block)) break;
    from += sizeof(__m128i);
  }
#endif
  while (from + sizeof(std::uint64_t) <= s.size()) {
    std::uint64_t word;
    std::memcpy(&word, s.data() + from, sizeof word);
    if (Test::Word(word)) break;
    from += sizeof word;
  }
  return from;
}

}  // namespace word_scan
