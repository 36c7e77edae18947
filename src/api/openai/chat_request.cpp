// Chat completion request parsing; see chat_request.hpp.
#include "api/openai/chat_request.hpp"

#include <algorithm>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "text/utf8.hpp"

namespace api::openai {
namespace {

namespace json = boost::json;

// nullopt = the check passed.
using Check = std::optional<ApiError>;

constexpr std::string_view kPartJoiner = "\n";

json::string_view Sv(std::string_view s) { return json::string_view(s.data(), s.size()); }

std::string Quoted(std::string_view s) {
  // Appended piecewise: `"'" + std::string(s)` trips GCC 12's -Wrestrict false positive at -O3.
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('\'');
  out.append(s);
  out.push_back('\'');
  return out;
}

std::string Indexed(std::string_view param, std::size_t index) {
  return std::string(param) + "[" + std::to_string(index) + "]";
}

std::string Member(std::string_view param, std::string_view key) {
  return std::string(param) + "." + std::string(key);
}

const char* TypeName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "an integer";
    case json::kind::double_:
      return "a decimal";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

std::string FormatNumber(double d) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, d);
  return std::string(buffer, result.ptr);
}

std::string FormatNumber(const json::value& v) {
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  return FormatNumber(v.get_double());
}

ApiError InvalidType(std::string_view param, std::string_view expected, const json::value& got) {
  return BadRequest("Invalid type for " + Quoted(param) + ": expected " + std::string(expected) +
                        ", but got " + TypeName(got) + " instead.",
                    std::string(param), "invalid_type");
}

ApiError MissingParam(std::string_view param) {
  return BadRequest("Missing required parameter: " + Quoted(param) + ".", std::string(param),
                    "missing_required_parameter");
}

ApiError ToolsUnsupported(std::string_view param) {
  return BadRequest("Invalid parameter: " + Quoted(param) +
                        ": tool calling is not supported yet by this gateway. Remove " +
                        Quoted(param) + " from the request.",
                    std::string(param), "unsupported_parameter");
}

// null counts as absent everywhere: the spec makes almost every optional parameter nullable and
// SDKs serialize unset fields as null.
const json::value* Field(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(Sv(key));
  return v == nullptr || v->is_null() ? nullptr : v;
}

Check ReadString(const json::object& obj, std::string_view key, std::string_view param,
                 std::string& out) {
  const json::value* v = Field(obj, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) return InvalidType(param, "a string", *v);
  out = std::string(v->get_string());
  return std::nullopt;
}

Check ReadBool(const json::object& obj, std::string_view key, std::string_view param, bool& out) {
  const json::value* v = Field(obj, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_bool()) return InvalidType(param, "a boolean", *v);
  out = v->get_bool();
  return std::nullopt;
}

// Integers only: OpenAI refuses 1.0 where it expects an integer, and so does the gateway.
Check ReadInteger(const json::object& obj, std::string_view key, std::optional<std::int64_t> min,
                  std::optional<std::int64_t> max, std::optional<std::int64_t>& out) {
  const json::value* v = Field(obj, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_int64() && !v->is_uint64()) return InvalidType(key, "an integer", *v);
  // Above int64 only uint64 values exist; they are above every maximum used here.
  const bool huge =
      v->is_uint64() &&
      v->get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  const std::int64_t value =
      huge ? std::numeric_limits<std::int64_t>::max() : v->to_number<std::int64_t>();
  if (min && value < *min) {
    return BadRequest("Invalid " + Quoted(key) +
                          ": integer below minimum value. Expected a value >= " +
                          std::to_string(*min) + ", but got " + FormatNumber(*v) + " instead.",
                      std::string(key), "integer_below_min_value");
  }
  if (max && (huge || value > *max)) {
    return BadRequest("Invalid " + Quoted(key) +
                          ": integer above maximum value. Expected a value <= " +
                          std::to_string(*max) + ", but got " + FormatNumber(*v) + " instead.",
                      std::string(key), "integer_above_max_value");
  }
  out = value;
  return std::nullopt;
}

