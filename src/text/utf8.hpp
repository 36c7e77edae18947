// UTF-8 validation and repair, shared by every writer of JSON text (logs, OpenAI bodies) and by
// the reader of Lingma's frames, so that ill-formed bytes from anywhere end up as U+FFFD and
// never as invalid JSON.
#pragma once

#include <string>
#include <string_view>

namespace utf8 {

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence at the start of `s`; when the bytes there are
// ill-formed, minus the length of their maximal subpart (the bytes one U+FFFD replaces, as
// Unicode and WHATWG recommend). `s` must be non-empty and s[0] >= 0x80.
int SequenceLength(std::string_view s);

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF).
bool IsWellFormed(std::string_view s);

// Appends `s` to `out` with every maximal ill-formed subpart replaced by U+FFFD.
void AppendRepaired(std::string& out, std::string_view s);

}  // namespace utf8
