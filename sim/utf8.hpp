// UTF-8 code-point helpers: the sim cuts answers and WebSocket messages only at character
// boundaries, because a text message that ends mid-character is invalid and a peer may drop it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sim {

// True when `pos` is 0, size(), or the index of a byte that starts a code point.
bool IsCodePointBoundary(std::string_view text, std::size_t pos);

// The smallest code-point boundary >= pos (size() when pos is past the end).
std::size_t NextCodePointBoundary(std::string_view text, std::size_t pos);

// Number of code points (continuation bytes are not counted).
std::size_t CodePointCount(std::string_view text);

// The first `max_code_points` code points of `text`.
std::string_view CodePointPrefix(std::string_view text, std::size_t max_code_points);

// Cuts `text` into at most `parts` non-empty pieces of nearly equal code-point counts. Fewer
// pieces come back when the text has fewer code points than `parts`; none for empty text.
std::vector<std::string_view> SplitByCodePoints(std::string_view text, std::size_t parts);

// The bytes the invalid-utf8 fault inserts: a lone 0xFF (never valid in UTF-8) and a 3-byte
// sequence cut after its second byte (the start of U+4F60).
inline constexpr std::string_view kIllFormedBytes = "\xFF\xE4\xBD";

// `text` with kIllFormedBytes inserted after its first code point; empty text stays empty. The
// bytes after the insertion start a code point (or end the text), so the cut sequence stays
// ill-formed whatever follows, and dropping the bad bytes (or their U+FFFD replacements) gives
// `text` back.
std::string WithIllFormedUtf8(std::string_view text);

}  // namespace sim
