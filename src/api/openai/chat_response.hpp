// Rendering of chat completions: the non-stream JSON body and the SSE events of a stream.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/openai/errors.hpp"
#include "chat/model.hpp"

namespace api::openai {

// What every body and chunk of one completion repeats.
struct ResponseMeta {
  std::string id;  // "chatcmpl-…", the same in every chunk
  std::int64_t created = 0;
  std::string model;
  std::string system_fingerprint;  // "" = omitted
  // Streams only: set when the request had stream_options.include_usage. OpenAI then puts
  // "usage": null in every chunk but the final usage chunk, and strict clients expect the key.
  bool usage_field = false;
};

// The non-stream body (CreateChatCompletionResponse): one choice with message {role, content,
// refusal: null, reasoning_content (only when non-empty)}, logprobs null, finish_reason, and usage
// with prompt_tokens_details.cached_tokens (always 0: the upstream reports no cache) and
// completion_tokens_details.reasoning_tokens. An empty finish_reason is written as "stop".
std::string RenderCompletion(const ResponseMeta& meta, std::string_view content,
                             std::string_view reasoning, std::string_view finish_reason,
                             const chat::Usage& usage, std::int64_t reasoning_tokens);

// Streaming (CreateChatCompletionStreamResponse). Each call appends one complete SSE event,
// "data: {...}\n\n", to `out`; the JSON is written as text, without building a tree per delta.
// Chunks have choices[0] = {index 0, delta, logprobs null, finish_reason null | "…"}.
// Order of a stream: role chunk, content/reasoning chunks, finish chunk, usage chunk (only with
// include_usage), [DONE]. A failure after the first event ends it with an error event instead.

// delta {role: "assistant", content: ""}
void AppendRoleChunk(std::string& out, const ResponseMeta& meta);
// delta {content}
void AppendContentChunk(std::string& out, const ResponseMeta& meta, std::string_view text);
// delta {reasoning_content}: the field DeepSeek, Qwen and llama.cpp use, which clients already read
void AppendReasoningChunk(std::string& out, const ResponseMeta& meta, std::string_view text);

// The delta chunks of one stream, byte for byte those of AppendContentChunk and
// AppendReasoningChunk: what is the same in all of them (id, created, model, …) is rendered once,
// so a delta costs only its own text.
class DeltaChunkWriter {
 public:
  explicit DeltaChunkWriter(const ResponseMeta& meta);
  void AppendContent(std::string& out, std::string_view text) const;
  void AppendReasoning(std::string& out, std::string_view text) const;

 private:
  std::string prefix_;  // `data: {"id":…,"choices":[{"index":0,"delta":{`
  std::string suffix_;  // `},"logprobs":null,"finish_reason":null}]…}` and the blank line
};

// delta {} and finish_reason ("" is written as "stop")
void AppendFinishChunk(std::string& out, const ResponseMeta& meta, std::string_view finish_reason);
// choices [] and the whole usage; sent once, after the finish chunk (clients sum every usage)
void AppendUsageChunk(std::string& out, const ResponseMeta& meta, const chat::Usage& usage,
                      std::int64_t reasoning_tokens);
// data: {"error":{...}} — how OpenAI reports a failure once the stream has started
void AppendErrorEvent(std::string& out, const ApiError& error);
// data: [DONE]
void AppendDone(std::string& out);
// An SSE comment: keeps proxies and clients from timing out while the upstream is silent.
void AppendKeepAlive(std::string& out);

}  // namespace api::openai