Check CheckNumber(const json::object& obj, std::string_view key, double min, double max) {
  const json::value* v = Field(obj, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number()) return InvalidType(key, "a number", *v);
  const double value = v->to_number<double>();
  if (value < min) {
    return BadRequest("Invalid " + Quoted(key) +
                          ": decimal below minimum value. Expected a value >= " +
                          FormatNumber(min) + ", but got " + FormatNumber(*v) + " instead.",
                      std::string(key), "decimal_below_min_value");
  }
  if (value > max) {
    return BadRequest("Invalid " + Quoted(key) +
                          ": decimal above maximum value. Expected a value <= " +
                          FormatNumber(max) + ", but got " + FormatNumber(*v) + " instead.",
                      std::string(key), "decimal_above_max_value");
  }
  return std::nullopt;
}

Check CheckType(const json::object& obj, std::string_view key, json::kind kind,
                std::string_view expected) {
  const json::value* v = Field(obj, key);
  if (v != nullptr && v->kind() != kind) return InvalidType(key, expected, *v);
  return std::nullopt;
}

// ---------------------------------------------------------------- messages

std::optional<chat::Role> RoleFromName(std::string_view name) {
  if (name == "system") return chat::Role::kSystem;
  if (name == "developer") return chat::Role::kDeveloper;
  if (name == "user") return chat::Role::kUser;
  if (name == "assistant") return chat::Role::kAssistant;
  if (name == "tool") return chat::Role::kTool;
  return std::nullopt;
}

Check ReadContentParts(const json::array& parts, std::string_view param, chat::Role role,
                       std::string& out) {
  if (parts.empty()) {
    return BadRequest("Invalid " + Quoted(param) +
                          ": empty array. Expected an array with minimum length 1, but got an "
                          "empty array instead.",
                      std::string(param), "empty_array");
  }
  bool first = true;
  for (std::size_t j = 0; j < parts.size(); ++j) {
    const std::string part_param = Indexed(param, j);
    const json::value& part = parts[j];
    if (!part.is_object()) return InvalidType(part_param, "an object", part);
    const json::object& part_obj = part.get_object();
    const std::string type_param = Member(part_param, "type");
    const json::value* type = Field(part_obj, "type");
    if (type == nullptr) return MissingParam(type_param);
    if (!type->is_string()) return InvalidType(type_param, "a string", *type);
    const std::string_view type_name = type->get_string();
    if (type_name == "text") {
      const std::string text_param = Member(part_param, "text");
      const json::value* text = Field(part_obj, "text");
      if (text == nullptr) return MissingParam(text_param);
      if (!text->is_string()) return InvalidType(text_param, "a string", *text);
      if (text->get_string().empty()) continue;
      if (!first) out.append(kPartJoiner);
      out.append(text->get_string().data(), text->get_string().size());
      first = false;
    } else if (type_name == "refusal" && role == chat::Role::kAssistant) {
      continue;  // a refusal is not text the model said; like the `refusal` field, it is dropped
    } else if (type_name == "image_url" || type_name == "input_audio" || type_name == "file") {
      return BadRequest("Invalid value for " + Quoted(type_param) + ": content part type " +
                            Quoted(type_name) +
                            " is not supported yet; only 'text' parts are accepted.",
                        type_param, "unsupported_value");
    } else {
      return BadRequest("Invalid value for " + Quoted(type_param) + ": " + Quoted(type_name) +
                            ". Supported values are: 'text', 'image_url', 'input_audio', and "
                            "'file'.",
                        type_param, "invalid_value");
    }
  }
  return std::nullopt;
}

Check ReadContent(const json::object& msg, std::string_view msg_param, chat::Role role,
                  std::string& out) {
  const std::string param = Member(msg_param, "content");
  const json::value* content = msg.if_contains("content");
  if (content == nullptr || content->is_null()) {
    // An assistant turn that only called tools has no content.
    if (role == chat::Role::kAssistant) return std::nullopt;
    if (content == nullptr) return MissingParam(param);
    return InvalidType(param, "a string or an array of content parts", *content);
  }
  if (content->is_string()) {
    out = std::string(content->get_string());
    return std::nullopt;
  }
  if (content->is_array()) return ReadContentParts(content->get_array(), param, role, out);
  return InvalidType(param, "a string or an array of content parts", *content);
}

