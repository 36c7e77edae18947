// Tests for the chat/ask payload, push parsing, finish mapping, auth/models digests and ids.
#include "lingma/chat_shapes.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <regex>
#include <set>

namespace lingma {
namespace {

namespace json = boost::json;

json::value J(std::string_view text) { return json::parse(text); }

// The params as AppendChatAskParams appends them, checked to leave what was there alone.
std::string ParamsOf(const ChatAsk& ask) {
  std::string out = "before|";
  AppendChatAskParams(out, ask);
  EXPECT_EQ(out.substr(0, 7), "before|");
  return out.substr(7);
}

// ---------------------------------------------------------------- chat/ask

TEST(ChatAskParams, GoldenFields) {
  ChatAsk ask;
  ask.request_id = "2f0c7a5e9d3b4a6f8e1c0b2a3d4e5f60";
  ask.session_id = "8e9fd104-e5d2-4c3e-8724-c094ba7dc500";
  ask.question = "Reply with exactly: pong";
  ask.model_key = "dashscope_qwen3_coder";
  const json::value expected = J(R"({
    "requestId": "2f0c7a5e9d3b4a6f8e1c0b2a3d4e5f60",
    "sessionId": "8e9fd104-e5d2-4c3e-8724-c094ba7dc500",
    "chatTask": "FREE_INPUT",
    "sessionType": "chat",
    "mode": "chat",
    "questionText": "Reply with exactly: pong",
    "chatContext": {"text":"Reply with exactly: pong","preferredLanguage":"en","localeLang":"en",
                    "imageUrls":[]},
    "codeLanguage": "",
    "isReply": false,
    "source": 1,
    "stream": true,
    "taskDefinitionType": "system",
    "targetAgent": "",
    "shellType": "bash",
    "extra": {"modelConfig":{"key":"dashscope_qwen3_coder"},"context":[]},
    "pluginPayloadConfig": {"isEnableProjectRule":false,"isEnableAskAgent":false,
                            "isEnableAutoMemory":false},
    "customModel": null,
    "preferredLanguage": "en",
    "closeTypewriter": true
  })");
  EXPECT_EQ(J(ParamsOf(ask)), expected) << ParamsOf(ask);
  // The exact text: every key once, in this order (comparing parsed objects would hide both).
  EXPECT_EQ(ParamsOf(ask),
            R"({"requestId":"2f0c7a5e9d3b4a6f8e1c0b2a3d4e5f60",)"
            R"("sessionId":"8e9fd104-e5d2-4c3e-8724-c094ba7dc500","chatTask":"FREE_INPUT",)"
            R"("sessionType":"chat","mode":"chat","questionText":"Reply with exactly: pong",)"
            R"("chatContext":{"text":"Reply with exactly: pong","preferredLanguage":"en",)"
            R"("localeLang":"en","imageUrls":[]},"codeLanguage":"","isReply":false,"source":1,)"
            R"("stream":true,"taskDefinitionType":"system","targetAgent":"","shellType":"bash",)"
            R"("extra":{"modelConfig":{"key":"dashscope_qwen3_coder"},"context":[]},)"
            R"("pluginPayloadConfig":{"isEnableProjectRule":false,"isEnableAskAgent":false,)"
            R"("isEnableAutoMemory":false},"customModel":null,"preferredLanguage":"en",)"
            R"("closeTypewriter":true})");
}

TEST(ChatAskParams, ALargeQuestionThatGrowsWhenEscapedArrivesTwiceIntact) {
  // Control characters take six bytes each escaped: far more room than the question's size.
  std::string question;
  for (int i = 0; question.size() < 300'000; ++i) {
    question += (i % 3 == 0) ? std::string("\x01\x02\"") : "line " + std::to_string(i) + "\n";
  }
  ChatAsk ask;
  ask.request_id = "r";
  ask.question = question;
  const json::object p = J(ParamsOf(ask)).as_object();
  EXPECT_TRUE(p.at("questionText").as_string() == ask.question);
  EXPECT_TRUE(p.at("chatContext").at("text").as_string() == ask.question);
  EXPECT_EQ(p.at("chatContext").at("imageUrls").as_array().size(), 0u);
}

TEST(ChatAskParams, ReplyDefaultsAndLanguage) {
  ChatAsk ask;
  ask.request_id = "r";
  ask.question = "继续";
  ask.is_reply = true;
  ask.session_type = "developer";
  ask.preferred_language = "zh-CN";
  const json::object p = J(ParamsOf(ask)).as_object();
  EXPECT_EQ(p.at("sessionId").as_string(), "") << "empty session id lets Lingma allocate one";
  EXPECT_EQ(p.at("extra").at("modelConfig").at("key").as_string(), "auto");
  EXPECT_TRUE(p.at("isReply").as_bool());
  EXPECT_EQ(p.at("sessionType").as_string(), "developer");
  EXPECT_EQ(p.at("questionText").as_string(), "继续");
  EXPECT_EQ(p.at("chatContext").at("text").as_string(), "继续");
  EXPECT_EQ(p.at("chatContext").at("localeLang").as_string(), "zh-CN");
  EXPECT_EQ(p.at("preferredLanguage").as_string(), "zh-CN");
  // Defect 13 of the original: no gateway working directory leaks into the payload.
  EXPECT_EQ(json::serialize(p).find("workspacePath"), std::string::npos);
}

TEST(ChatAskParams, EscapesEveryStringField) {
  ChatAsk ask;
  ask.request_id = "id\"1";
  ask.session_id = "s\\2";
  ask.question = "line 1\nsaid \"hi\"\t\x01 \xE4\xBD\xA0\xFF end";
  ask.model_key = "m/\"k\"";
  ask.session_type = "t\n";
  ask.mode = "m\r";
  ask.preferred_language = "l\\";
  const std::string text = ParamsOf(ask);
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);  // strict: rejects raw controls and bad UTF-8
  ASSERT_FALSE(ec) << text;
  const json::object& p = v.as_object();
  EXPECT_EQ(p.at("requestId").as_string(), "id\"1");
  EXPECT_EQ(p.at("sessionId").as_string(), "s\\2");
  // Ill-formed UTF-8 (here a lone 0xFF) arrives as U+FFFD, never as bytes Lingma cannot parse.
  const std::string question = "line 1\nsaid \"hi\"\t\x01 \xE4\xBD\xA0\xEF\xBF\xBD end";
  EXPECT_EQ(p.at("questionText").as_string(), question);
  EXPECT_EQ(p.at("chatContext").at("text").as_string(), question);
  EXPECT_EQ(p.at("extra").at("modelConfig").at("key").as_string(), "m/\"k\"");
  EXPECT_EQ(p.at("sessionType").as_string(), "t\n");
  EXPECT_EQ(p.at("mode").as_string(), "m\r");
  EXPECT_EQ(p.at("chatContext").at("localeLang").as_string(), "l\\");
  EXPECT_EQ(p.at("preferredLanguage").as_string(), "l\\");
  EXPECT_EQ(p.size(), 19u) << "no field lost or added";
}

