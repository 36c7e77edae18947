// Fuzzes the inbound side of the Lingma JSON-RPC channel: lingma::rpc::Parse,
// lingma::ClassifyInbound, lingma::ParseChatPush and the other result digests, on one frame body.
//
// Invariants:
// - nothing throws or crashes on any input;
// - ClassifyInbound agrees with rpc::Parse, and its action matches the message kind;
// - the chat-push fast path (ScanChatPush), when it answers, answers exactly as the general path
//   (ClassifyInboundFromTree): same action, kind, id, method, reply and push;
// - every reply is valid JSON: a JSON-RPC 2.0 response echoing the message id, which our own
//   rpc::Parse reads back as a response;
// - the builders (Request, Notification, Result, ErrorReply) produce JSON that rpc::Parse reads
//   back with the same method/id;
// - MapFinish outcomes are self-consistent; ParseModels keys are unique and non-empty.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz/fuzz_common.hpp"
#include "lingma/chat_shapes.hpp"
#include "lingma/jsonrpc.hpp"
#include "lingma/push_scanner.hpp"
#include "lingma/rpc_table.hpp"

namespace {

namespace json = boost::json;
namespace rpc = lingma::rpc;
using lingma::Inbound;

// True when `v` holds a number outside the double range anywhere (Boost.JSON reads 1e400 as
// infinity, which no serializer can write back as JSON).
bool ContainsNonFinite(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_:
      return !std::isfinite(v.get_double());
    case json::kind::array:
      for (const json::value& item : v.get_array()) {
        if (ContainsNonFinite(item)) return true;
      }
      return false;
    case json::kind::object:
      for (const auto& member : v.get_object()) {
        if (ContainsNonFinite(member.value())) return true;
      }
      return false;
    default:
      return false;
  }
}

bool IsValidId(const json::value& id) {
  if (id.is_double()) return std::isfinite(id.get_double());
  return id.is_null() || id.is_string() || id.is_number();
}

