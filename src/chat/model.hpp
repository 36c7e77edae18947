// The protocol-neutral chat model: what every API front end parses into and renders from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace chat {

enum class Role { kSystem, kDeveloper, kUser, kAssistant, kTool };
const char* ToString(Role role);

struct Message {
  Role role = Role::kUser;
  std::string content;       // text parts joined
  std::string name;          // optional participant name
  std::string tool_call_id;  // role tool: the call this answers
};

// Client-supplied hints that identify a conversation (session reuse, later).
struct ConversationHints {
  std::string session_header;  // X-Claude-Code-Session-Id
  std::string agent_header;    // X-Claude-Code-Agent-Id
  std::string prompt_cache_key;
  std::string metadata_user_id;
  std::string user;
};

struct ChatRequest {
  std::string model;  // as the client named it ("" = default)
  std::vector<Message> messages;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  std::optional<int> max_tokens;
  std::optional<std::string> reasoning_effort;
  ConversationHints hints;
};

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t reasoning_tokens = 0;  // the part of completion_tokens spent on reasoning
  std::int64_t total_tokens() const { return prompt_tokens + completion_tokens; }
};

// Events of one answer, in order: deltas, then exactly one Finish or Failure.
struct ContentDelta {
  std::string text;
};
struct ReasoningDelta {
  std::string text;
};
struct Finish {
  std::string finish_reason;  // "stop" | "content_filter" | "length"
  Usage usage;
  // The whole answer as Lingma finally means it (for non-stream responses, which can still apply
  // overwrites that a stream could not take back).
  std::string content;
  std::string reasoning;
};
struct Failure {
  int http_status = 502;
  std::string type;  // OpenAI error type
  std::string code;  // OpenAI error code ("" = null)
  std::string message;
};
using ChatEvent = std::variant<ContentDelta, ReasoningDelta, Finish, Failure>;

}  // namespace chat
