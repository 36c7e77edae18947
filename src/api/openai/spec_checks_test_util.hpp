// Test-only checks of rendered bodies against the OpenAI spec's required fields, types and enums.
#pragma once

// Hand-listed from the official openai-openapi.yaml (commit f85dbe22): ErrorResponse/Error,
// CreateChatCompletionResponse, ChatCompletionResponseMessage, CreateChatCompletionStreamResponse,
// CompletionUsage, ListModelsResponse and Model.

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <initializer_list>
#include <string>
#include <string_view>

namespace api::openai {

namespace spec_json = boost::json;

// Fails the test for every key of `required` that `v` (an object) lacks.
inline bool ExpectRequired(const spec_json::value& v,
                           std::initializer_list<std::string_view> required,
                           std::string_view schema) {
  if (!v.is_object()) {
    ADD_FAILURE() << schema << ": not an object: " << v;
    return false;
  }
  bool ok = true;
  for (const std::string_view key : required) {
    if (!v.as_object().contains(key)) {
      ADD_FAILURE() << schema << ": required field '" << key << "' missing in " << v;
      ok = false;
    }
  }
  return ok;
}

inline bool IsStringOrNull(const spec_json::value& v) { return v.is_string() || v.is_null(); }

inline bool IsInteger(const spec_json::value& v) { return v.is_int64() || v.is_uint64(); }

inline bool IsFinishReason(const spec_json::value& v) {
  if (!v.is_string()) return false;
  const std::string_view s = v.get_string();
  return s == "stop" || s == "length" || s == "tool_calls" || s == "content_filter" ||
         s == "function_call";
}

// ErrorResponse {error: Error {type, message, param: string|null, code: string|null}}.
inline void ExpectErrorResponse(const spec_json::value& v) {
  if (!ExpectRequired(v, {"error"}, "ErrorResponse")) return;
  const spec_json::value& error = v.at("error");
  if (!ExpectRequired(error, {"type", "message", "param", "code"}, "Error")) return;
  EXPECT_TRUE(error.at("type").is_string());
  EXPECT_TRUE(error.at("message").is_string());
  EXPECT_TRUE(IsStringOrNull(error.at("param")));
  EXPECT_TRUE(IsStringOrNull(error.at("code")));
}

// CompletionUsage {prompt_tokens, completion_tokens, total_tokens: integer}.
inline void ExpectUsage(const spec_json::value& v) {
  if (!ExpectRequired(v, {"prompt_tokens", "completion_tokens", "total_tokens"},
                      "CompletionUsage")) {
    return;
  }
  for (const char* key : {"prompt_tokens", "completion_tokens", "total_tokens"}) {
    EXPECT_TRUE(IsInteger(v.at(key))) << key;
  }
  if (const auto* details = v.as_object().if_contains("prompt_tokens_details")) {
    EXPECT_TRUE(details->is_object());
  }
  if (const auto* details = v.as_object().if_contains("completion_tokens_details")) {
    EXPECT_TRUE(details->is_object());
  }
}

inline void ExpectCommonHeader(const spec_json::value& v, std::string_view object,
                               std::string_view schema) {
  if (!ExpectRequired(v, {"choices", "created", "id", "model", "object"}, schema)) return;
  EXPECT_TRUE(v.at("id").is_string());
  EXPECT_TRUE(IsInteger(v.at("created")));
  EXPECT_TRUE(v.at("model").is_string());
  EXPECT_EQ(v.at("object"), spec_json::value(object));
  EXPECT_TRUE(v.at("choices").is_array());
  if (const auto* fp = v.as_object().if_contains("system_fingerprint")) {
    EXPECT_TRUE(fp->is_string());
  }
}

// CreateChatCompletionResponse; choices[] {finish_reason, index, message, logprobs};
// ChatCompletionResponseMessage {role: "assistant", content: string|null, refusal: string|null}.
inline void ExpectChatCompletion(const spec_json::value& v) {
  ExpectCommonHeader(v, "chat.completion", "CreateChatCompletionResponse");
  if (!v.is_object() || !v.as_object().contains("choices")) return;
  for (const spec_json::value& choice : v.at("choices").as_array()) {
    if (!ExpectRequired(choice, {"finish_reason", "index", "message", "logprobs"}, "choice")) {
      continue;
    }
    EXPECT_TRUE(IsFinishReason(choice.at("finish_reason"))) << choice.at("finish_reason");
    EXPECT_TRUE(IsInteger(choice.at("index")));
    EXPECT_TRUE(choice.at("logprobs").is_null() || choice.at("logprobs").is_object());
    const spec_json::value& message = choice.at("message");
    if (!ExpectRequired(message, {"role", "content", "refusal"}, "ChatCompletionResponseMessage")) {
      continue;
    }
    EXPECT_EQ(message.at("role"), spec_json::value("assistant"));
    EXPECT_TRUE(IsStringOrNull(message.at("content")));
    EXPECT_TRUE(IsStringOrNull(message.at("refusal")));
  }
  if (const auto* usage = v.as_object().if_contains("usage")) ExpectUsage(*usage);
}

// CreateChatCompletionStreamResponse; choices[] {delta, finish_reason: enum|null, index};
// ChatCompletionStreamResponseDelta has no required fields; usage is CompletionUsage or null.
inline void ExpectChatCompletionChunk(const spec_json::value& v) {
  ExpectCommonHeader(v, "chat.completion.chunk", "CreateChatCompletionStreamResponse");
  if (!v.is_object() || !v.as_object().contains("choices")) return;
  for (const spec_json::value& choice : v.at("choices").as_array()) {
    if (!ExpectRequired(choice, {"delta", "finish_reason", "index"}, "chunk choice")) continue;
    EXPECT_TRUE(choice.at("finish_reason").is_null() || IsFinishReason(choice.at("finish_reason")));
    EXPECT_TRUE(IsInteger(choice.at("index")));
    const spec_json::value& delta = choice.at("delta");
    ASSERT_TRUE(delta.is_object());
    if (const auto* content = delta.as_object().if_contains("content")) {
      EXPECT_TRUE(IsStringOrNull(*content));
    }
    if (const auto* role = delta.as_object().if_contains("role")) {
      EXPECT_EQ(*role, spec_json::value("assistant"));
    }
    if (const auto* logprobs = choice.as_object().if_contains("logprobs")) {
      EXPECT_TRUE(logprobs->is_null());
    }
  }
  if (const auto* usage = v.as_object().if_contains("usage")) {
    if (!usage->is_null()) ExpectUsage(*usage);
  }
}

// Model {id, object: "model", created: integer, owned_by}.
inline void ExpectModel(const spec_json::value& v) {
  if (!ExpectRequired(v, {"id", "object", "created", "owned_by"}, "Model")) return;
  EXPECT_TRUE(v.at("id").is_string());
  EXPECT_EQ(v.at("object"), spec_json::value("model"));
  EXPECT_TRUE(IsInteger(v.at("created")));
  EXPECT_TRUE(v.at("owned_by").is_string());
}

// ListModelsResponse {object: "list", data: Model[]}.
inline void ExpectModelList(const spec_json::value& v) {
  if (!ExpectRequired(v, {"object", "data"}, "ListModelsResponse")) return;
  EXPECT_EQ(v.at("object"), spec_json::value("list"));
  ASSERT_TRUE(v.at("data").is_array());
  for (const spec_json::value& model : v.at("data").as_array()) ExpectModel(model);
}

}  // namespace api::openai