// Equality after a serialize/parse round trip. Boost.JSON 1.81 may round a double with a very
// long mantissa differently the second time (it parses fast rather than correctly rounded), so
// doubles compare with a relative tolerance; everything else must match exactly.
bool SameValue(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-12 * std::fmax(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (const json::array* xs = a.if_array()) {
    const json::array& ys = b.get_array();
    if (xs->size() != ys.size()) return false;
    for (std::size_t i = 0; i < xs->size(); ++i) {
      if (!SameValue((*xs)[i], ys[i])) return false;
    }
    return true;
  }
  if (const json::object* xs = a.if_object()) {
    const json::object& ys = b.get_object();
    if (xs->size() != ys.size()) return false;
    for (const auto& member : *xs) {
      const json::value* other = ys.if_contains(member.key());
      if (other == nullptr || !SameValue(member.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

// Parses `text` strictly (Boost.JSON rejects invalid UTF-8 and trailing garbage).
json::value ParseJson(std::string_view text, bool& ok) {
  json::error_code ec;
  json::parse_options options;
  options.max_depth = 256;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec, {}, options);
  ok = !ec;
  return v;
}

void CheckReply(const std::string& reply, const rpc::Message& request) {
  bool ok = false;
  const json::value v = ParseJson(reply, ok);
  FUZZ_CHECK_MSG(ok, "reply is not valid JSON: %s", reply.c_str());
  const json::object* obj = v.if_object();
  FUZZ_CHECK(obj != nullptr);
  const json::value* version = obj->if_contains("jsonrpc");
  FUZZ_CHECK(version != nullptr && version->is_string() && version->get_string() == "2.0");
  const json::value* id = obj->if_contains("id");
  FUZZ_CHECK(id != nullptr && SameValue(*id, request.id));
  FUZZ_CHECK((obj->contains("result") ? 1 : 0) + (obj->contains("error") ? 1 : 0) == 1);
  FUZZ_CHECK(!obj->contains("method"));

  const rpc::Message back = rpc::Parse(reply);
  FUZZ_CHECK_MSG(back.kind == rpc::Kind::kResponse, "reply reads back as kind %d: %s",
                 static_cast<int>(back.kind), back.invalid_reason.c_str());
  FUZZ_CHECK(SameValue(back.id, request.id));
}

void CheckBuilders(const rpc::Message& m) {
  // method and params come from parsed JSON, so they are valid UTF-8 and serializable, except
  // for non-finite numbers (see ContainsNonFinite; the id case is checked in CheckReply).
  if (ContainsNonFinite(m.id) || ContainsNonFinite(m.params) || ContainsNonFinite(m.result)) {
    return;
  }
  if (!m.method.empty()) {
    const json::value params =
        m.params.is_array() || m.params.is_object() ? m.params : json::value();
    const rpc::Message req = rpc::Parse(rpc::Request(42, m.method, params));
    FUZZ_CHECK(req.kind == rpc::Kind::kRequest);
    FUZZ_CHECK(req.method == m.method);
    FUZZ_CHECK(rpc::IntId(req.id) == std::optional<std::int64_t>(42));
    FUZZ_CHECK(!req.params.is_null());
    if (!params.is_null()) FUZZ_CHECK(SameValue(req.params, params));

    const rpc::Message note = rpc::Parse(rpc::Notification(m.method, params));
    FUZZ_CHECK(note.kind == rpc::Kind::kNotification);
    FUZZ_CHECK(note.method == m.method);
  }
  if (IsValidId(m.id)) {
    const std::string result = rpc::Result(m.id, m.result);
    const rpc::Message res = rpc::Parse(result);
    FUZZ_CHECK(res.kind == rpc::Kind::kResponse);
    FUZZ_CHECK(SameValue(res.id, m.id));
    FUZZ_CHECK(SameValue(res.result, m.result));
    FUZZ_CHECK(!res.error);

    const std::string text = m.error ? m.error->message : m.method;
    const std::int64_t code = m.error ? m.error->code : rpc::kInternalError;
    const rpc::Message err = rpc::Parse(rpc::ErrorReply(m.id, code, text));
    FUZZ_CHECK(err.kind == rpc::Kind::kResponse);
    FUZZ_CHECK(err.error && err.error->code == code && err.error->message == text);
  }
}

void CheckPush(const lingma::RoutedPush& routed) {
  FUZZ_CHECK(!routed.request_id.empty());
  if (const auto* finish = std::get_if<lingma::FinishPush>(&routed.push)) {
    for (const bool filtered : {false, true}) {
      const lingma::TurnOutcome outcome = lingma::MapFinish(*finish, filtered);
      if (outcome.ok) {
        FUZZ_CHECK(outcome.finish_reason == "stop" || outcome.finish_reason == "content_filter");
      } else {
        FUZZ_CHECK(outcome.http_status >= 400 && outcome.http_status < 600);
        FUZZ_CHECK(!outcome.error_type.empty());
        FUZZ_CHECK(!outcome.message.empty());
      }
      if (filtered && outcome.http_status != 499) {
        FUZZ_CHECK(outcome.ok && outcome.finish_reason == "content_filter");
      }
    }
  }
}

void CheckDigests(const json::value& v) {
  // Any JSON value may arrive as params or as a result.
  for (std::string_view method : {lingma::kChatAnswerMethod, lingma::kChatThinkMethod,
                                  lingma::kChatFinishMethod, lingma::kChatStepMethod}) {
    if (auto push = lingma::ParseChatPush(method, v)) CheckPush(*push);
  }
  FUZZ_CHECK(!lingma::ParseChatPush("session/title/update", v));

  const lingma::ChatAskAck ack = lingma::ParseChatAskResult(v);
  if (ack.accepted) FUZZ_CHECK(ack.error.empty());

  const lingma::AuthState auth = lingma::ParseAuthStatus(v);
  FUZZ_CHECK(!auth.describe().empty());

  for (std::string_view scene : {"chat", "assistant", ""}) {
    std::set<std::string> keys;
    for (const lingma::ModelInfo& model : lingma::ParseModels(v, scene)) {
      FUZZ_CHECK(!model.key.empty());
      FUZZ_CHECK(!model.display_name.empty());
      FUZZ_CHECK(!model.scenes.empty());
      FUZZ_CHECK_MSG(keys.insert(model.key).second, "duplicate model key %s", model.key.c_str());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  const Inbound in = lingma::ClassifyInbound(body);
  const rpc::Message& m = in.message;
  FUZZ_CHECK(rpc::Parse(body).kind == m.kind);
  if (const std::optional<Inbound> fast = lingma::ScanChatPush(body, {})) {
    const Inbound tree = lingma::ClassifyInboundFromTree(body);
    FUZZ_CHECK(fast->action == tree.action && fast->message.kind == tree.message.kind);
    FUZZ_CHECK(SameValue(fast->message.id, tree.message.id));
    FUZZ_CHECK(fast->message.method == tree.message.method);
    FUZZ_CHECK(fast->reply == tree.reply && fast->push == tree.push);
    if (fast->reply) {  // the same bytes on the wire, id included
      std::string fast_reply, tree_reply;
      rpc::AppendReply(fast_reply, fast->message.id, *fast->reply);
      rpc::AppendReply(tree_reply, tree.message.id, *tree.reply);
      FUZZ_CHECK(fast_reply == tree_reply);
    }
  }
  FUZZ_CHECK(IsValidId(m.id));

  switch (in.action) {
    case Inbound::Action::kResponse:
      FUZZ_CHECK(m.kind == rpc::Kind::kResponse);
      FUZZ_CHECK(!in.reply && !in.push);
      FUZZ_CHECK(m.method.empty());
      break;
    case Inbound::Action::kChatPush:
      FUZZ_CHECK(m.kind == rpc::Kind::kRequest || m.kind == rpc::Kind::kNotification);
      FUZZ_CHECK(in.push.has_value());
      CheckPush(*in.push);
      break;
    case Inbound::Action::kServerRequest:
      FUZZ_CHECK(m.kind == rpc::Kind::kRequest);
      FUZZ_CHECK(!in.push);
      break;
    case Inbound::Action::kServerNotification:
      FUZZ_CHECK(m.kind == rpc::Kind::kNotification);
      FUZZ_CHECK(!in.push && !in.reply);
      break;
    case Inbound::Action::kInvalid:
      FUZZ_CHECK(m.kind == rpc::Kind::kInvalid);
      FUZZ_CHECK(!m.invalid_reason.empty());
      FUZZ_CHECK(!in.push);
      break;
  }
  // Every request is answered at once, so Lingma never waits on us.
  if (m.kind == rpc::Kind::kRequest) FUZZ_CHECK(in.reply.has_value());
  if (m.kind != rpc::Kind::kInvalid) FUZZ_CHECK(m.invalid_reason.empty());
  // fuzz/regressions/jsonrpc_fuzz/ holds ids beyond the double range (1e400).
  if (in.reply) {
    std::string reply;
    rpc::AppendReply(reply, m.id, *in.reply);
    CheckReply(reply, m);
  }

  CheckBuilders(m);

  bool ok = false;
  const json::value v = ParseJson(body, ok);
  if (ok) {
    CheckDigests(v);
    if (const json::object* obj = v.if_object()) {
      if (const json::value* params = obj->if_contains("params")) CheckDigests(*params);
      if (const json::value* result = obj->if_contains("result")) CheckDigests(*result);
    }
  }
  return 0;
}