TEST(ParseChatAskResult, AcceptsIsSuccessOrSuccess) {
  EXPECT_TRUE(ParseChatAskResult(J(R"({"requestId":"R","isSuccess":true,"status":"processing"})"))
                  .accepted);
  EXPECT_TRUE(ParseChatAskResult(J(R"({"success":true})")).accepted);
  EXPECT_TRUE(ParseChatAskResult(J(R"({"isSuccess":false,"success":true})")).accepted);
}

TEST(ParseChatAskResult, RejectionCarriesReason) {
  const ChatAskAck ack =
      ParseChatAskResult(J(R"({"isSuccess":false,"errorMessage":"not login","errorCode":"401"})"));
  EXPECT_FALSE(ack.accepted);
  EXPECT_NE(ack.error.find("not login"), std::string::npos) << ack.error;
  EXPECT_NE(ack.error.find("401"), std::string::npos) << ack.error;

  const ChatAskAck bare = ParseChatAskResult(J(R"({"isSuccess":false})"));
  EXPECT_FALSE(bare.accepted);
  EXPECT_NE(bare.error.find("no reason"), std::string::npos) << bare.error;

  EXPECT_FALSE(ParseChatAskResult(J("{}")).accepted);
  EXPECT_FALSE(ParseChatAskResult(J("null")).accepted);
  EXPECT_FALSE(ParseChatAskResult(J("[true]")).accepted);
  EXPECT_FALSE(ParseChatAskResult(J(R"({"isSuccess":"false"})")).accepted);
}

// ---------------------------------------------------------------- pushes

