// Tests for JSON-RPC classification, decode errors and method results.
#include "sim/rpc.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace sim {
namespace {

using ::testing::HasSubstr;

boost::json::value Json(std::string_view text) { return boost::json::parse(text); }

TEST(RpcTest, Classify) {
  const auto request = Json(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{}})");
  Incoming in = Classify(request);
  EXPECT_EQ(in.kind, Incoming::Kind::kRequest);
  EXPECT_EQ(in.method, "ping");
  ASSERT_NE(in.params, nullptr);

  const auto string_id = Json(R"({"id":"init-qc","method":"initialize","params":{}})");
  EXPECT_EQ(Classify(string_id).kind, Incoming::Kind::kRequest);

  const auto notification = Json(R"({"jsonrpc":"2.0","method":"initialized","params":{}})");
  EXPECT_EQ(Classify(notification).kind, Incoming::Kind::kNotification);
  const auto null_id = Json(R"({"id":null,"method":"exit"})");
  EXPECT_EQ(Classify(null_id).kind, Incoming::Kind::kNotification);

  const auto response = Json(R"({"jsonrpc":"2.0","id":3,"result":null})");
  in = Classify(response);
  EXPECT_EQ(in.kind, Incoming::Kind::kResponse);
  EXPECT_EQ(in.id->as_int64(), 3);

  EXPECT_EQ(Classify(Json("[]")).kind, Incoming::Kind::kInvalid);
  EXPECT_EQ(Classify(Json(R"({"result":1})")).kind, Incoming::Kind::kInvalid);
  EXPECT_EQ(Classify(Json(R"({"id":1,"method":5})")).kind, Incoming::Kind::kInvalid);
}

TEST(RpcTest, ParamsErrorsAreGoStyle) {
  const auto object = Json("{}");
  const auto array = Json("[]");
  const auto number = Json("1");
  EXPECT_EQ(ParamsError(&object), std::nullopt);
  EXPECT_EQ(*ParamsError(&array),
            "json: cannot unmarshal array into Go value of type definition.EmptyRequest");
  EXPECT_THAT(*ParamsError(&number), HasSubstr("unmarshal number"));
  EXPECT_EQ(*ParamsError(nullptr), "json: cannot unmarshal null into Go value of type struct {}");
}

TEST(RpcTest, BareJson) {
  EXPECT_TRUE(LooksLikeBareJson(R"({"jsonrpc":"2.0"})"));
  EXPECT_TRUE(LooksLikeBareJson("  \r\n[1]"));
  EXPECT_FALSE(LooksLikeBareJson("Content-Length: 2\r\n\r\n{}"));
  EXPECT_FALSE(LooksLikeBareJson(""));
}

TEST(RpcTest, ResponsesEchoTheIdAsSent) {
  std::string out;
  AppendResult(out, Json(R"("abc")"), R"({"success":true})");
  EXPECT_EQ(out, R"({"jsonrpc":"2.0","id":"abc","result":{"success":true}})");
  out.clear();
  AppendError(out, Json("7"), kMethodNotFound, "unknown method: x/y");
  EXPECT_EQ(out,
            R"({"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"unknown method: x/y"}})");
}

TEST(RpcTest, InitializeResult) {
  EXPECT_EQ(Json(InitializeResult("2.11.1")), Json(R"({"capabilities":{"textDocumentSync":1},
                     "serverInfo":{"name":"lingma","version":"2.11.1"},"experimental":{}})"));
}

TEST(RpcTest, AuthStatus) {
  const auto in = Json(AuthStatusResult(AuthState::kLoggedIn));
  EXPECT_EQ(in.at("status").as_int64(), 2);
  EXPECT_EQ(in.at("token").as_string(), "pt-sim-secret");
  EXPECT_EQ(in.at("name").as_string(), "sim-user");
  const auto out = Json(AuthStatusResult(AuthState::kLoggedOut));
  EXPECT_EQ(out.at("status").as_int64(), 1);
  EXPECT_EQ(out.at("token").as_string(), "");
  EXPECT_EQ(Json(AuthStatusResult(AuthState::kExpired)).at("status").as_int64(), 3);
}

TEST(RpcTest, QueryModels) {
  EXPECT_EQ(QueryModelsResult(AuthState::kLoggedOut), "{}");
  EXPECT_EQ(QueryModelsResult(AuthState::kExpired), "{}");
  const auto models = Json(QueryModelsResult(AuthState::kLoggedIn)).as_object();
  for (const char* scene : {"assistant", "chat", "developer", "inline", "quest"}) {
    ASSERT_TRUE(models.contains(scene)) << scene;
  }
  bool thinking = false, vision = false;
  for (const auto& item : models.at("assistant").as_array()) {
    const auto& m = item.as_object();
    if (m.at("key") == "dashscope_qwen_plus_20250428_thinking") {
      thinking = m.at("isReasoning").as_bool();
    }
    if (m.at("key") == "qmodel") vision = m.at("isVl").as_bool();
  }
  EXPECT_TRUE(thinking);
  EXPECT_TRUE(vision);
  EXPECT_EQ(models.at("chat").as_array()[0].at("key"), "auto");
}

TEST(RpcTest, LoginUrlNamesTheHttpPort) {
  const auto result = Json(LoginUrlResult(37511, 4));
  EXPECT_THAT(std::string(result.at("loginUrl").as_string()),
              HasSubstr("https://login.invalid/lingma/login?"));
  EXPECT_THAT(std::string(result.at("loginUrl").as_string()), HasSubstr("&port=37511&"));
  EXPECT_TRUE(result.at("success").as_bool());
}

TEST(RpcTest, ParseChatAsk) {
  const auto params = Json(R"({"requestId":"r1","sessionId":"s1","questionText":"hi",
      "isReply":true,"sessionType":"developer","mode":"agent",
      "extra":{"modelConfig":{"key":"dashscope_qwen3_coder"},"context":[]}})");
  ChatAsk ask;
  EXPECT_EQ(ParseChatAsk(params.as_object(), ask), std::nullopt);
  EXPECT_EQ(ask.request_id, "r1");
  EXPECT_EQ(ask.session_id, "s1");
  EXPECT_EQ(ask.question, "hi");
  EXPECT_TRUE(ask.is_reply);
  EXPECT_EQ(ask.session_type, "developer");
  EXPECT_EQ(ask.mode, "agent");
  EXPECT_EQ(ask.model, "dashscope_qwen3_coder");

  const auto minimal = Json(R"({"requestId":"r","questionText":"","extra":null})");
  EXPECT_EQ(ParseChatAsk(minimal.as_object(), ask), std::nullopt);
  EXPECT_EQ(ask.session_type, "chat");
  EXPECT_EQ(ask.model, "");
  EXPECT_FALSE(ask.is_reply);

  EXPECT_EQ(*ParseChatAsk(Json(R"({"questionText":"q"})").as_object(), ask), "requestId is empty");
  EXPECT_EQ(*ParseChatAsk(Json(R"({"requestId":"r"})").as_object(), ask),
            "questionText is required");
}

TEST(RpcTest, ChatAskResult) {
  EXPECT_EQ(Json(ChatAskResult("r", std::nullopt)),
            Json(R"({"requestId":"r","isSuccess":true,"errorMessage":"","status":"processing"})"));
  const auto rejected = Json(ChatAskResult("r", std::string("not logged in")));
  EXPECT_FALSE(rejected.at("isSuccess").as_bool());
  EXPECT_EQ(rejected.at("errorMessage").as_string(), "not logged in");
}

}  // namespace
}  // namespace sim
