// Hand-written JSON output for the hot path (pushes are built per delta, straight into a reused
// buffer, instead of through a DOM that allocates per field).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "text/json_text.hpp"

namespace sim {

// Appends `value` as a quoted JSON string. Input is UTF-8; control characters, quotes and
// backslashes are escaped, everything else is copied byte for byte (Lingma's own bytes, bad
// ones included, are what the simulator must reproduce).
inline void AppendJsonString(std::string& out, std::string_view value) {
  json_text::AppendStringVerbatim(out, value);
}

// Appends a decimal integer.
inline void AppendJsonInt(std::string& out, std::int64_t value) {
  json_text::AppendInt(out, value);
}

inline void AppendJsonBool(std::string& out, bool value) { out.append(value ? "true" : "false"); }

}  // namespace sim
