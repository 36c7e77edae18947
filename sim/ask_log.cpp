// The ask log; see ask_log.hpp.
#include "sim/ask_log.hpp"

#include "sim/json_text.hpp"

namespace sim {
namespace {

void Field(std::string& out, const char* key, std::string_view value) {
  out.append(",\"").append(key).append("\":");
  AppendJsonString(out, value);
}

void Field(std::string& out, const char* key, std::int64_t value) {
  out.append(",\"").append(key).append("\":");
  AppendJsonInt(out, value);
}

void BoolField(std::string& out, const char* key, bool value) {
  out.append(",\"").append(key).append("\":");
  AppendJsonBool(out, value);
}

void AppendLine(std::string& out, const AskLogEntry& e) {
  out.append("{\"time_ms\":");
  AppendJsonInt(out, e.time_ms);
  Field(out, "requestId", e.request_id);
  Field(out, "sessionId", e.session_id);
  Field(out, "resolvedSessionId", e.resolved_session_id);
  Field(out, "canonicalSessionId", e.canonical_session_id);
  Field(out, "finishSessionId", e.finish_session_id);
  BoolField(out, "isReply", e.is_reply);
  BoolField(out, "notification", e.notification);
  Field(out, "prompt_bytes", static_cast<std::int64_t>(e.prompt_bytes));
  Field(out, "processed_bytes", static_cast<std::int64_t>(e.processed_bytes));
  Field(out, "model", e.model);
  Field(out, "mode", e.mode);
  Field(out, "sessionType", e.session_type);
  Field(out, "turn", e.turn);
  Field(out, "error", e.error);
  Field(out, "connection", static_cast<std::int64_t>(e.connection));
  out.push_back('}');
}

}  // namespace

std::string FormatAskLogLine(const AskLogEntry& entry) {
  std::string out;
  AppendLine(out, entry);
  return out;
}

AskLog::AskLog(const std::string& path) {
  if (!path.empty()) file_ = std::fopen(path.c_str(), "ae");
}

AskLog::~AskLog() {
  if (file_ != nullptr) std::fclose(file_);
}

void AskLog::Append(const AskLogEntry& entry) {
  if (file_ == nullptr) return;
  line_.clear();
  AppendLine(line_, entry);
  line_.push_back('\n');
  std::fwrite(line_.data(), 1, line_.size(), file_);
  std::fflush(file_);
}

}  // namespace sim
