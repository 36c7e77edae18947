// JSON-RPC 2.0 parsing and building; see jsonrpc.hpp.
#include "lingma/jsonrpc.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>
#include <cassert>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include "lingma/frame_codec.hpp"
#include "text/utf8.hpp"

namespace lingma::rpc {
namespace {

namespace json = boost::json;

Message Invalid(Message m, std::string reason) {
  m.kind = Kind::kInvalid;
  m.invalid_reason = std::move(reason);
  return m;
}

// JSON-RPC allows string, number and null ids; anything else cannot be echoed back meaningfully.
// A non-finite number (`1e400` parses as infinity) could not be written back as JSON.
bool IsValidId(const json::value& id) {
  if (id.is_double()) return std::isfinite(id.get_double());
  return id.is_null() || id.is_string() || id.is_number();
}

std::optional<Error> ReadError(const json::value& v) {
  const json::object* obj = v.if_object();
  if (obj == nullptr) return std::nullopt;
  Error e;
  if (const json::value* code = obj->if_contains("code")) {
    if (code->is_int64()) {
      e.code = code->get_int64();
    } else if (code->is_uint64() &&
               code->get_uint64() <=
                   static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      e.code = static_cast<std::int64_t>(code->get_uint64());
    } else if (code->is_double()) {
      const double d = code->get_double();
      if (d >= -9.0e18 && d <= 9.0e18) e.code = static_cast<std::int64_t>(d);
    }
  }
  if (const json::value* message = obj->if_contains("message"); message && message->is_string()) {
    e.message = std::string(message->get_string());
  }
  return e;
}

// The builders write the envelope themselves and serialize only the parts, so a large params
// object (a chat/ask with a whole conversation) is never copied into a temporary object first.
void AppendValue(std::string& out, const json::value& value) {
  // Ids and null results, in every reply to a push: no serializer for those.
  char digits[24];
  switch (value.kind()) {
    case json::kind::null:
      out += "null";
      return;
    case json::kind::bool_:
      out += value.get_bool() ? "true" : "false";
      return;
    case json::kind::int64:
      out.append(digits, std::to_chars(digits, digits + sizeof digits, value.get_int64()).ptr);
      return;
    case json::kind::uint64:
      out.append(digits, std::to_chars(digits, digits + sizeof digits, value.get_uint64()).ptr);
      return;
    default:
      break;
  }
  json::serializer serializer;
  serializer.reset(&value);
  char buffer[4096];
  while (!serializer.done()) {
    const json::string_view piece = serializer.read(buffer, sizeof buffer);
    out.append(piece.data(), piece.size());
  }
}

void AppendParams(std::string& out, const json::value& params) {
  if (params.is_null()) {
    out += "{}";
  } else {
    AppendValue(out, params);
  }
}

void AppendMethod(std::string& out, std::string_view method) {
  out += ",\"method\":";
  out += json::serialize(json::string_view(method.data(), method.size()));
}

// A request is its head (everything before the params' text), the params, then the tail.
void AppendRequestHead(std::string& out, std::int64_t id, std::string_view method) {
  out += "{\"jsonrpc\":\"2.0\",\"id\":";
  out += std::to_string(id);
  AppendMethod(out, method);
  out += ",\"params\":";
}
constexpr std::string_view kRequestTail = "}";

}  // namespace

Message Parse(std::string_view text, json::storage_ptr storage) {
  // Ill-formed UTF-8 (a binary WebSocket message, a token cut in half) must not cost the whole
  // message, nor reach clients: it becomes U+FFFD here, so everything read from Lingma is
  // well-formed. Outside strings such bytes are a syntax error either way.
  std::string repaired;
  if (!utf8::IsWellFormed(text)) {
    utf8::AppendRepaired(repaired, text);
    text = repaired;
  }
  // Every value of the message uses `storage`, so moving parts of the tree into it moves pointers
  // instead of copying (Boost.JSON copies between different storages).
  Message m{
      .id = json::value(storage), .params = json::value(storage), .result = json::value(storage)};
  json::error_code ec;
  json::parse_options options;
  options.max_depth = 128;  // tool parameters and context items nest deeper than the default 32
  json::value root = json::parse(json::string_view(text.data(), text.size()), ec, storage, options);
  if (ec) return Invalid(std::move(m), "not valid JSON: " + ec.message());
  if (root.is_array()) return Invalid(std::move(m), "JSON-RPC batches are not supported");
  json::object* obj = root.if_object();
  if (obj == nullptr) return Invalid(std::move(m), "not a JSON object");

  json::value* id = obj->if_contains("id");
  if (id != nullptr && IsValidId(*id)) m.id = *id;

  if (json::value* method = obj->if_contains("method")) {
    if (!method->is_string()) return Invalid(std::move(m), "\"method\" is not a string");
    m.method = std::string(method->get_string());
    if (m.method.empty()) return Invalid(std::move(m), "\"method\" is empty");
    if (id != nullptr && !IsValidId(*id)) {
      return Invalid(std::move(m), "\"id\" is not a string, number or null");
    }
    if (json::value* params = obj->if_contains("params")) {
      if (!params->is_object() && !params->is_array() && !params->is_null()) {
        return Invalid(std::move(m), "\"params\" is neither an object nor an array");
      }
      m.params = std::move(*params);
    }
    m.kind = id != nullptr ? Kind::kRequest : Kind::kNotification;
    return m;
  }

  if (id == nullptr) return Invalid(std::move(m), "neither \"method\" nor \"id\"");
  if (!IsValidId(*id)) return Invalid(std::move(m), "\"id\" is not a string, number or null");
  // Some peers send both members with the unused one null (JSON-RPC 1.0 habit): a non-null
  // error wins, so a failure is never mistaken for a null result.
  const json::value* error = obj->if_contains("error");
  if (error != nullptr && !error->is_null()) {
    m.error = ReadError(*error);
    if (!m.error) return Invalid(std::move(m), "\"error\" is not an object");
    m.kind = Kind::kResponse;
    return m;
  }
  if (json::value* result = obj->if_contains("result")) {
    m.result = std::move(*result);
    m.kind = Kind::kResponse;
    return m;
  }
  return Invalid(std::move(m), "response without \"result\" or \"error\"");
}

std::string Request(std::int64_t id, std::string_view method, const json::value& params) {
  std::string out;
  AppendRequest(out, id, method, ParamsText(params));
  return out;
}

void AppendRequest(std::string& out, std::int64_t id, std::string_view method,
                   std::string_view params_json) {
  AppendRequestHead(out, id, method);
  out += params_json;
  out += kRequestTail;
}

namespace {
// Room for the LSP header and a request head with any id (20 characters at most) and a method
// of up to kMethodRoomBytes as JSON (quotes and escapes included); a longer method still works,
// at the price of moving the params once.
constexpr std::size_t kMethodRoomBytes = 48;
constexpr std::size_t kHeadBytesBesidesMethod =
    std::string_view("{\"jsonrpc\":\"2.0\",\"id\":").size() + 20 +
    std::string_view(",\"method\":").size() + std::string_view(",\"params\":").size();
constexpr std::size_t kParamsRoom =
    kMaxFrameHeaderBytes + kHeadBytesBesidesMethod + kMethodRoomBytes;
}  // namespace

RequestParams::RequestParams() : bytes_(kParamsRoom, ' ') {}

RequestParams RequestParams::Json(std::string_view params_json) {
  RequestParams params;
  params.bytes_.append(params_json);
  return params;
}

RequestParams RequestParams::Of(const json::value& params) {
  RequestParams out;
  AppendParams(out.bytes_, params);
  return out;
}

std::string_view RequestParams::text() const {
  return std::string_view(bytes_).substr(kParamsRoom);
}

FramedBytes FrameRequest(std::int64_t id, std::string_view method, RequestParams params) {
  std::string& bytes = params.bytes_;
  assert(bytes.size() >= kParamsRoom && "RequestParams::out() is only appended to");
  bytes += kRequestTail;
  std::string head;
  AppendRequestHead(head, id, method);
  std::string prefix;
  prefix.reserve(kMaxFrameHeaderBytes + head.size());
  AppendFrameHeader(prefix, head.size() + bytes.size() - kParamsRoom);
  prefix += head;
  FramedBytes framed;
  if (prefix.size() <= kParamsRoom) {
    framed.from = kParamsRoom - prefix.size();
    bytes.replace(framed.from, prefix.size(), prefix);
  } else {
    bytes.replace(0, kParamsRoom, prefix);
  }
  framed.bytes = std::move(bytes);
  return framed;
}

std::string ParamsText(const json::value& params) {
  std::string out;
  AppendParams(out, params);
  return out;
}

std::string Notification(std::string_view method, const json::value& params) {
  std::string out = "{\"jsonrpc\":\"2.0\"";
  AppendMethod(out, method);
  out += ",\"params\":";
  AppendParams(out, params);
  out += '}';
  return out;
}

void AppendResult(std::string& out, const json::value& id, const json::value& result) {
  out += "{\"jsonrpc\":\"2.0\",\"id\":";
  AppendValue(out, id);
  out += ",\"result\":";
  AppendValue(out, result);
  out += '}';
}

void AppendErrorReply(std::string& out, const json::value& id, std::int64_t code,
                      std::string_view message) {
  out += "{\"jsonrpc\":\"2.0\",\"id\":";
  AppendValue(out, id);
  out += ",\"error\":{\"code\":";
  out += std::to_string(code);
  out += ",\"message\":";
  out += json::serialize(json::string_view(message.data(), message.size()));
  out += "}}";
}

void AppendReply(std::string& out, const json::value& id, const Reply& reply) {
  if (reply.error_code == 0) {
    AppendResult(out, id, nullptr);
  } else {
    AppendErrorReply(out, id, reply.error_code, reply.error_message);
  }
}

std::string Result(const json::value& id, const json::value& result) {
  std::string out;
  AppendResult(out, id, result);
  return out;
}

std::string ErrorReply(const json::value& id, std::int64_t code, std::string_view message) {
  std::string out;
  AppendErrorReply(out, id, code, message);
  return out;
}

std::optional<std::int64_t> IntId(const json::value& id) {
  if (id.is_int64()) return id.get_int64();
  if (id.is_uint64() &&
      id.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>(id.get_uint64());
  }
  return std::nullopt;
}

}  // namespace lingma::rpc
