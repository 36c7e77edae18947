// Shapes of Lingma's chat, auth and model messages: the chat/ask payload, push parsing, the
// chat/finish status mapping, auth/status and config/queryModels digests, request/session ids.
#pragma once

#include <array>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace lingma {

// Push method names (server → client, as requests with an id or as notifications).
inline constexpr std::string_view kChatAnswerMethod = "chat/answer";
inline constexpr std::string_view kChatThinkMethod = "chat/think";
inline constexpr std::string_view kChatFinishMethod = "chat/finish";
inline constexpr std::string_view kChatStepMethod = "chat/process_step_callback";

struct ChatAsk {
  std::string request_id;  // 32 hex chars
  std::string session_id;  // UUID; "" lets Lingma allocate
  // questionText: viewed, not copied (it can be a whole conversation); it must stay valid until
  // the co_await of Instance::StartChat has completed. Never assign a temporary string to it.
  std::string_view question;
  std::string model_key;  // extra.modelConfig.key ("auto" when empty)
  bool is_reply = false;
  std::string session_type = "chat";
  std::string mode = "chat";
  std::string preferred_language = "en";
};

// The full chat/ask params (protocol §6.1). Agent features stay off (pluginPayloadConfig all
// false, mode as given, normally "chat"): in agent mode Lingma asks the client to run tools, which
// a headless gateway cannot do. No workspace path is sent here: the instance's work dir is
// announced once in `initialize`. Appended to `out` as JSON text (an object), e.g. to
// rpc::RequestParams::out().
void AppendChatAskParams(std::string& out, const ChatAsk& ask);

struct ChatAskAck {
  bool accepted = false;
  std::string error;  // why not, when !accepted
};
// The chat/ask response: accepted when `isSuccess` or `success` is true.
ChatAskAck ParseChatAskResult(const boost::json::value& result);

struct AnswerPush {
  std::string text;        // incremental delta; may be empty
  bool overwrite = false;  // replace everything received so far with `text`
  bool filtered = false;   // isFiltered: content-safety filtering happened
  bool operator==(const AnswerPush&) const = default;
};
struct ThinkPush {
  std::string text;
  bool operator==(const ThinkPush&) const = default;
};
struct FinishPush {
  std::string session_id;  // the session Lingma really used (it may allocate one)
  std::string reason;
  int status_code = 0;  // 0 when absent or unreadable (an error, like Lingma's own 0)
  std::string full_answer;
  bool operator==(const FinishPush&) const = default;
};
struct StepPush {
  std::string step;
  std::string status;
  bool operator==(const StepPush&) const = default;
};
using ChatPush = std::variant<AnswerPush, ThinkPush, FinishPush, StepPush>;
struct RoutedPush {
  // In the storage of the message it came from (an arena while a message is handled), so that
  // routing a push costs no allocation.
  boost::json::string request_id;
  ChatPush push;
  bool operator==(const RoutedPush&) const = default;
};

