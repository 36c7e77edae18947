// The discovery file Lingma writes into its workDir: `.info` (port and pid on two lines) or
// `.info.json`; written once serving, removed on a clean exit, left stale by a crash.
#pragma once

#include <string>

#include "sim/options.hpp"

namespace sim {

// "<workDir>/.info" or "<workDir>/.info.json".
std::string InfoFilePath(const std::string& work_dir, InfoFormat format);

// "37010\n4242" (no trailing newline) or {"websocketPort":37010,"pid":4242,"ipcServerPath":""}.
std::string InfoFileContent(InfoFormat format, int port, long pid);

// Removes `path` only if it still holds `content`: another instance may have taken it over.
void RemoveInfoFileIfOurs(const std::string& path, const std::string& content);

// The stale-info fault: writes an .info naming a pid that has exited (a reaped child) and a
// port nobody listens on (bound, then closed). Returns false and sets `error` on failure.
bool WriteStaleInfoFile(const std::string& work_dir, InfoFormat format, std::string& error);

}  // namespace sim
