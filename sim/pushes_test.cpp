// Tests for the push bodies: valid JSON, exact shapes, request vs notification form.
#include "sim/pushes.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "sim/json_text.hpp"

namespace sim {
namespace {

boost::json::value Json(std::string_view text) { return boost::json::parse(text); }

TEST(PushesTest, StepCallbackAsRequest) {
  std::string out;
  AppendStepCallback(out, 5, "r", "s", "step_start", "done");
  EXPECT_EQ(Json(out), Json(R"({"jsonrpc":"2.0","id":5,"method":"chat/process_step_callback",
      "params":{"requestId":"r","sessionId":"s","step":"step_start","description":"",
                "status":"done","result":null,"message":""}})"));
}

TEST(PushesTest, NotificationHasNoId) {
  std::string out;
  AppendTitleUpdate(out, std::nullopt, "s", "a \"title\"");
  EXPECT_EQ(Json(out), Json(R"({"jsonrpc":"2.0","method":"session/title/update",
      "params":{"sessionId":"s","sessionTitle":"a \"title\""}})"));
}

TEST(PushesTest, Answer) {
  std::string out;
  AppendAnswer(out, 9, "r", "s", "你好\n", true, false, 1714000000123, "chat");
  EXPECT_EQ(Json(out), Json(R"({"jsonrpc":"2.0","id":9,"method":"chat/answer",
      "params":{"requestId":"r","sessionId":"s","text":"你好\n","overwrite":true,
                "isFiltered":false,"timestamp":1714000000123,"extra":{"sessionType":"chat"}}})"));
}

TEST(PushesTest, Finish) {
  std::string out;
  AppendFinish(out, 10, "r", "s2", "success", 200, "full", "chat");
  EXPECT_EQ(Json(out), Json(R"({"jsonrpc":"2.0","id":10,"method":"chat/finish",
      "params":{"requestId":"r","sessionId":"s2","reason":"success","statusCode":200,
                "fullAnswer":"full","extra":{"sessionType":"chat"}}})"));
}

TEST(PushesTest, AuthReport) {
  std::string out;
  AppendAuthReport(out, 1, R"({"status":2})");
  EXPECT_EQ(Json(out), Json(R"({"jsonrpc":"2.0","id":1,"method":"auth/report",
                                "params":{"status":2}})"));
}

TEST(JsonTextTest, EscapesWhatJsonRequires) {
  std::string out;
  const std::string raw("a\"b\\c\n\t\x01 é\0", 12);  // ends in a NUL byte
  AppendJsonString(out, raw);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\t\\u0001 é\\u0000\"");
  EXPECT_EQ(Json(out).as_string(), raw);
  out.clear();
  AppendJsonInt(out, -42);
  EXPECT_EQ(out, "-42");
}

}  // namespace
}  // namespace sim
