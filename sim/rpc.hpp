// Lingma's JSON-RPC surface as pure functions: classifying incoming messages, Go-style decode
// errors, and the results of the request methods that need no I/O.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/options.hpp"

namespace sim {

inline constexpr int kInvalidParams = -32602;
inline constexpr int kMethodNotFound = -32601;

struct Incoming {
  enum class Kind { kRequest, kNotification, kResponse, kInvalid };
  Kind kind = Kind::kInvalid;
  std::string_view method;                     // points into the message
  const boost::json::value* id = nullptr;      // requests and responses
  const boost::json::value* params = nullptr;  // nullptr when absent
  std::string error;                           // kInvalid: why
};

// A message with "method" is a request (has "id") or a notification; one without is a response
// to one of the sim's pushes.
Incoming Classify(const boost::json::value& message);

// The Go decoder's complaint when params are not an object (array, scalar, or missing), e.g.
// "json: cannot unmarshal array into Go value of type definition.EmptyRequest"; nullopt if fine.
std::optional<std::string> ParamsError(const boost::json::value* params);

// True when a message starts (after blanks) with '{' or '[': JSON without an LSP header, which
// Lingma rejects with "Unknown message header".
bool LooksLikeBareJson(std::string_view message);

// Full response bodies.
void AppendResult(std::string& out, const boost::json::value& id, std::string_view result_json);
void AppendError(std::string& out, const boost::json::value& id, int code,
                 std::string_view message);

// Method results (JSON text).
std::string InitializeResult(std::string_view version);
std::string AuthStatusResult(AuthState state);
std::string QueryModelsResult(AuthState state);
std::string LoginUrlResult(int http_port, std::uint64_t nonce);
std::string EndpointResult(std::string_view endpoint);

// The fields of chat/ask the sim uses.
struct ChatAsk {
  std::string request_id;
  std::string session_id;
  std::string question;
  std::string session_type;  // "chat" when absent
  std::string mode;
  std::string model;  // extra.modelConfig.key; "" when absent
  bool is_reply = false;
};

// Fills `out` from chat/ask params; returns the errorMessage for an unusable ask.
std::optional<std::string> ParseChatAsk(const boost::json::object& params, ChatAsk& out);

// {"requestId":R,"isSuccess":…,"errorMessage":…,"status":"processing"|"error"}.
std::string ChatAskResult(std::string_view request_id, const std::optional<std::string>& error);

// A string field of an object, or "" when absent or not a string.
std::string_view StringField(const boost::json::object& object, std::string_view key);

}  // namespace sim