Check ReadMessage(const json::value& value, std::size_t index, chat::Message& out) {
  const std::string param = Indexed("messages", index);
  if (!value.is_object()) return InvalidType(param, "an object", value);
  const json::object& msg = value.get_object();

  const std::string role_param = Member(param, "role");
  const json::value* role_value = Field(msg, "role");
  if (role_value == nullptr) return MissingParam(role_param);
  if (!role_value->is_string()) return InvalidType(role_param, "a string", *role_value);
  const std::string_view role_name = role_value->get_string();
  if (role_name == "function") {
    return BadRequest("Invalid value for " + Quoted(role_param) +
                          ": the deprecated role 'function' is not supported; send function "
                          "results as role 'tool' messages with a 'tool_call_id'.",
                      role_param, "unsupported_value");
  }
  const std::optional<chat::Role> role = RoleFromName(role_name);
  if (!role) {
    return BadRequest("Invalid value for " + Quoted(role_param) + ": " + Quoted(role_name) +
                          ". Supported values are: 'system', 'developer', 'user', 'assistant', "
                          "and 'tool'.",
                      role_param, "invalid_value");
  }
  out.role = *role;

  if (Check error = ReadContent(msg, param, *role, out.content)) return error;
  if (Check error = ReadString(msg, "name", Member(param, "name"), out.name)) return error;
  if (*role == chat::Role::kTool) {
    const std::string id_param = Member(param, "tool_call_id");
    const json::value* id = Field(msg, "tool_call_id");
    if (id == nullptr) return MissingParam(id_param);
    if (!id->is_string()) return InvalidType(id_param, "a string", *id);
    out.tool_call_id = std::string(id->get_string());
  }
  return std::nullopt;
}

