// Scanning text a block at a time: the long runs that need nothing (plain ASCII in a prompt, in
// Lingma's JSON) are skipped by the validators, escapers and counters that look at every byte,
// sixteen bytes per step with SSE2 (which every x86-64 CPU has), then eight per step with
// integer arithmetic.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace word_scan {

// Skip finds a byte's position from its flag in a word loaded with memcpy.
static_assert(std::endian::native == std::endian::little);

inline constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

// A test for Skip: `Word` flags the high bit of each of eight bytes that may be of interest,
// `Block` (where SSE2 is available) sets a bit for each of sixteen bytes that is. A flag may be
// set above a byte of interest without one, never below it: the lowest flag set is exact.
//
// Here: a byte from 0x80 up (not ASCII).
struct NonAscii {
  static std::uint64_t Word(std::uint64_t word) { return word & kHighBits; }
#if defined(__SSE2__)
  static unsigned Block(__m128i block) { return static_cast<unsigned>(_mm_movemask_epi8(block)); }
#endif
};

// The first position from `from` whose byte is of interest to the test, or where fewer than
// eight bytes are left (the caller looks at those one by one).
template <class Test>
std::size_t Skip(std::string_view s, std::size_t from) {
#if defined(__SSE2__)
  while (from + sizeof(__m128i) <= s.size()) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + from));
    if (const unsigned bits = Test::Block(block); bits != 0) {
      return from + static_cast<std::size_t>(__builtin_ctz(bits));
    }
    from += sizeof(__m128i);
  }
#endif
  while (from + sizeof(std::uint64_t) <= s.size()) {
    std::uint64_t word;
    std::memcpy(&word, s.data() + from, sizeof word);
    if (const std::uint64_t flags = Test::Word(word); flags != 0) {
      return from + static_cast<std::size_t>(__builtin_ctzll(flags)) / 8;  // little-endian
    }
    from += sizeof word;
  }
  return from;
}

}  // namespace word_scan
