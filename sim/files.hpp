// Small-file I/O shared by the sim's file-based features (.info, control file, script, stats).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sim {

// The whole file, or nullopt when it cannot be opened (missing files are normal here).
std::optional<std::string> ReadSmallFile(const std::string& path);

// Writes via a temporary file and rename(), so a poller never reads a half-written file.
// Returns false and sets `error` on failure.
bool WriteFileAtomically(const std::string& path, std::string_view content, std::string& error);

}  // namespace sim
