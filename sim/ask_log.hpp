// The ask log: one JSON line per chat/ask received, so a test can see exactly what the gateway
// sent upstream (session reuse, isReply, bytes) without parsing WebSocket traffic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace sim {

struct AskLogEntry {
  std::int64_t time_ms = 0;
  std::string request_id;
  std::string session_id;            // as asked ("" when the client left it to the sim)
  std::string resolved_session_id;   // the id this turn's pushes carry
  std::string canonical_session_id;  // the history's first id
  std::string finish_session_id;     // what chat/finish reports
  bool is_reply = false;
  bool notification = false;  // chat/ask arrived as a notification
  std::size_t prompt_bytes = 0;
  std::size_t processed_bytes = 0;
  std::string model;
  std::string mode;
  std::string session_type;
  int turn = 0;       // 0 for a rejected ask
  std::string error;  // the rejection's errorMessage, "" when accepted
  std::uint64_t connection = 0;
};

std::string FormatAskLogLine(const AskLogEntry& entry);  // no trailing newline

// Appends lines to a file, flushed per line so tests can read it while the sim runs.
class AskLog {
 public:
  explicit AskLog(const std::string& path);
  ~AskLog();
  AskLog(const AskLog&) = delete;
  AskLog& operator=(const AskLog&) = delete;

  bool enabled() const { return file_ != nullptr; }
  void Append(const AskLogEntry& entry);

 private:
  std::FILE* file_ = nullptr;
  std::string line_;  // reused
};

}  // namespace sim
