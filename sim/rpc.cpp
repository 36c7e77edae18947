// Lingma's JSON-RPC surface; see rpc.hpp.
#include "sim/rpc.hpp"

#include <boost/json/serialize.hpp>

#include "sim/json_text.hpp"

namespace sim {

Incoming Classify(const boost::json::value& message) {
  Incoming in;
  const boost::json::object* object = message.if_object();
  if (object == nullptr) {
    in.error = "message is not a JSON object";
    return in;
  }
  const boost::json::value* method = object->if_contains("method");
  in.id = object->if_contains("id");
  if (in.id != nullptr && in.id->is_null()) in.id = nullptr;
  in.params = object->if_contains("params");
  if (method == nullptr) {
    if (in.id == nullptr) {
      in.error = "message has neither method nor id";
      return in;
    }
    in.kind = Incoming::Kind::kResponse;
    return in;
  }
  if (!method->is_string()) {
    in.error = "method is not a string";
    return in;
  }
  in.method = method->get_string();
  in.kind = in.id != nullptr ? Incoming::Kind::kRequest : Incoming::Kind::kNotification;
  return in;
}

std::optional<std::string> ParamsError(const boost::json::value* params) {
  if (params == nullptr) return "json: cannot unmarshal null into Go value of type struct {}";
  std::string_view kind;
  switch (params->kind()) {
    case boost::json::kind::object:
      return std::nullopt;
    case boost::json::kind::null:
      return "json: cannot unmarshal null into Go value of type struct {}";
    case boost::json::kind::array:
      kind = "array";
      break;
    case boost::json::kind::string:
      kind = "string";
      break;
    case boost::json::kind::bool_:
      kind = "bool";
      break;
    default:
      kind = "number";
      break;
  }
  return "json: cannot unmarshal " + std::string(kind) +
         " into Go value of type definition.EmptyRequest";
}

bool LooksLikeBareJson(std::string_view message) {
  for (char c : message) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{' || c == '[';
  }
  return false;
}

void AppendResult(std::string& out, const boost::json::value& id, std::string_view result_json) {
  out.append("{\"jsonrpc\":\"2.0\",\"id\":");
  out.append(boost::json::serialize(id));
  out.append(",\"result\":").append(result_json).append("}");
}

void AppendError(std::string& out, const boost::json::value& id, int code,
                 std::string_view message) {
  out.append("{\"jsonrpc\":\"2.0\",\"id\":");
  out.append(boost::json::serialize(id));
  out.append(",\"error\":{\"code\":");
  AppendJsonInt(out, code);
  out.append(",\"message\":");
  AppendJsonString(out, message);
  out.append("}}");
}

std::string InitializeResult(std::string_view version) {
  std::string out =
      R"({"capabilities":{"textDocumentSync":1},"serverInfo":{"name":"lingma","version":)";
  AppendJsonString(out, version);
  out.append(R"(},"experimental":{}})");
  return out;
}

std::string AuthStatusResult(AuthState state) {
  switch (state) {
    case AuthState::kLoggedIn:
      return R"({"status":2,"name":"sim-user","id":"sim-user-id","accountId":"sim-user-id",)"
             R"("token":"pt-sim-secret","refreshToken":"rt-sim-secret","expireTime":4102444800000,)"
             R"("quota":1,"whitelist":3,"orgId":"","orgName":"","yxUid":"","avatarUrl":"",)"
             R"("userType":"personal_standard","cloudType":"cloud","isSubAccount":false,)"
             R"("email":"","userTag":"","privacyPolicyAgreed":true,)"
             R"("isPrivacyPolicyModifiable":false,"messageId":""})";
    case AuthState::kExpired:
      return R"({"status":3,"name":"sim-user","id":"sim-user-id","accountId":"sim-user-id",)"
             R"("token":"","refreshToken":"","expireTime":1700000000000,)"
             R"("quota":0,"whitelist":3,"orgId":"","orgName":"","yxUid":"","avatarUrl":"",)"
             R"("userType":"personal_standard","cloudType":"cloud","isSubAccount":false,)"
             R"("email":"","userTag":"","privacyPolicyAgreed":true,)"
             R"("isPrivacyPolicyModifiable":false,"messageId":""})";
    case AuthState::kLoggedOut:
      break;
  }
  return R"({"status":1,"name":"","id":"","accountId":"","token":"","refreshToken":"",)"
         R"("expireTime":0,"quota":0,"whitelist":1,"orgId":"","orgName":"","yxUid":"",)"
         R"("avatarUrl":"","userType":"","cloudType":"","isSubAccount":false,"email":"",)"
         R"("userTag":"","privacyPolicyAgreed":false,"isPrivacyPolicyModifiable":false,)"
         R"("messageId":""})";
}

namespace {

struct Model {
  std::string_view key;
  std::string_view display_name;
  bool reasoning;
  bool vision;
};

constexpr Model kAuto{"auto", "Auto", false, true};
constexpr Model kCoder{"dashscope_qwen3_coder", "qwen3-coder", false, false};
constexpr Model kThinking{"dashscope_qwen_plus_20250428_thinking", "qwen3-thinking", true, false};
constexpr Model kMax{"dashscope_qwen_max_latest", "Qwen3-Max", false, false};
constexpr Model kQModel{"qmodel", "Qwen3.6-Plus", false, true};

void AppendScene(std::string& out, std::string_view scene, std::initializer_list<Model> models) {
  if (out.size() > 1) out.push_back(',');
  AppendJsonString(out, scene);
  out.append(":[");
  bool first = true;
  for (const Model& m : models) {
    if (!first) out.push_back(',');
    first = false;
    out.append("{\"key\":");
    AppendJsonString(out, m.key);
    out.append(",\"displayName\":");
    AppendJsonString(out, m.display_name);
    out.append(R"(,"format":"openai","source":"system","isReasoning":)");
    AppendJsonBool(out, m.reasoning);
    out.append(",\"isVl\":");
    AppendJsonBool(out, m.vision);
    out.append(R"(,"url":"","apiKey":"","model":""})");
  }
  out.push_back(']');
}

}  // namespace

std::string QueryModelsResult(AuthState state) {
  if (state != AuthState::kLoggedIn) return "{}";
  std::string out = "{";
  AppendScene(out, "assistant", {kAuto, kCoder, kThinking, kMax, kQModel});
  AppendScene(out, "chat", {kAuto, kCoder, kThinking, kMax});
  AppendScene(out, "developer", {kAuto, kCoder, kQModel});
  AppendScene(out, "inline", {kAuto, kCoder});
  AppendScene(out, "quest", {kAuto, kQModel});
  out.push_back('}');
  return out;
}

std::string LoginUrlResult(int http_port, std::uint64_t nonce) {
  const std::string n = std::to_string(nonce);
  std::string url = "https://login.invalid/lingma/login?nonce=sim-nonce-" + n +
                    "&port=" + std::to_string(http_port) + "&state=sim-state-" + n +
                    "&challenge=sim-challenge&challenge_method=S256&machine_id=sim-machine";
  std::string out = "{\"loginUrl\":";
  AppendJsonString(out, url);
  out.append(R"(,"success":true,"errorCode":"","errorMsg":""})");
  return out;
}

std::string EndpointResult(std::string_view endpoint) {
  std::string out = "{\"endpoint\":";
  AppendJsonString(out, endpoint);
  out.push_back('}');
  return out;
}

std::string_view StringField(const boost::json::object& object, std::string_view key) {
  const boost::json::value* v = object.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  return v->get_string();
}

std::optional<std::string> ParseChatAsk(const boost::json::object& params, ChatAsk& out) {
  out.request_id = StringField(params, "requestId");
  out.session_id = StringField(params, "sessionId");
  out.session_type = StringField(params, "sessionType");
  if (out.session_type.empty()) out.session_type = "chat";
  out.mode = StringField(params, "mode");
  const boost::json::value* reply = params.if_contains("isReply");
  out.is_reply = reply != nullptr && reply->is_bool() && reply->get_bool();
  out.model.clear();
  if (const boost::json::value* extra = params.if_contains("extra"); extra && extra->is_object()) {
    const boost::json::value* config = extra->get_object().if_contains("modelConfig");
    if (config && config->is_object()) out.model = StringField(config->get_object(), "key");
  }
  const boost::json::value* question = params.if_contains("questionText");
  if (out.request_id.empty()) return "requestId is empty";
  if (question == nullptr || !question->is_string()) return "questionText is required";
  out.question = question->get_string();
  return std::nullopt;
}

std::string ChatAskResult(std::string_view request_id, const std::optional<std::string>& error) {
  std::string out = "{\"requestId\":";
  AppendJsonString(out, request_id);
  out.append(",\"isSuccess\":");
  AppendJsonBool(out, !error);
  out.append(",\"errorMessage\":");
  AppendJsonString(out, error ? *error : std::string_view());
  out.append(error ? R"(,"status":"error"})" : R"(,"status":"processing"})");
  return out;
}

}  // namespace sim
