// Parsing and validation of POST /v1/chat/completions bodies into the neutral chat::ChatRequest.
#pragma once

#include <cstddef>
#include <string_view>
#include <variant>

#include "api/openai/errors.hpp"
#include "chat/model.hpp"

namespace api::openai {

struct ParseLimits {
  std::size_t max_messages = 10000;
  std::size_t max_depth = 64;  // JSON nesting levels (objects and arrays)
};

// Every failure is a 400 naming the offending parameter the way OpenAI does ("messages[2].content",
// "stream_options.include_usage", "temperature") with OpenAI's error codes (invalid_type,
// missing_required_parameter, invalid_value, unsupported_parameter, ...).
//
// What is read (everything else is type-checked where OpenAI defines it, then ignored; unknown
// fields are ignored):
// - messages: required, 1..max_messages objects. role system|developer|user|assistant|tool (legacy
//   "function" is refused with a pointer to "tool"). content is a string or an array of parts;
//   text parts are joined with "\n" (they are separate blocks: a newline keeps them from running
//   together without inventing blank lines), empty text parts are skipped. Assistant content may
//   be null or absent; assistant "refusal" parts and fields are ignored. Image, audio and file
//   parts are refused as not supported yet. Tool messages need a string tool_call_id. The last
//   message must be from the user or a tool: the upstream answers one new turn and cannot continue
//   a partial assistant message.
// - model (absent = ""), stream, stream_options.include_usage (stream_options needs stream=true),
//   max_tokens / max_completion_tokens (positive; the smaller wins), n (only 1), reasoning_effort
//   (any string; the relay maps it), user, prompt_cache_key, metadata (string values;
//   metadata.user_id is a conversation hint). OpenAI's metadata size limits are not enforced:
//   clients such as Claude Code put long ids there and the gateway only reads them.
// - tools / functions (non-empty), tool_choice / function_call demanding a call ("required" or a
//   named function) are refused: tool calling is not supported yet. "none"/"auto" and empty tool
//   lists are accepted, because some clients send them by default and they ask for nothing.
// - response_format other than {"type":"text"} is refused.
// JSON deeper than max_depth, or not valid UTF-8, is refused before any of this.
std::variant<chat::ChatRequest, ApiError> ParseChatRequest(std::string_view body,
                                                           const ParseLimits& limits = {});

}  // namespace api::openai
