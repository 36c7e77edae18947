// Finding a Lingma process and binary: parsing `.info`/`.info.json`, pid liveness, and the search
// for the Lingma executable under ~/.lingma/bin or LINGMA_BIN.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lingma {

struct InfoFile {
  int port = 0;          // WebSocket port, 1..65535
  int pid = 0;           // 0 only for a JSON file that does not state one: check the port instead
  std::string ipc_path;  // named pipe / unix socket path, "" when absent
  bool json_format = false;
  std::filesystem::path path;  // the file it was read from (ReadInfoFile only)
};

// Legacy text format: line 1 port, line 2 pid, optional line 3 IPC path; later lines are ignored.
// Tolerates \r\n, surrounding spaces, blank lines and a UTF-8 BOM. Rejects missing lines,
// non-numeric text and out-of-range values (a half-written file reads as nullopt, not as junk).
std::optional<InfoFile> ParseInfoLines(std::string_view text);
// JSON format: {"websocketPort","pid","ipcServerPath"}; "port" is accepted for the port, and
// numbers may be digit strings. The port is required; a missing pid leaves pid = 0.
std::optional<InfoFile> ParseInfoJson(std::string_view text);
// Reads <dir>/.info.json first, then <dir>/.info (in either format). nullopt when neither
// exists or parses. Does not check liveness: see IsProcessAlive.
std::optional<InfoFile> ReadInfoFile(const std::filesystem::path& dir);

// kill(pid, 0) succeeds or fails with EPERM (alive, someone else's). pid <= 0 → false. A zombie
// (exited, not yet reaped: /proc/<pid>/stat state Z or X) counts as dead: it serves no port.
bool IsProcessAlive(int pid);

// Lingma's platform directory name for the build target: "x86_64_linux", "aarch64_linux",
// "x86_64_darwin", "aarch64_darwin", "x86_64_windows"; "unknown" elsewhere.
std::string PlatformDir();

struct BinarySearch {
  std::optional<std::filesystem::path> found;
  std::vector<std::string> searched;  // every candidate path looked at, in order
  std::string problem;                // one line: why nothing was found ("" when found)
  // A user-facing, multi-line message: where it looked and how to fix it.
  std::string Explain() const;
};

// A non-empty `lingma_bin_env` (LINGMA_BIN) is authoritative: it must name an executable file,
// otherwise nothing is found (silently using another binary would hide the typo). Without it:
// <home>/.lingma/bin/<version>/<platform>/Lingma, trying first the version named in
// <home>/.lingma/bin/config.json ("cosy.core.version", the one the IDE plugin installed last),
// then every version directory from newest to oldest, compared numerically (2.10.0 > 2.9.3).
BinarySearch FindLingmaBinary(std::string_view lingma_bin_env, const std::filesystem::path& home);

}  // namespace lingma
