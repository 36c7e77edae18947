// Lingma message shapes; see chat_shapes.hpp.
#include "lingma/chat_shapes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <utility>

#include "text/ascii.hpp"
#include "text/json_text.hpp"

namespace lingma {
namespace {

namespace json = boost::json;

json::string_view Sv(std::string_view s) { return json::string_view(s.data(), s.size()); }

const json::value* Field(const json::object* obj, std::string_view key) {
  return obj == nullptr ? nullptr : obj->if_contains(Sv(key));
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Integers arrive as JSON integers, as floats from loosely typed producers, or as digit strings.
std::optional<std::int64_t> AsInt(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) {
    if (v->get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(v->get_uint64());
  }
  if (v->is_double()) {
    const double d = v->get_double();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e15) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  if (v->is_string()) {
    std::string_view s = TrimSpaces(std::string_view(v->get_string()));
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    std::int64_t out = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return out;
  }
  return std::nullopt;
}

int AsSmallInt(const json::value* v) {
  const std::optional<std::int64_t> i = AsInt(v);
  if (!i || *i < std::numeric_limits<int>::min() || *i > std::numeric_limits<int>::max()) return 0;
  return static_cast<int>(*i);
}

bool AsBool(const json::value* v) {
  if (v == nullptr) return false;
  if (v->is_bool()) return v->get_bool();
  if (v->is_string()) {
    const std::string_view s = TrimSpaces(std::string_view(v->get_string()));
    return s == "true" || s == "True" || s == "TRUE" || s == "1";
  }
  if (const std::optional<std::int64_t> i = AsInt(v)) return *i != 0;
  return false;
}

std::string AsString(const json::value* v) {
  if (v == nullptr || !v->is_string()) return {};
  return std::string(v->get_string());
}

// Ids are strings on the wire, but a number is unambiguous enough to route by.
json::string AsIdString(const json::value* v, json::storage_ptr storage) {
  if (v == nullptr) return json::string(storage);
  if (v->is_string()) return json::string(v->get_string(), storage);
  if (v->is_int64()) return json::string(std::to_string(v->get_int64()), storage);
  if (v->is_uint64()) return json::string(std::to_string(v->get_uint64()), storage);
  return json::string(storage);
}

std::string AsIdString(const json::value* v) { return std::string(View(AsIdString(v, {}))); }

bool MentionsQuota(std::string_view reason) {
  const std::string lower = ascii::Lower(reason);
  for (std::string_view word : {"quota", "credit", "额度", "配额", "余额"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string StatusText(const FinishPush& f) {
  return "status " + std::to_string(f.status_code) + ": " +
         (f.reason.empty() ? std::string("no reason given") : f.reason);
}

TurnOutcome Failure(int http_status, std::string type, std::string code, std::string message) {
  TurnOutcome out;
  out.ok = false;
  out.http_status = http_status;
  out.error_type = std::move(type);
  out.error_code = std::move(code);
  out.message = std::move(message);
  return out;
}

TurnOutcome Success(std::string finish_reason, std::string message) {
  TurnOutcome out;
  out.ok = true;
  out.finish_reason = std::move(finish_reason);
  out.message = std::move(message);
  return out;
}

void AppendHex(std::string& out, std::uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) out.push_back(kDigits[(v >> shift) & 0xF]);
}

}  // namespace

void AppendChatAskParams(std::string& out, const ChatAsk& ask) {
  const std::string_view model = ask.model_key.empty() ? "auto" : std::string_view(ask.model_key);
  // Written as text: the question can be a whole conversation, and building a JSON object first
  // copied it twice more and cost ~50 allocations per turn.
  out.reserve(out.size() + 2 * ask.question.size() + 768);
  // `text` (the fixed JSON before a string member's value, ending in its key), then the value.
  const auto member = [&out](std::string_view text, std::string_view value) {
    out.append(text);
    json_text::AppendString(out, value);
  };
  member("{\"requestId\":", ask.request_id);
  member(",\"sessionId\":", ask.session_id);
  member(",\"chatTask\":\"FREE_INPUT\",\"sessionType\":", ask.session_type);
  member(",\"mode\":", ask.mode);
  // The question goes twice, as the plugin sends it: escaped once, then copied.
  out.append(",\"questionText\":");
  const std::size_t question_at = out.size();
  json_text::AppendString(out, ask.question);
  const std::size_t question_size = out.size() - question_at;
  out.reserve(out.size() + question_size + 512);  // room for the copy and the fields after it
  out.append(",\"chatContext\":{\"text\":");
  out.append(out, question_at, question_size);
  member(",\"preferredLanguage\":", ask.preferred_language);
  member(",\"localeLang\":", ask.preferred_language);
  out.append(",\"imageUrls\":[]},\"codeLanguage\":\"\",\"isReply\":");
  out.append(ask.is_reply ? "true" : "false");
  member(
      ",\"source\":1,\"stream\":true,\"taskDefinitionType\":\"system\",\"targetAgent\":\"\","
      "\"shellType\":\"bash\",\"extra\":{\"modelConfig\":{\"key\":",
      model);
  // Off: project rules, the ask agent and auto memory inflate every prompt with context the
  // gateway's clients did not send, and the agent path calls tools back on the client.
  member(
      "},\"context\":[]},\"pluginPayloadConfig\":{\"isEnableProjectRule\":false,"
      "\"isEnableAskAgent\":false,\"isEnableAutoMemory\":false},\"customModel\":null,"
      "\"preferredLanguage\":",
      ask.preferred_language);
  // Deltas as produced, not re-paced for a typing animation.
  out.append(",\"closeTypewriter\":true}");
}

ChatAskAck ParseChatAskResult(const json::value& result) {
  ChatAskAck ack;
  const json::object* obj = result.if_object();
  if (obj == nullptr) {
    ack.error = "Lingma did not confirm chat/ask (reply was not an object)";
    return ack;
  }
  if (AsBool(Field(obj, "isSuccess")) || AsBool(Field(obj, "success"))) {
    ack.accepted = true;
    return ack;
  }
  std::string why;
  for (std::string_view key : {"errorMessage", "errorMsg", "message"}) {
    why = AsString(Field(obj, key));
    if (!why.empty()) break;
  }
  const std::string code = AsIdString(Field(obj, "errorCode"));
  ack.error = "Lingma rejected chat/ask: " + (why.empty() ? std::string("no reason given") : why);
  if (!code.empty()) ack.error += " (error code " + code + ")";
  return ack;
}

namespace {

constexpr std::string_view kPushFieldNames[kPushFieldCount] = {
    "requestId", "text",       "overwrite",  "isFiltered", "sessionId",
    "reason",    "statusCode", "fullAnswer", "step",       "status",
};

const json::value* Get(const PushFields& fields, PushField field) {
  return fields[static_cast<std::size_t>(field)];
}

}  // namespace

std::optional<PushField> PushFieldNamed(std::string_view key) {
  for (std::size_t i = 0; i < kPushFieldCount; ++i) {
    if (kPushFieldNames[i] == key) return static_cast<PushField>(i);
  }
  return std::nullopt;
}

std::optional<RoutedPush> ParseChatPush(std::string_view method, const json::value& params) {
  const json::object* obj = params.if_object();
  if (obj == nullptr) return std::nullopt;
  PushFields fields{};
  for (std::size_t i = 0; i < kPushFieldCount; ++i) fields[i] = Field(obj, kPushFieldNames[i]);
  return ParseChatPush(method, fields, params.storage());
}

std::optional<RoutedPush> ParseChatPush(std::string_view method, const PushFields& fields,
                                        json::storage_ptr storage) {
  RoutedPush routed{AsIdString(Get(fields, PushField::kRequestId), storage), {}};
  if (routed.request_id.empty()) return std::nullopt;

  if (method == kChatAnswerMethod) {
    routed.push = AnswerPush{AsString(Get(fields, PushField::kText)),
                             AsBool(Get(fields, PushField::kOverwrite)),
                             AsBool(Get(fields, PushField::kIsFiltered))};
  } else if (method == kChatThinkMethod) {
    routed.push = ThinkPush{AsString(Get(fields, PushField::kText))};
  } else if (method == kChatFinishMethod) {
    routed.push = FinishPush{AsIdString(Get(fields, PushField::kSessionId)),
                             AsString(Get(fields, PushField::kReason)),
                             AsSmallInt(Get(fields, PushField::kStatusCode)),
                             AsString(Get(fields, PushField::kFullAnswer))};
  } else if (method == kChatStepMethod) {
    routed.push = StepPush{AsString(Get(fields, PushField::kStep)),
                           AsString(Get(fields, PushField::kStatus))};
  } else {
    return std::nullopt;
  }
  return routed;
}

TurnOutcome MapFinish(const FinishPush& finish, bool filtered_seen) {
  const std::string reason = ascii::Lower(TrimSpaces(finish.reason));
  if (reason == "cancelled" || reason == "canceled") {
    return Failure(499, "cancelled", "cancelled",
                   "the Lingma turn was cancelled before it finished (" + StatusText(finish) + ")");
  }
  const int code = finish.status_code;
  if (code == 406 || code == 601 || filtered_seen) {
    return Success("content_filter", "Lingma filtered the answer (" + StatusText(finish) + ")");
  }
  if (code == 200) return Success("stop", "");
  if ((code == 401 || code == 403 || code == 429) && MentionsQuota(finish.reason)) {
    return Failure(429, "insufficient_quota", "insufficient_quota",
                   "the Lingma account has no quota left (" + StatusText(finish) +
                       "); check the plan or credits of the account Lingma is logged in with");
  }
  switch (code) {
    case 429:
      return Failure(429, "rate_limit_exceeded", "rate_limit_exceeded",
                     "Lingma is rate limiting requests (" + StatusText(finish) +
                         "); retry after a short wait");
    case 401:
      return Failure(401, "authentication_error", "upstream_unauthenticated",
                     "Lingma rejected the request as not authenticated (" + StatusText(finish) +
                         "); log in to Lingma again on the gateway host");
    case 403:
      return Failure(403, "permission_error", "upstream_forbidden",
                     "Lingma refused the request (" + StatusText(finish) +
                         "); check that the logged-in Lingma account may use this model");
    case 408:
      return Failure(504, "timeout", "upstream_timeout",
                     "Lingma timed out or produced an empty answer (" + StatusText(finish) +
                         "); retry, or shorten the prompt");
    default:
      return Failure(502, "upstream_error", "upstream_error",
                     "Lingma failed the turn (" + StatusText(finish) + ")");
  }
}

std::string AuthState::describe() const {
  const std::string code = " (status " + std::to_string(status) + ")";
  switch (status) {
    case 2:
      return name.empty() ? "logged in" : "logged in as " + name;
    case 1:
      return "not logged in" + code;
    case 3:
      return "login expired" + code;
    case 4:
      return "login error" + code;
    case 5:
      return "network error while checking the login" + code;
    case 6:
      return "IP address banned by the Lingma service" + code;
    case 7:
      return "Lingma application disabled for this account" + code;
    default:
      return "unknown login state" + code;
  }
}

AuthState ParseAuthStatus(const json::value& result) {
  AuthState state;
  const json::object* obj = result.if_object();
  if (obj == nullptr) return state;
  state.status = AsSmallInt(Field(obj, "status"));
  state.logged_in = state.status == 2;
  state.name = AsString(Field(obj, "name"));
  if (state.name.empty()) state.name = AsString(Field(obj, "email"));
  return state;
}

std::vector<ModelInfo> ParseModels(const json::value& result, std::string_view preferred_scene) {
  std::vector<ModelInfo> models;
  const json::object* scenes = result.if_object();
  if (scenes == nullptr) return models;

  std::unordered_map<std::string, std::size_t> index_by_key;
  auto add_scene = [&](std::string_view scene, const json::value& items) {
    const json::array* list = items.if_array();
    if (list == nullptr) return;
    for (const json::value& item : *list) {
      const json::object* m = item.if_object();
      const std::string key = AsString(Field(m, "key"));
      if (key.empty()) continue;
      auto [it, inserted] = index_by_key.emplace(key, models.size());
      if (inserted) {
        ModelInfo info;
        info.key = key;
        info.display_name = AsString(Field(m, "displayName"));
        if (info.display_name.empty()) info.display_name = key;
        info.reasoning = AsBool(Field(m, "isReasoning"));
        info.vision = AsBool(Field(m, "isVl"));
        models.push_back(std::move(info));
      }
      std::vector<std::string>& seen_in = models[it->second].scenes;
      if (seen_in.empty() || seen_in.back() != scene) seen_in.emplace_back(scene);
    }
  };

  if (const json::value* preferred = Field(scenes, preferred_scene)) {
    add_scene(preferred_scene, *preferred);
  }
  for (const auto& [scene, items] : *scenes) {
    if (std::string_view(scene) == preferred_scene) continue;
    add_scene(std::string_view(scene), items);
  }
  return models;
}

std::string NewRequestId(std::uint64_t random_a, std::uint64_t random_b) {
  std::string out;
  out.reserve(32);
  AppendHex(out, random_a);
  AppendHex(out, random_b);
  return out;
}

std::optional<RequestKey> ParseRequestKey(std::string_view id) {
  if (id.size() != RequestKey::kSize) return std::nullopt;
  RequestKey key;
  std::memcpy(key.bytes.data(), id.data(), RequestKey::kSize);
  return key;
}

std::string NewSessionId(std::uint64_t random_a, std::uint64_t random_b) {
  // RFC 4122 version 4: version nibble 4 (hex digit 12), variant bits 10 (hex digit 16).
  random_a = (random_a & ~std::uint64_t{0xF000}) | std::uint64_t{0x4000};
  random_b = (random_b & ~(std::uint64_t{0x3} << 62)) | (std::uint64_t{0x2} << 62);
  const std::string hex = NewRequestId(random_a, random_b);
  return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' +
         hex.substr(16, 4) + '-' + hex.substr(20, 12);
}

}  // namespace lingma
