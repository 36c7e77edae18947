// Fuzzes api::openai::ParseChatRequest (POST /v1/chat/completions bodies).
//
// Invariants:
// - nothing throws or crashes on any input;
// - success: the body was valid UTF-8, 1..max_messages messages, every role is one of the five,
//   the last message is from the user or a tool, message texts are valid UTF-8, max_tokens > 0;
// - stricter limits never turn a refusal into an acceptance, and when both accept they agree;
// - failure: a 400 whose RenderError is valid JSON {"error":{message,type,param|null,code|null}}
//   carrying the ApiError's fields.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "api/openai/chat_request.hpp"
#include "api/openai/errors.hpp"
#include "chat/model.hpp"
#include "fuzz/fuzz_common.hpp"

namespace {

namespace json = boost::json;
using api::openai::ApiError;
using api::openai::ParseLimits;

bool KnownRole(chat::Role role) {
  switch (role) {
    case chat::Role::kSystem:
    case chat::Role::kDeveloper:
    case chat::Role::kUser:
    case chat::Role::kAssistant:
    case chat::Role::kTool:
      return true;
  }
  return false;
}

void CheckRequest(std::string_view body, const chat::ChatRequest& request,
                  const ParseLimits& limits) {
  FUZZ_CHECK(fuzz::IsValidUtf8(body));
  FUZZ_CHECK(!request.messages.empty());
  FUZZ_CHECK(request.messages.size() <= limits.max_messages);
  for (const chat::Message& m : request.messages) {
    FUZZ_CHECK(KnownRole(m.role));
    FUZZ_CHECK(fuzz::IsValidUtf8(m.content));
    FUZZ_CHECK(fuzz::IsValidUtf8(m.name));
    FUZZ_CHECK(fuzz::IsValidUtf8(m.tool_call_id));
  }
  const chat::Role last = request.messages.back().role;
  FUZZ_CHECK(last == chat::Role::kUser || last == chat::Role::kTool);
  if (request.max_tokens) FUZZ_CHECK(*request.max_tokens > 0);
  if (request.include_usage) FUZZ_CHECK(request.stream);
  FUZZ_CHECK(fuzz::IsValidUtf8(request.model));
}

bool SameRequest(const chat::ChatRequest& a, const chat::ChatRequest& b) {
  if (a.messages.size() != b.messages.size()) return false;
  for (std::size_t i = 0; i < a.messages.size(); ++i) {
    const chat::Message& x = a.messages[i];
    const chat::Message& y = b.messages[i];
    if (x.role != y.role || x.content != y.content || x.name != y.name ||
        x.tool_call_id != y.tool_call_id) {
      return false;
    }
  }
  return a.model == b.model && a.stream == b.stream && a.include_usage == b.include_usage &&
         a.max_tokens == b.max_tokens && a.reasoning_effort == b.reasoning_effort &&
         a.hints.prompt_cache_key == b.hints.prompt_cache_key &&
         a.hints.metadata_user_id == b.hints.metadata_user_id && a.hints.user == b.hints.user;
}

void CheckNullableString(const json::object& obj, std::string_view key, const std::string& want) {
  const json::value* v = obj.if_contains(key);
  FUZZ_CHECK_MSG(v != nullptr, "error.%.*s missing", static_cast<int>(key.size()), key.data());
  if (want.empty()) {
    FUZZ_CHECK(v->is_null());
  } else {
    FUZZ_CHECK(v->is_string());
    if (fuzz::IsValidUtf8(want)) FUZZ_CHECK(v->get_string() == want);
  }
}

void CheckError(const ApiError& error) {
  FUZZ_CHECK_MSG(error.http_status == 400, "status %d", error.http_status);
  FUZZ_CHECK(!error.message.empty());
  FUZZ_CHECK(!error.type.empty());

  const std::string rendered = api::openai::RenderError(error);
  json::error_code ec;
  const json::value v = json::parse(rendered, ec);
  FUZZ_CHECK_MSG(!ec, "RenderError is not valid JSON: %s", rendered.c_str());
  const json::object* root = v.if_object();
  FUZZ_CHECK(root != nullptr && root->size() == 1);
  const json::value* inner = root->if_contains("error");
  FUZZ_CHECK(inner != nullptr && inner->is_object());
  const json::object& obj = inner->get_object();
  const json::value* message = obj.if_contains("message");
  FUZZ_CHECK(message != nullptr && message->is_string() && !message->get_string().empty());
  if (fuzz::IsValidUtf8(error.message)) FUZZ_CHECK(message->get_string() == error.message);
  const json::value* type = obj.if_contains("type");
  FUZZ_CHECK(type != nullptr && type->is_string() && type->get_string() == error.type);
  CheckNullableString(obj, "param", error.param);
  CheckNullableString(obj, "code", error.code);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  const ParseLimits defaults;
  ParseLimits strict;
  strict.max_messages = 3;
  strict.max_depth = 5;

  const auto loose = api::openai::ParseChatRequest(body, defaults);
  const auto tight = api::openai::ParseChatRequest(body, strict);

  if (const auto* request = std::get_if<chat::ChatRequest>(&loose)) {
    CheckRequest(body, *request, defaults);
  } else {
    CheckError(std::get<ApiError>(loose));
  }
  if (const auto* request = std::get_if<chat::ChatRequest>(&tight)) {
    CheckRequest(body, *request, strict);
    const auto* other = std::get_if<chat::ChatRequest>(&loose);
    FUZZ_CHECK_MSG(other != nullptr, "accepted under strict limits only: %s",
                   std::get<ApiError>(loose).message.c_str());
    FUZZ_CHECK(SameRequest(*request, *other));
  } else {
    CheckError(std::get<ApiError>(tight));
  }
  return 0;
}