Check ReadMessages(const json::object& body, const ParseLimits& limits,
                   std::vector<chat::Message>& out) {
  const json::value* messages = body.if_contains("messages");
  if (messages == nullptr) return MissingParam("messages");
  if (!messages->is_array()) return InvalidType("messages", "an array", *messages);
  const json::array& list = messages->get_array();
  if (list.empty()) {
    return BadRequest(
        "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an "
        "empty array instead.",
        "messages", "empty_array");
  }
  if (list.size() > limits.max_messages) {
    return BadRequest("Invalid 'messages': array too long. Expected an array with maximum length " +
                          std::to_string(limits.max_messages) + ", but got an array with length " +
                          std::to_string(list.size()) + " instead.",
                      "messages", "array_above_max_length");
  }
  out.resize(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (Check error = ReadMessage(list[i], i, out[i])) return error;
  }
  const chat::Role last = out.back().role;
  if (last != chat::Role::kUser && last != chat::Role::kTool) {
    return BadRequest(std::string("Invalid 'messages': the last message must have role 'user' or "
                                  "'tool', but it has role '") +
                          chat::ToString(last) +
                          "'. The gateway answers the newest user or tool turn; it cannot "
                          "continue an assistant message or answer instructions alone.",
                      "messages", "invalid_value");
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- other parameters

Check ReadStreamOptions(const json::object& body, chat::ChatRequest& out) {
  const json::value* options = Field(body, "stream_options");
  if (options == nullptr) return std::nullopt;
  if (!options->is_object()) return InvalidType("stream_options", "an object", *options);
  if (!out.stream) {
    return BadRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                      "stream_options", "invalid_value");
  }
  const json::object& obj = options->get_object();
  if (Check error =
          ReadBool(obj, "include_usage", "stream_options.include_usage", out.include_usage)) {
    return error;
  }
  bool obfuscation = false;  // type-checked only: chunks carry no obfuscation field
  return ReadBool(obj, "include_obfuscation", "stream_options.include_obfuscation", obfuscation);
}

Check ReadMaxTokens(const json::object& body, chat::ChatRequest& out) {
  for (const std::string_view key : {"max_tokens", "max_completion_tokens"}) {
    std::optional<std::int64_t> value;
    if (Check error = ReadInteger(body, key, 1, std::nullopt, value)) return error;
    if (!value) continue;
    // A limit beyond int is no limit at all for this upstream.
    const int limit =
        static_cast<int>(std::min<std::int64_t>(*value, std::numeric_limits<int>::max()));
    out.max_tokens = out.max_tokens ? std::min(*out.max_tokens, limit) : limit;
  }
  return std::nullopt;
}

Check ReadMetadata(const json::object& body, chat::ConversationHints& hints) {
  const json::value* metadata = Field(body, "metadata");
  if (metadata == nullptr) return std::nullopt;
  if (!metadata->is_object()) return InvalidType("metadata", "an object", *metadata);
  for (const auto& entry : metadata->get_object()) {
    const std::string_view key(entry.key().data(), entry.key().size());
    if (!entry.value().is_string()) {
      return InvalidType(Member("metadata", key), "a string", entry.value());
    }
    if (key == "user_id") hints.metadata_user_id = std::string(entry.value().get_string());
  }
  return std::nullopt;
}

Check CheckTools(const json::object& body) {
  for (const std::string_view key : {"tools", "functions"}) {
    const json::value* list = Field(body, key);
    if (list == nullptr) continue;
    if (!list->is_array()) return InvalidType(key, "an array", *list);
    if (!list->get_array().empty()) return ToolsUnsupported(key);
  }
  for (const std::string_view key : {"tool_choice", "function_call"}) {
    const json::value* choice = Field(body, key);
    if (choice == nullptr) continue;
    if (choice->is_string() && (choice->get_string() == "none" || choice->get_string() == "auto")) {
      continue;
    }
    if (!choice->is_string() && !choice->is_object()) {
      return InvalidType(key, "a string or an object", *choice);
    }
    return ToolsUnsupported(key);
  }
  return std::nullopt;
}

Check CheckResponseFormat(const json::object& body) {
  const json::value* format = Field(body, "response_format");
  if (format == nullptr) return std::nullopt;
  if (!format->is_object()) return InvalidType("response_format", "an object", *format);
  const json::value* type = Field(format->get_object(), "type");
  if (type == nullptr) return MissingParam("response_format.type");
  if (!type->is_string()) return InvalidType("response_format.type", "a string", *type);
  if (type->get_string() == "text") return std::nullopt;
  return BadRequest("Invalid parameter: 'response_format' of type " +
                        Quoted(std::string_view(type->get_string())) +
                        " is not supported yet by this gateway; only {\"type\": \"text\"} is "
                        "accepted.",
                    "response_format", "unsupported_value");
}

Check CheckStop(const json::object& body) {
  const json::value* stop = Field(body, "stop");
  if (stop == nullptr || stop->is_string()) return std::nullopt;
  if (!stop->is_array()) return InvalidType("stop", "a string or an array of strings", *stop);
  const json::array& list = stop->get_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_string()) return InvalidType(Indexed("stop", i), "a string", list[i]);
  }
  return std::nullopt;
}

Check CheckLogitBias(const json::object& body) {
  const json::value* bias = Field(body, "logit_bias");
  if (bias == nullptr) return std::nullopt;
  if (!bias->is_object()) return InvalidType("logit_bias", "an object", *bias);
  for (const auto& entry : bias->get_object()) {
    const std::string param =
        Member("logit_bias", std::string_view(entry.key().data(), entry.key().size()));
    const json::value& v = entry.value();
    if (!v.is_number()) return InvalidType(param, "a number", v);
    const double value = v.to_number<double>();
    if (value < -100 || value > 100) {
      return BadRequest("Invalid " + Quoted(param) +
                            ": value out of range. Expected a value between -100 and 100, but "
                            "got " +
                            FormatNumber(v) + " instead.",
                        param, "invalid_value");
    }
  }
  return std::nullopt;
}