TEST(ParseChatPush, Answer) {
  const auto p = ParseChatPush("chat/answer", J(R"({"requestId":"R","sessionId":"S","text":"pon",)"
                                                R"("overwrite":false,"isFiltered":false,)"
                                                R"("timestamp":1714000000123})"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->request_id, "R");
  const auto* a = std::get_if<AnswerPush>(&p->push);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->text, "pon");
  EXPECT_FALSE(a->overwrite);
  EXPECT_FALSE(a->filtered);
}

TEST(ParseChatPush, AnswerFlagsAndOddTypes) {
  const auto p = ParseChatPush(
      "chat/answer", J(R"({"requestId":"R","text":"x","overwrite":"true","isFiltered":1})"));
  ASSERT_TRUE(p);
  const auto& a = std::get<AnswerPush>(p->push);
  EXPECT_TRUE(a.overwrite);
  EXPECT_TRUE(a.filtered);

  const auto empty = ParseChatPush("chat/answer", J(R"({"requestId":"R","text":null})"));
  ASSERT_TRUE(empty);
  EXPECT_EQ(std::get<AnswerPush>(empty->push).text, "");

  const auto numeric = ParseChatPush("chat/answer", J(R"({"requestId":42,"text":5})"));
  ASSERT_TRUE(numeric);
  EXPECT_EQ(numeric->request_id, "42");
  EXPECT_EQ(std::get<AnswerPush>(numeric->push).text, "");
}

TEST(ParseChatPush, Think) {
  const auto p = ParseChatPush("chat/think", J(R"({"requestId":"R","text":"hmm","step":"start"})"));
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<ThinkPush>(p->push).text, "hmm");
}

TEST(ParseChatPush, Finish) {
  const auto p = ParseChatPush(
      "chat/finish", J(R"({"requestId":"R","sessionId":"S","reason":"success","statusCode":200,)"
                       R"("fullAnswer":"pong","extra":{"sessionType":"chat"}})"));
  ASSERT_TRUE(p);
  const auto& f = std::get<FinishPush>(p->push);
  EXPECT_EQ(f.session_id, "S");
  EXPECT_EQ(f.reason, "success");
  EXPECT_EQ(f.status_code, 200);
  EXPECT_EQ(f.full_answer, "pong");
}

TEST(ParseChatPush, FinishStatusCodeVariants) {
  auto status = [](std::string_view code_json) {
    const auto p = ParseChatPush(
        "chat/finish", J(R"({"requestId":"R","statusCode":)" + std::string(code_json) + "}"));
    return p ? std::get<FinishPush>(p->push).status_code : -1;
  };
  EXPECT_EQ(status("429"), 429);
  EXPECT_EQ(status(R"("429")"), 429);
  EXPECT_EQ(status(R"(" 408 ")"), 408);
  EXPECT_EQ(status("500.0"), 500);
  EXPECT_EQ(status(R"("abc")"), 0);
  EXPECT_EQ(status("null"), 0);
  EXPECT_EQ(status("true"), 0);
  EXPECT_EQ(status("99999999999"), 0);

  const auto missing = ParseChatPush("chat/finish", J(R"({"requestId":"R"})"));
  ASSERT_TRUE(missing);
  const auto& f = std::get<FinishPush>(missing->push);
  EXPECT_EQ(f.status_code, 0);
  EXPECT_EQ(f.session_id, "");
  EXPECT_EQ(f.reason, "");
  EXPECT_EQ(f.full_answer, "");
}

TEST(ParseChatPush, StepCallback) {
  const auto p = ParseChatPush("chat/process_step_callback",
                               J(R"({"requestId":"R","sessionId":"S","step":"step_end",)"
                                 R"("description":"","status":"done","result":null})"));
  ASSERT_TRUE(p);
  const auto& s = std::get<StepPush>(p->push);
  EXPECT_EQ(s.step, "step_end");
  EXPECT_EQ(s.status, "done");
}

