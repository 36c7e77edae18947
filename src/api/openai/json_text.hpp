// Hand-written JSON text for the OpenAI bodies: string escaping with UTF-8 repair, integers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace api::openai {

// Appends `text` as a quoted JSON string. Quotes, backslashes and control characters are escaped;
// every other valid UTF-8 sequence is copied as is (CJK and emoji stay readable). Ill-formed UTF-8
// becomes U+FFFD, one per maximal ill-formed subpart (the Unicode/WHATWG convention), so no input
// can make the output invalid JSON. Each call sees a whole text: a character split across two
// calls becomes two replacement characters, so callers must cut text at character boundaries.
void AppendJsonString(std::string& out, std::string_view text);

void AppendJsonInt(std::string& out, std::int64_t value);

}  // namespace api::openai
