// JSON-RPC 2.0 parsing and building; see jsonrpc.hpp.
#include "lingma/jsonrpc.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <limits>
#include <utility>

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

std::string Serialize(json::object obj) { return json::serialize(obj); }

json::value ParamsOrEmpty(const json::value& params) {
  if (params.is_null()) return json::object();
  return params;
}

}  // namespace

Message Parse(std::string_view text) {
  // Ill-formed UTF-8 (a binary WebSocket message, a token cut in half) must not cost the whole
  // message, nor reach clients: it becomes U+FFFD here, so everything read from Lingma is
  // well-formed. Outside strings such bytes are a syntax error either way.
  std::string repaired;
  if (!utf8::IsWellFormed(text)) {
    utf8::AppendRepaired(repaired, text);
    text = repaired;
  }
  Message m;
  json::error_code ec;
  json::parse_options options;
  options.max_depth = 128;  // tool parameters and context items nest deeper than the default 32
  json::value root = json::parse(json::string_view(text.data(), text.size()), ec, {}, options);
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
  return Serialize({{"jsonrpc", "2.0"},
                    {"id", id},
                    {"method", json::string_view(method.data(), method.size())},
                    {"params", ParamsOrEmpty(params)}});
}

std::string Notification(std::string_view method, const json::value& params) {
  return Serialize({{"jsonrpc", "2.0"},
                    {"method", json::string_view(method.data(), method.size())},
                    {"params", ParamsOrEmpty(params)}});
}

std::string Result(const json::value& id, const json::value& result) {
  return Serialize({{"jsonrpc", "2.0"}, {"id", id}, {"result", result}});
}

std::string ErrorReply(const json::value& id, std::int64_t code, std::string_view message) {
  return Serialize(
      {{"jsonrpc", "2.0"},
       {"id", id},
       {"error", json::object{{"code", code},
                              {"message", json::string_view(message.data(), message.size())}}}});
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