TEST(ParseChatPush, NotRouted) {
  EXPECT_FALSE(ParseChatPush("session/title/update",
                             J(R"({"requestId":"R","sessionId":"S","sessionTitle":"t"})")));
  EXPECT_FALSE(ParseChatPush("auth/report", J(R"({"status":2})")));
  EXPECT_FALSE(ParseChatPush("chat/answer", J(R"({"text":"orphan"})")));
  EXPECT_FALSE(ParseChatPush("chat/answer", J(R"({"requestId":"","text":"x"})")));
  EXPECT_FALSE(ParseChatPush("chat/answer", J(R"({"requestId":null,"text":"x"})")));
  EXPECT_FALSE(ParseChatPush("chat/answer", J(R"(["R","x"])")));
  EXPECT_FALSE(ParseChatPush("chat/finish", J("null")));
  EXPECT_FALSE(ParseChatPush("Chat/Answer", J(R"({"requestId":"R"})")));
}

// ---------------------------------------------------------------- finish mapping

FinishPush Finish(int status, std::string reason) {
  FinishPush f;
  f.status_code = status;
  f.reason = std::move(reason);
  return f;
}

TEST(MapFinish, SuccessIsStop) {
  const TurnOutcome o = MapFinish(Finish(200, "success"), false);
  EXPECT_TRUE(o.ok);
  EXPECT_EQ(o.finish_reason, "stop");
  EXPECT_EQ(o.http_status, 200);
  EXPECT_TRUE(o.error_code.empty());
}

TEST(MapFinish, CancelledIsNotASuccess) {
  for (const char* reason : {"cancelled", "Canceled", " CANCELLED "}) {
    const TurnOutcome o = MapFinish(Finish(200, reason), false);
    EXPECT_FALSE(o.ok) << reason;
    EXPECT_EQ(o.http_status, 499) << reason;
    EXPECT_EQ(o.error_code, "cancelled") << reason;
    EXPECT_TRUE(o.finish_reason.empty());
  }
}

TEST(MapFinish, ContentFilter) {
  for (int code : {406, 601}) {
    const TurnOutcome o =
        MapFinish(Finish(code, "Session blocked, Please clear context try again"), false);
    EXPECT_TRUE(o.ok) << code;
    EXPECT_EQ(o.finish_reason, "content_filter") << code;
    EXPECT_EQ(o.http_status, 200) << code;
  }
  const TurnOutcome filtered = MapFinish(Finish(200, "success"), true);
  EXPECT_TRUE(filtered.ok);
  EXPECT_EQ(filtered.finish_reason, "content_filter");
}

TEST(MapFinish, Forbidden) {
  const TurnOutcome o = MapFinish(Finish(403, "Signature invalid"), false);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.http_status, 403);
  EXPECT_EQ(o.error_type, "permission_error");
  EXPECT_NE(o.message.find("Signature invalid"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("403"), std::string::npos) << o.message;
}

TEST(MapFinish, QuotaBecomesInsufficientQuota) {
  for (const auto& [code, reason] :
       std::vector<std::pair<int, std::string>>{{403, "Quota exceeded for this month"},
                                                {403, "no credits left"},
                                                {401, "额度已用完"},
                                                {429, "daily QUOTA reached"}}) {
    const TurnOutcome o = MapFinish(Finish(code, reason), false);
    EXPECT_FALSE(o.ok) << reason;
    EXPECT_EQ(o.http_status, 429) << reason;
    EXPECT_EQ(o.error_type, "insufficient_quota") << reason;
    EXPECT_EQ(o.error_code, "insufficient_quota") << reason;
    EXPECT_NE(o.message.find(reason), std::string::npos) << o.message;
  }
}

TEST(MapFinish, Unauthenticated) {
  const TurnOutcome o = MapFinish(Finish(401, "token expired"), false);
  EXPECT_EQ(o.http_status, 401);
  EXPECT_EQ(o.error_type, "authentication_error");
  EXPECT_NE(o.message.find("log in"), std::string::npos) << o.message;
}

TEST(MapFinish, TimeoutIs504) {
  const TurnOutcome o = MapFinish(Finish(408, "empty response"), false);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.http_status, 504);
  EXPECT_EQ(o.error_type, "timeout");
  EXPECT_EQ(o.error_code, "upstream_timeout");
}

TEST(MapFinish, RateLimited) {
  const TurnOutcome o = MapFinish(Finish(429, "too many requests"), false);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.http_status, 429);
  EXPECT_EQ(o.error_type, "rate_limit_exceeded");
  EXPECT_EQ(o.error_code, "rate_limit_exceeded");
}