// A request id of the length NewRequestId makes (32 bytes), held in the key itself. Turns are
// found by it: routing a push then hashes a few words and compares 32 bytes inside the map's
// node, where a std::string key would hash every byte and compare them in a separate heap block.
struct RequestKey {
  static constexpr std::size_t kSize = 32;
  std::array<char, kSize> bytes{};
  bool operator==(const RequestKey&) const = default;
};
// The key of an id of NewRequestId's length; nullopt for any other, which no turn has. Two ids
// have equal keys exactly when they are equal strings.
std::optional<RequestKey> ParseRequestKey(std::string_view id);
struct RequestKeyHash {
  // NewRequestId's digits are random: two words of them, mixed, spread well.
  std::size_t operator()(const RequestKey& key) const noexcept {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::memcpy(&a, key.bytes.data(), sizeof a);
    std::memcpy(&b, key.bytes.data() + 24, sizeof b);
    return static_cast<std::size_t>((a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL);
  }
};
// Turns by request id (see RequestKey).
template <class T>
using RequestIdMap = std::unordered_map<RequestKey, T, RequestKeyHash>;
inline std::string_view View(const boost::json::string& s) { return {s.data(), s.size()}; }

// chat/answer, chat/think, chat/finish, chat/process_step_callback → routed by params.requestId.
// Other methods (session/title/update, auth/report, ...) or pushes without a requestId → nullopt.
// Tolerant of missing fields and wrong types (statusCode as a string of digits, booleans as
// "true"/1, a numeric requestId).
std::optional<RoutedPush> ParseChatPush(std::string_view method, const boost::json::value& params);

// The params members ParseChatPush reads, and the same reading from those members alone
// (nullptr: absent). ScanChatPush collects them without building an object.
enum class PushField {
  kRequestId,
  kText,
  kOverwrite,
  kIsFiltered,
  kSessionId,
  kReason,
  kStatusCode,
  kFullAnswer,
  kStep,
  kStatus,
};
inline constexpr std::size_t kPushFieldCount = 10;
std::optional<PushField> PushFieldNamed(std::string_view key);
using PushFields = std::array<const boost::json::value*, kPushFieldCount>;
std::optional<RoutedPush> ParseChatPush(std::string_view method, const PushFields& fields,
                                        boost::json::storage_ptr storage = {});

// Result of a finished turn (DESIGN.md §4, protocol §7).
struct TurnOutcome {
  bool ok = false;            // true: answer delivered (finish_reason stop or content_filter)
  std::string finish_reason;  // "stop" | "content_filter" when ok
  int http_status = 200;      // for errors: 429, 401, 403, 504, 502, 499 ...
  std::string error_type;     // OpenAI error type, e.g. "rate_limit_exceeded", "upstream_error"
  std::string error_code;     // OpenAI error code, e.g. "insufficient_quota", "upstream_timeout"
  std::string message;        // actionable, includes Lingma's reason
};

// Maps chat/finish to the client-facing outcome. In order:
//  - reason "cancelled"/"canceled" (Lingma's answer to chat/stop, sent with statusCode 200):
//    ok=false, http 499 (client closed request), type and code "cancelled". It is never a normal
//    stop: the answer is partial, so callers must not cache or report it as complete;
//  - 406, 601 or `filtered_seen` (any chat/answer had isFiltered) → ok, "content_filter";
//  - 200 → ok, "stop";
//  - 401/403/429 whose reason mentions quota/credit/额度/配额/余额 → 429 "insufficient_quota";
//  - 429 → 429 "rate_limit_exceeded"; 401 → 401 "authentication_error";
//    403 → 403 "permission_error"; 408 → 504 "timeout"/"upstream_timeout";
//  - anything else (500, 0, business codes such as 31404) → 502 "upstream_error".
TurnOutcome MapFinish(const FinishPush& finish, bool filtered_seen);

// auth/status digest (§4.1). The result carries live tokens: only these fields are ever kept.
struct AuthState {
  int status = 0;  // AuthStateEnum: 1 not logged in, 2 logged in, 3 expired, 4..7 errors
  bool logged_in = false;
  std::string name;
  // One line for logs and error messages, e.g. "logged in as a@b.c" or
  // "not logged in (status 1)"; never contains a token.
  std::string describe() const;
};
AuthState ParseAuthStatus(const boost::json::value& result);

// config/queryModels digest (§5.1).
struct ModelInfo {
  std::string key, display_name;
  bool reasoning = false, vision = false;
  std::vector<std::string> scenes;  // every scene offering the key, in listing order
};
// Scene map → list deduplicated by key: models of `preferred_scene` first, then the other scenes
// in the order Lingma listed them. The first occurrence of a key supplies its name and flags.
// Logged out (`{}`) or malformed → empty.
std::vector<ModelInfo> ParseModels(const boost::json::value& result,
                                   std::string_view preferred_scene);

// Ids from caller-supplied randomness (the caller owns the random source, so tests are exact).
std::string NewRequestId(std::uint64_t random_a, std::uint64_t random_b);  // 32 lowercase hex
std::string NewSessionId(std::uint64_t random_a, std::uint64_t random_b);  // UUID v4 text

}  // namespace lingma
