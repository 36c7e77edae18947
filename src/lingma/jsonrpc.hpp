// JSON-RPC 2.0 message classification and building for the Lingma channel (pure, no I/O).
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lingma::rpc {

enum class Kind { kRequest, kNotification, kResponse, kInvalid };

struct Error {
  std::int64_t code = 0;
  std::string message;
};

struct Message {
  Kind kind = Kind::kInvalid;
  boost::json::value id;       // request/response id (int or string); null when absent
  std::string method;          // requests and notifications
  boost::json::value params;   // requests and notifications (null when absent)
  boost::json::value result;   // successful responses
  std::optional<Error> error;  // error responses
  std::string invalid_reason;  // kInvalid: why
};

// Standard JSON-RPC error codes used by the gateway's replies.
inline constexpr std::int64_t kParseError = -32700;
inline constexpr std::int64_t kInvalidRequest = -32600;
inline constexpr std::int64_t kMethodNotFound = -32601;
inline constexpr std::int64_t kInternalError = -32603;

// Never throws (except std::bad_alloc). A message with a "method" is a request (has "id") or a
// notification (no "id") regardless of its id value: Lingma numbers its own pushes 1, 2, 3, ...
// exactly like we number our requests, so the id alone says nothing about the direction.
// Without "method": a response, which needs an "id" and a "result" or a non-null "error".
// Anything else is kInvalid with a reason. For kInvalid messages, `method` and `id` are still
// filled in when they were readable, so the caller can answer a malformed request with an error
// instead of leaving the peer waiting. The message's JSON values are allocated from `storage`
// (e.g. an arena that lives as long as the message is handled).
Message Parse(std::string_view json, boost::json::storage_ptr storage = {});

// Builders return the JSON body (not framed). Lingma's Go decoder rejects absent or array params
// for parameterless methods, so a null `params` is sent as `{}`; other values are sent as given.
std::string Request(std::int64_t id, std::string_view method, const boost::json::value& params);
// A request whose params are already JSON text (an object), appended to `out`.
void AppendRequest(std::string& out, std::int64_t id, std::string_view method,
                   std::string_view params_json);

// Bytes for the wire that start `from` bytes into `bytes` (the part of the room not needed).
struct FramedBytes {
  std::string bytes;
  std::size_t from = 0;
  std::string_view wire() const { return std::string_view(bytes).substr(from); }
};

// A request's params, written with room in front of them for the request's head and its LSP
// header, so that FrameRequest frames them where they are: a chat/ask's params hold the whole
// prompt, which is then written once and not copied to be framed. Move-only: a copy would be
// one of the whole prompt.
class RequestParams {
 public:
  RequestParams();  // none yet: append them to out()
  RequestParams(RequestParams&&) = default;
  RequestParams& operator=(RequestParams&&) = default;
  RequestParams(const RequestParams&) = delete;
  RequestParams& operator=(const RequestParams&) = delete;
  // Params already written as JSON text (an object), or as ParamsText writes `params`.
  static RequestParams Json(std::string_view params_json);
  static RequestParams Of(const boost::json::value& params);

  // Where the params' JSON text is appended, and only appended: what it holds already is the
  // room, not theirs to read or change.
  std::string& out() { return bytes_; }
  std::string_view text() const;  // the params written so far

 private:
  friend FramedBytes FrameRequest(std::int64_t, std::string_view, RequestParams);
  std::string bytes_;
};

// The request framed for the wire (LSP header, then the body), in the params' own buffer.
FramedBytes FrameRequest(std::int64_t id, std::string_view method, RequestParams params);

// `params` as JSON text the way the builders send it (null as `{}`).
std::string ParamsText(const boost::json::value& params);
std::string Notification(std::string_view method, const boost::json::value& params);
std::string Result(const boost::json::value& id, const boost::json::value& result);
std::string ErrorReply(const boost::json::value& id, std::int64_t code, std::string_view message);
// The same, appended to `out`: a caller that answers every push reuses one buffer.
void AppendResult(std::string& out, const boost::json::value& id, const boost::json::value& result);
void AppendErrorReply(std::string& out, const boost::json::value& id, std::int64_t code,
                      std::string_view message);

// How a request is to be answered: `result: null`, or an error. Kept apart from its rendering
// (AppendReply) so that deciding to answer costs no allocation.
struct Reply {
  std::int64_t error_code = 0;  // 0: `"result": null`
  std::string error_message;
  bool operator==(const Reply&) const = default;
};
void AppendReply(std::string& out, const boost::json::value& id, const Reply& reply);

// The id as int64 when it is a JSON integer. Strings ("7") and floats (7.0) are not our ids: the
// gateway only ever sends integers, so anything else cannot match a pending request.
std::optional<std::int64_t> IntId(const boost::json::value& id);

}  // namespace lingma::rpc
