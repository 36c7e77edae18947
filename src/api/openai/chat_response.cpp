// Chat completion rendering; see chat_response.hpp.
#include "api/openai/chat_response.hpp"

#include "text/json_text.hpp"

namespace api::openai {
namespace {

// The spec's finish_reason enum has no empty value; a caller that has none means a natural stop.
std::string_view FinishReasonOrStop(std::string_view finish_reason) {
  return finish_reason.empty() ? std::string_view("stop") : finish_reason;
}

void AppendUsage(std::string& out, const chat::Usage& usage, std::int64_t reasoning_tokens) {
  out.append(R"({"prompt_tokens":)");
  json_text::AppendInt(out, usage.prompt_tokens);
  out.append(R"(,"completion_tokens":)");
  json_text::AppendInt(out, usage.completion_tokens);
  out.append(R"(,"total_tokens":)");
  json_text::AppendInt(out, usage.total_tokens());
  out.append(R"(,"prompt_tokens_details":{"cached_tokens":0})");
  out.append(R"(,"completion_tokens_details":{"reasoning_tokens":)");
  json_text::AppendInt(out, reasoning_tokens);
  out.append("}}");
}

// id, object, created, model and system_fingerprint, in OpenAI's order, after the opening brace.
void AppendHeader(std::string& out, const ResponseMeta& meta, std::string_view object) {
  out.append(R"({"id":)");
  json_text::AppendString(out, meta.id);
  out.append(R"(,"object":)");
  json_text::AppendString(out, object);
  out.append(R"(,"created":)");
  json_text::AppendInt(out, meta.created);
  out.append(R"(,"model":)");
  json_text::AppendString(out, meta.model);
  if (!meta.system_fingerprint.empty()) {
    out.append(R"(,"system_fingerprint":)");
    json_text::AppendString(out, meta.system_fingerprint);
  }
}

void BeginChunk(std::string& out, const ResponseMeta& meta) {
  out.append("data: ");
  AppendHeader(out, meta, "chat.completion.chunk");
  out.append(R"(,"choices":[{"index":0,"delta":)");
}

// Closes the choice opened by BeginChunk after its delta has been written.
// finish_reason: "" = null.
void EndChunk(std::string& out, const ResponseMeta& meta, std::string_view finish_reason) {
  out.append(R"(,"logprobs":null,"finish_reason":)");
  if (finish_reason.empty()) {
    out.append("null");
  } else {
    json_text::AppendString(out, finish_reason);
  }
  out.append("}]");
  if (meta.usage_field) out.append(R"(,"usage":null)");
  out.append("}\n\n");
}

void AppendTextChunk(std::string& out, const ResponseMeta& meta, std::string_view field,
                     std::string_view text) {
  BeginChunk(out, meta);
  out.push_back('{');
  json_text::AppendString(out, field);
  out.push_back(':');
  json_text::AppendString(out, text);
  out.push_back('}');
  EndChunk(out, meta, {});
}

}  // namespace

std::string RenderCompletion(const ResponseMeta& meta, std::string_view content,
                             std::string_view reasoning, std::string_view finish_reason,
                             const chat::Usage& usage, std::int64_t reasoning_tokens) {
  std::string out;
  out.reserve(content.size() + reasoning.size() + 512);
  AppendHeader(out, meta, "chat.completion");
  out.append(R"(,"choices":[{"index":0,"message":{"role":"assistant","content":)");
  json_text::AppendString(out, content);
  out.append(R"(,"refusal":null)");
  if (!reasoning.empty()) {
    out.append(R"(,"reasoning_content":)");
    json_text::AppendString(out, reasoning);
  }
  out.append(R"(},"logprobs":null,"finish_reason":)");
  json_text::AppendString(out, FinishReasonOrStop(finish_reason));
  out.append(R"(}],"usage":)");
  AppendUsage(out, usage, reasoning_tokens);
  out.push_back('}');
  return out;
}

void AppendRoleChunk(std::string& out, const ResponseMeta& meta) {
  BeginChunk(out, meta);
  out.append(R"({"role":"assistant","content":""})");
  EndChunk(out, meta, {});
}

void AppendContentChunk(std::string& out, const ResponseMeta& meta, std::string_view text) {
  AppendTextChunk(out, meta, "content", text);
}

void AppendReasoningChunk(std::string& out, const ResponseMeta& meta, std::string_view text) {
  AppendTextChunk(out, meta, "reasoning_content", text);
}

DeltaChunkWriter::DeltaChunkWriter(const ResponseMeta& meta) {
  BeginChunk(prefix_, meta);
  prefix_.push_back('{');
  suffix_.push_back('}');
  EndChunk(suffix_, meta, {});
}

void DeltaChunkWriter::AppendContent(std::string& out, std::string_view text) const {
  out.append(prefix_).append(R"("content":)");
  json_text::AppendString(out, text);
  out.append(suffix_);
}

void DeltaChunkWriter::AppendReasoning(std::string& out, std::string_view text) const {
  out.append(prefix_).append(R"("reasoning_content":)");
  json_text::AppendString(out, text);
  out.append(suffix_);
}

void AppendFinishChunk(std::string& out, const ResponseMeta& meta, std::string_view finish_reason) {
  BeginChunk(out, meta);
  out.append("{}");
  EndChunk(out, meta, FinishReasonOrStop(finish_reason));
}

void AppendUsageChunk(std::string& out, const ResponseMeta& meta, const chat::Usage& usage,
                      std::int64_t reasoning_tokens) {
  out.append("data: ");
  AppendHeader(out, meta, "chat.completion.chunk");
  out.append(R"(,"choices":[],"usage":)");
  AppendUsage(out, usage, reasoning_tokens);
  out.append("}\n\n");
}

void AppendErrorEvent(std::string& out, const ApiError& error) {
  out.append("data: ");
  AppendErrorJson(out, error);
  out.append("\n\n");
}

void AppendDone(std::string& out) { out.append("data: [DONE]\n\n"); }

void AppendKeepAlive(std::string& out) { out.append(": keep-alive\n\n"); }

}  // namespace api::openai
