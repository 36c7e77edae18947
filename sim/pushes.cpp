// Push bodies; see pushes.hpp.
#include "sim/pushes.hpp"

#include "sim/json_text.hpp"

namespace sim {
namespace {

// {"jsonrpc":"2.0","id":N,"method":M,"params":   (the caller closes with "}}")
void AppendHead(std::string& out, PushId id, std::string_view method) {
  out.append("{\"jsonrpc\":\"2.0\",");
  if (id) {
    out.append("\"id\":");
    AppendJsonInt(out, *id);
    out.push_back(',');
  }
  out.append("\"method\":");
  AppendJsonString(out, method);
  out.append(",\"params\":");
}

void AppendField(std::string& out, std::string_view key, std::string_view value) {
  out.push_back('"');
  out.append(key);
  out.append("\":");
  AppendJsonString(out, value);
}

}  // namespace

void AppendStepCallback(std::string& out, PushId id, std::string_view request_id,
                        std::string_view session_id, std::string_view step,
                        std::string_view status) {
  AppendHead(out, id, "chat/process_step_callback");
  out.push_back('{');
  AppendField(out, "requestId", request_id);
  out.push_back(',');
  AppendField(out, "sessionId", session_id);
  out.push_back(',');
  AppendField(out, "step", step);
  out.append(",\"description\":\"\",");
  AppendField(out, "status", status);
  out.append(",\"result\":null,\"message\":\"\"}}");
}

void AppendTitleUpdate(std::string& out, PushId id, std::string_view session_id,
                       std::string_view title) {
  AppendHead(out, id, "session/title/update");
  out.push_back('{');
  AppendField(out, "sessionId", session_id);
  out.push_back(',');
  AppendField(out, "sessionTitle", title);
  out.append("}}");
}

void AppendAnswer(std::string& out, PushId id, std::string_view request_id,
                  std::string_view session_id, std::string_view text, bool overwrite, bool filtered,
                  std::int64_t timestamp_ms, std::string_view session_type) {
  AppendHead(out, id, "chat/answer");
  out.push_back('{');
  AppendField(out, "requestId", request_id);
  out.push_back(',');
  AppendField(out, "sessionId", session_id);
  out.push_back(',');
  AppendField(out, "text", text);
  out.append(",\"overwrite\":");
  AppendJsonBool(out, overwrite);
  out.append(",\"isFiltered\":");
  AppendJsonBool(out, filtered);
  out.append(",\"timestamp\":");
  AppendJsonInt(out, timestamp_ms);
  out.append(",\"extra\":{");
  AppendField(out, "sessionType", session_type);
  out.append("}}}");
}

void AppendFinish(std::string& out, PushId id, std::string_view request_id,
                  std::string_view session_id, std::string_view reason, int status_code,
                  std::string_view full_answer, std::string_view session_type) {
  AppendHead(out, id, "chat/finish");
  out.push_back('{');
  AppendField(out, "requestId", request_id);
  out.push_back(',');
  AppendField(out, "sessionId", session_id);
  out.push_back(',');
  AppendField(out, "reason", reason);
  out.append(",\"statusCode\":");
  AppendJsonInt(out, status_code);
  out.push_back(',');
  AppendField(out, "fullAnswer", full_answer);
  out.append(",\"extra\":{");
  AppendField(out, "sessionType", session_type);
  out.append("}}}");
}

void AppendAuthReport(std::string& out, PushId id, std::string_view auth_status_json) {
  AppendHead(out, id, "auth/report");
  out.append(auth_status_json);
  out.push_back('}');
}

}  // namespace sim