TEST(MapFinish, OtherCodesAre502WithReason) {
  for (int code : {500, 0, 31404, 602, 400, 409, 90000, -1}) {
    const TurnOutcome o = MapFinish(Finish(code, "Unknown sse issue"), false);
    EXPECT_FALSE(o.ok) << code;
    EXPECT_EQ(o.http_status, 502) << code;
    EXPECT_EQ(o.error_type, "upstream_error") << code;
    EXPECT_EQ(o.error_code, "upstream_error") << code;
    EXPECT_NE(o.message.find("Unknown sse issue"), std::string::npos) << o.message;
    EXPECT_NE(o.message.find(std::to_string(code)), std::string::npos) << o.message;
  }
  const TurnOutcome no_reason = MapFinish(Finish(500, ""), false);
  EXPECT_NE(no_reason.message.find("no reason given"), std::string::npos) << no_reason.message;
}

// ---------------------------------------------------------------- auth

constexpr std::string_view kLoggedIn = R"({"status":2,"name":"user@example.com",
  "id":"59xxxxxxxxxxxx27","accountId":"59xxxxxxxxxxxx27","token":"pt-SECRET1",
  "refreshToken":"rt-SECRET2","expireTime":1782107060847,"quota":1,"whitelist":3,
  "userType":"personal_standard","cloudType":"cloud"})";

TEST(ParseAuthStatus, LoggedIn) {
  const AuthState a = ParseAuthStatus(J(kLoggedIn));
  EXPECT_EQ(a.status, 2);
  EXPECT_TRUE(a.logged_in);
  EXPECT_EQ(a.name, "user@example.com");
  const std::string text = a.describe();
  EXPECT_NE(text.find("logged in as user@example.com"), std::string::npos) << text;
  EXPECT_EQ(text.find("pt-"), std::string::npos);
  EXPECT_EQ(text.find("rt-"), std::string::npos);
  EXPECT_EQ(text.find("SECRET"), std::string::npos);
}

TEST(ParseAuthStatus, NotLoggedIn) {
  const AuthState a =
      ParseAuthStatus(J(R"({"status":1,"token":"","refreshToken":"","accountId":""})"));
  EXPECT_EQ(a.status, 1);
  EXPECT_FALSE(a.logged_in);
  EXPECT_NE(a.describe().find("not logged in"), std::string::npos) << a.describe();
}

TEST(ParseAuthStatus, Expired) {
  const AuthState a = ParseAuthStatus(J(R"({"status":3,"name":"u","token":"pt-SECRET"})"));
  EXPECT_EQ(a.status, 3);
  EXPECT_FALSE(a.logged_in);
  EXPECT_NE(a.describe().find("expired"), std::string::npos) << a.describe();
  EXPECT_EQ(a.describe().find("SECRET"), std::string::npos);
}

TEST(ParseAuthStatus, OddShapes) {
  EXPECT_EQ(ParseAuthStatus(J(R"({"status":"2","email":"e@x"})")).name, "e@x");
  EXPECT_TRUE(ParseAuthStatus(J(R"({"status":"2"})")).logged_in);
  EXPECT_FALSE(ParseAuthStatus(J("null")).logged_in);
  EXPECT_EQ(ParseAuthStatus(J("{}")).status, 0);
  EXPECT_NE(ParseAuthStatus(J("{}")).describe().find("unknown"), std::string::npos);
  EXPECT_NE(ParseAuthStatus(J(R"({"status":6})")).describe().find("banned"), std::string::npos);
}

// ---------------------------------------------------------------- models

constexpr std::string_view kModels = R"({
  "assistant": [
    {"key":"auto","displayName":"Auto","isReasoning":false,"isVl":true,"apiKey":""},
    {"key":"dashscope_qwen3_coder","displayName":"qwen3-coder","isReasoning":false,"isVl":false},
    {"key":"dashscope_qwen_plus_20250428_thinking","displayName":"qwen3-thinking",
     "isReasoning":true,"isVl":false}
  ],
  "chat": [
    {"key":"dashscope_qwen_max_latest","displayName":"Qwen3-Max"},
    {"key":"auto","displayName":"Auto for chat","isVl":false}
  ],
  "inline": "garbage",
  "quest": [ {"displayName":"no key"}, 7, {"key":""}, {"key":"kmodel"} ]
})";