// Sampling and bookkeeping parameters the upstream has no knob for: validated so that a client's
// mistake is reported as OpenAI would, then ignored.
Check CheckIgnoredParameters(const json::object& body) {
  std::optional<std::int64_t> ignored;
  Check error;
  if ((error = CheckNumber(body, "temperature", 0, 2))) return error;
  if ((error = CheckNumber(body, "top_p", 0, 1))) return error;
  if ((error = CheckNumber(body, "presence_penalty", -2, 2))) return error;
  if ((error = CheckNumber(body, "frequency_penalty", -2, 2))) return error;
  if ((error = ReadInteger(body, "seed", std::nullopt, std::nullopt, ignored))) return error;
  if ((error = ReadInteger(body, "top_logprobs", 0, 20, ignored))) return error;
  if ((error = CheckStop(body))) return error;
  if ((error = CheckLogitBias(body))) return error;
  if ((error = CheckType(body, "logprobs", json::kind::bool_, "a boolean"))) return error;
  if ((error = CheckType(body, "parallel_tool_calls", json::kind::bool_, "a boolean"))) {
    return error;
  }
  if ((error = CheckType(body, "store", json::kind::bool_, "a boolean"))) return error;
  if ((error = CheckType(body, "service_tier", json::kind::string, "a string"))) return error;
  return std::nullopt;
}

Check CheckN(const json::object& body) {
  std::optional<std::int64_t> n;
  if (Check error = ReadInteger(body, "n", std::nullopt, std::nullopt, n)) return error;
  if (n && *n != 1) {
    return BadRequest(
        "Invalid 'n': only n=1 is supported by this gateway (one choice per "
        "request), but got " +
            std::to_string(*n) + ".",
        "n", "unsupported_value");
  }
  return std::nullopt;
}

ApiError ParseFailure(const boost::system::error_code& ec, std::string_view body,
                      const ParseLimits& limits) {
  // Checked only after a failure, so well-formed requests pay nothing for the better message.
  if (!utf8::IsWellFormed(body)) {
    return BadRequest(
        "The JSON body of your request is not valid UTF-8. Send the text encoded as UTF-8.");
  }
  if (ec == json::error::too_deep) {
    return BadRequest("The JSON body of your request is nested too deeply (more than " +
                      std::to_string(limits.max_depth) + " levels of arrays and objects).");
  }
  return BadRequest(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
      "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
      "sent was not valid JSON: " +
      ec.message() + ".)");
}

Check ReadBody(const json::object& body, const ParseLimits& limits, chat::ChatRequest& out) {
  Check error;
  if ((error = ReadMessages(body, limits, out.messages))) return error;
  if ((error = ReadString(body, "model", "model", out.model))) return error;
  if ((error = ReadBool(body, "stream", "stream", out.stream))) return error;
  if ((error = ReadStreamOptions(body, out))) return error;
  if ((error = ReadMaxTokens(body, out))) return error;
  if ((error = CheckN(body))) return error;
  std::string effort;
  if ((error = ReadString(body, "reasoning_effort", "reasoning_effort", effort))) return error;
  if (Field(body, "reasoning_effort") != nullptr) out.reasoning_effort = std::move(effort);
  if ((error = ReadString(body, "user", "user", out.hints.user))) return error;
  if ((error =
           ReadString(body, "prompt_cache_key", "prompt_cache_key", out.hints.prompt_cache_key))) {
    return error;
  }
  if ((error = ReadMetadata(body, out.hints))) return error;
  if ((error = CheckTools(body))) return error;
  if ((error = CheckResponseFormat(body))) return error;
  return CheckIgnoredParameters(body);
}

}  // namespace

std::variant<chat::ChatRequest, ApiError> ParseChatRequest(std::string_view body,
                                                           const ParseLimits& limits) {
  // The parsed tree lives only for this call, so one arena holds it and goes away at once.
  json::monotonic_resource arena;
  json::parse_options options;
  options.max_depth = limits.max_depth;
  boost::system::error_code ec;
  const json::value root = json::parse(Sv(body), ec, &arena, options);
  if (ec) return ParseFailure(ec, body, limits);
  if (!root.is_object()) {
    return BadRequest(std::string("The request body must be a JSON object, but it is ") +
                      TypeName(root) + ".");
  }
  chat::ChatRequest request;
  if (Check error = ReadBody(root.get_object(), limits, request)) return std::move(*error);
  return request;
}

}  // namespace api::openai
