// Bodies of the server->client pushes of a chat turn (and auth/report), written straight into
// a reused buffer: these are built once per delta, the sim's hot path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sim {

// The JSON-RPC id of a push: set for request pushes, nullopt for notification pushes.
using PushId = std::optional<std::int64_t>;

void AppendStepCallback(std::string& out, PushId id, std::string_view request_id,
                        std::string_view session_id, std::string_view step,
                        std::string_view status);

void AppendTitleUpdate(std::string& out, PushId id, std::string_view session_id,
                       std::string_view title);

void AppendAnswer(std::string& out, PushId id, std::string_view request_id,
                  std::string_view session_id, std::string_view text, bool overwrite, bool filtered,
                  std::int64_t timestamp_ms, std::string_view session_type);

void AppendFinish(std::string& out, PushId id, std::string_view request_id,
                  std::string_view session_id, std::string_view reason, int status_code,
                  std::string_view full_answer, std::string_view session_type);

// auth/report carries an AuthStatus object (JSON text).
void AppendAuthReport(std::string& out, PushId id, std::string_view auth_status_json);

}  // namespace sim