TEST(ParseModels, PreferredSceneFirstAndDeduplicated) {
  const std::vector<ModelInfo> models = ParseModels(J(kModels), "chat");
  std::vector<std::string> keys;
  for (const ModelInfo& m : models) keys.push_back(m.key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"dashscope_qwen_max_latest", "auto", "dashscope_qwen3_coder",
                                      "dashscope_qwen_plus_20250428_thinking", "kmodel"}));
  // "auto" first seen in the preferred scene: its name and flags come from there.
  EXPECT_EQ(models[1].display_name, "Auto for chat");
  EXPECT_FALSE(models[1].vision);
  EXPECT_EQ(models[1].scenes, (std::vector<std::string>{"chat", "assistant"}));
  EXPECT_TRUE(models[3].reasoning);
  EXPECT_EQ(models[4].display_name, "kmodel") << "missing display name falls back to the key";
  EXPECT_EQ(models[4].scenes, (std::vector<std::string>{"quest"}));
}

TEST(ParseModels, UnknownPreferredSceneKeepsListingOrder) {
  const std::vector<ModelInfo> models = ParseModels(J(kModels), "developer");
  ASSERT_EQ(models.size(), 5u);
  EXPECT_EQ(models[0].key, "auto");
  EXPECT_EQ(models[0].display_name, "Auto");
  EXPECT_TRUE(models[0].vision);
  EXPECT_EQ(models[3].key, "dashscope_qwen_max_latest");
}

TEST(ParseModels, EmptyAndMalformed) {
  EXPECT_TRUE(ParseModels(J("{}"), "chat").empty());
  EXPECT_TRUE(ParseModels(J("null"), "chat").empty());
  EXPECT_TRUE(ParseModels(J(R"([{"key":"auto"}])"), "chat").empty());
}

// ---------------------------------------------------------------- ids

TEST(NewRequestId, ThirtyTwoLowercaseHex) {
  EXPECT_EQ(NewRequestId(0, 0), std::string(32, '0'));
  EXPECT_EQ(NewRequestId(0x0123456789ABCDEFull, 0xFEDCBA9876543210ull),
            "0123456789abcdeffedcba9876543210");
  EXPECT_EQ(NewRequestId(1, 2), "00000000000000010000000000000002");
  EXPECT_NE(NewRequestId(1, 2), NewRequestId(2, 1));
}

TEST(ParseRequestKey, KeysAreEqualExactlyWhenTheIdsAre) {
  const std::string a = NewRequestId(0x0123456789ABCDEFull, 0xFEDCBA9876543210ull);
  const auto key = ParseRequestKey(a);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(std::string(key->bytes.data(), key->bytes.size()), a);
  EXPECT_EQ(ParseRequestKey(std::string(a)), key);
  RequestKeyHash hash;
  EXPECT_EQ(hash(*ParseRequestKey(std::string(a))), hash(*key));
  // Ids that differ in any one byte, the middle ones too, are different keys.
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::string other = a;
    other[i] = other[i] == '0' ? '1' : '0';
    EXPECT_NE(ParseRequestKey(other), key) << other;
  }
  EXPECT_NE(ParseRequestKey(NewRequestId(1, 2)), ParseRequestKey(NewRequestId(2, 1)));
}

TEST(ParseRequestKey, RefusesIdsOfAnotherLength) {
  const std::string id = NewRequestId(1, 2);
  for (const std::string& other : {std::string(), id.substr(1), id + "0", std::string("req-1")}) {
    EXPECT_FALSE(ParseRequestKey(other).has_value()) << other;
  }
}

TEST(NewSessionId, UuidV4Format) {
  const std::regex uuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (auto [a, b] : std::vector<std::pair<std::uint64_t, std::uint64_t>>{
           {0, 0}, {~0ull, ~0ull}, {0x0123456789ABCDEFull, 0xFEDCBA9876543210ull}}) {
    const std::string id = NewSessionId(a, b);
    EXPECT_TRUE(std::regex_match(id, uuid)) << id;
  }
  EXPECT_EQ(NewSessionId(0x0123456789ABCDEFull, 0xFEDCBA9876543210ull),
            "01234567-89ab-4def-bedc-ba9876543210");
  std::set<std::string> distinct;
  for (std::uint64_t i = 0; i < 100; ++i) {
    distinct.insert(NewSessionId(i * 0x9E3779B97F4A7C15ull, i));
  }
  EXPECT_EQ(distinct.size(), 100u);
}

}  // namespace
}  // namespace lingma
