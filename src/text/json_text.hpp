// Hand-written JSON text (OpenAI bodies, log lines, Lingma requests, the simulator's pushes):
// string escaping with or without UTF-8 repair, integers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace json_text {

// Appends `text` as a quoted JSON string. Quotes, backslashes and control characters are escaped;
// every other valid UTF-8 sequence is copied as is (CJK and emoji stay readable). Ill-formed UTF-8
// becomes U+FFFD, one per maximal ill-formed subpart (the Unicode/WHATWG convention), so no input
// can make the output invalid JSON. Each call sees a whole text: a character split across two
// calls becomes two replacement characters, so callers must cut text at character boundaries.
void AppendString(std::string& out, std::string_view text);

// The same, except that bytes from 0x80 up are copied as they are, well-formed UTF-8 or not: for
// a writer that must pass text through unchanged (lingma-sim reproduces what Lingma sends, bad
// bytes included). The output is invalid JSON when the input is ill-formed UTF-8.
void AppendStringVerbatim(std::string& out, std::string_view text);

void AppendInt(std::string& out, std::int64_t value);

}  // namespace json_text
