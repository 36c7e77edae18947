// Helpers shared by the libFuzzer targets: invariant checks, a strict UTF-8 validator, and a
// fuzzer-controlled way of cutting an input into pieces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

// Aborts (so libFuzzer records the input as a crash) when an invariant does not hold.
#define FUZZ_CHECK(cond)                                                                \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (false)

#define FUZZ_CHECK_MSG(cond, ...)                                                         \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n  ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                                  \
      std::fprintf(stderr, "\n");                                                         \
      std::abort();                                                                       \
    }                                                                                     \
  } while (false)

namespace fuzz {

// Known, reported bugs are skipped by default so that a long run keeps looking for new ones; each
// skip is marked "known issue" in its target. LGW_FUZZ_STRICT=1 turns the skips off, e.g. to
// replay fuzz/regressions/<target>/ and confirm a fix:
//   LGW_FUZZ_STRICT=1 build/fuzz/fuzz/<target> fuzz/regressions/<target>/*
inline bool Strict() {
  static const bool strict = [] {
    const char* value = std::getenv("LGW_FUZZ_STRICT");
    return value != nullptr && *value != '\0' && *value != '0';
  }();
  return strict;
}

// Well-formed UTF-8 per Unicode 15 table 3-7: no overlong forms, no surrogates, nothing above
// U+10FFFF. The same rule Boost.JSON applies to strings.
inline bool IsValidUtf8(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
    } else if (b0 == 0xE0) {
      len = 3, lo = 0xA0;
    } else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
      len = 3;
    } else if (b0 == 0xED) {
      len = 3, hi = 0x9F;
    } else if (b0 == 0xF0) {
      len = 4, lo = 0x90;
    } else if (b0 >= 0xF1 && b0 <= 0xF3) {
      len = 4;
    } else if (b0 == 0xF4) {
      len = 4, hi = 0x8F;
    } else {
      return false;
    }
    if (n - i < len) return false;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b1 < lo || b1 > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      const auto bk = static_cast<unsigned char>(s[i + k]);
      if (bk < 0x80 || bk > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

// Cuts the payload into pieces whose sizes the fuzzer controls. Input layout:
//   byte 0        k = number of size bytes (taken modulo 16)
//   bytes 1..k    piece sizes (0..255), used cyclically
//   the rest      the payload
// k = 0 (or all sizes 0) feeds the payload in one piece. A size of 0 yields an empty piece, so
// empty deltas are exercised too; a cycle of sizes always makes progress unless all are 0.
struct Split {
  std::string_view payload;
  std::vector<std::string_view> pieces;
};

inline Split SplitInput(const std::uint8_t* data, std::size_t size) {
  Split out;
  if (size == 0) return out;
  std::size_t k = data[0] % 16;
  if (k > size - 1) k = size - 1;
  const std::uint8_t* sizes = data + 1;
  out.payload = std::string_view(reinterpret_cast<const char*>(data + 1 + k), size - 1 - k);

  unsigned cycle = 0;
  for (std::size_t i = 0; i < k; ++i) cycle += sizes[i];
  if (k == 0 || cycle == 0) {
    out.pieces.push_back(out.payload);
    return out;
  }
  std::string_view rest = out.payload;
  for (std::size_t i = 0; !rest.empty(); i = (i + 1) % k) {
    const std::size_t n = sizes[i] < rest.size() ? sizes[i] : rest.size();
    out.pieces.push_back(rest.substr(0, n));
    rest.remove_prefix(n);
  }
  return out;
}

}  // namespace fuzz
