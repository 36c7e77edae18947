// Tests for the chat-push fast path: it reads the common pushes, and whatever it answers is
// exactly what the general path (a JSON tree) answers.
#include "lingma/push_scanner.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <string>
#include <vector>

namespace lingma {
namespace {

namespace json = boost::json;

// The scanner's answer must equal the general path's in everything the gateway reads.
void ExpectSameAsTree(const std::string& body) {
  const std::optional<Inbound> fast = ScanChatPush(body, {});
  if (!fast) return;
  const Inbound tree = ClassifyInboundFromTree(body);
  EXPECT_EQ(fast->action, tree.action) << body;
  EXPECT_EQ(fast->message.kind, tree.message.kind) << body;
  EXPECT_EQ(json::serialize(fast->message.id), json::serialize(tree.message.id)) << body;
  EXPECT_EQ(fast->message.method, tree.message.method) << body;
  EXPECT_EQ(fast->reply, tree.reply) << body;
  EXPECT_EQ(fast->push, tree.push) << body;
}

std::optional<Inbound> Scan(const std::string& body) {
  ExpectSameAsTree(body);
  return ScanChatPush(body, {});
}

TEST(PushScanner, ReadsAnAnswerAsLingmaSendsIt) {
  const auto in =
      Scan(R"({"jsonrpc":"2.0","id":17,"method":"chat/answer","params":{"requestId":"R1",)"
           R"("sessionId":"S1","text":"Hel\"lo\n你好 😀","overwrite":false,"isFiltered":true,)"
           R"("timestamp":1764212345678,"extra":{"sessionType":"chat","nested":[1,{"a":null}]}}})");
  ASSERT_TRUE(in);
  EXPECT_EQ(in->action, Inbound::Action::kChatPush);
  EXPECT_EQ(in->message.kind, rpc::Kind::kRequest);
  EXPECT_EQ(rpc::IntId(in->message.id), 17);
  ASSERT_TRUE(in->reply);
  std::string reply;
  rpc::AppendReply(reply, in->message.id, *in->reply);
  EXPECT_EQ(reply, R"({"jsonrpc":"2.0","id":17,"result":null})");
  ASSERT_TRUE(in->push);
  EXPECT_EQ(in->push->request_id, "R1");
  const auto* answer = std::get_if<AnswerPush>(&in->push->push);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->text, "Hel\"lo\n你好 😀");
  EXPECT_FALSE(answer->overwrite);
  EXPECT_TRUE(answer->filtered);
}

TEST(PushScanner, ReadsFinishThinkAndStepPushes) {
  const auto finish =
      Scan(R"({"method":"chat/finish","id":"abc","params":{"requestId":42,"sessionId":"S2",)"
           R"("reason":"success","statusCode":"200","fullAnswer":"all of it"}})");
  ASSERT_TRUE(finish);
  EXPECT_EQ(finish->message.id.as_string(), "abc");
  EXPECT_EQ(finish->push->request_id, "42");
  const auto* f = std::get_if<FinishPush>(&finish->push->push);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->session_id, "S2");
  EXPECT_EQ(f->status_code, 200);
  EXPECT_EQ(f->full_answer, "all of it");

  const auto think = Scan(R"({"method":"chat/think","params":{"requestId":"R","text":"hmm"}})");
  ASSERT_TRUE(think);
  EXPECT_EQ(think->message.kind, rpc::Kind::kNotification);
  EXPECT_FALSE(think->reply);
  EXPECT_TRUE(std::holds_alternative<ThinkPush>(think->push->push));

  const auto step = Scan(R"({"id":null,"method":"chat/process_step_callback",)"
                         R"("params":{"requestId":"R","step":"step_end","status":"done"}})");
  ASSERT_TRUE(step);
  EXPECT_EQ(step->message.kind, rpc::Kind::kRequest);  // an id, even null, makes a request
  EXPECT_TRUE(step->reply);
  EXPECT_TRUE(std::holds_alternative<StepPush>(step->push->push));
}

TEST(PushScanner, MemberOrderAndToleratedTypesDoNotMatter) {
  const auto in = Scan(R"( { "params" : { "isFiltered":"true", "overwrite":1, "text":"x",)"
                       R"( "requestId":"R" }, "method" : "chat/answer", "id" : 5 } )");
  ASSERT_TRUE(in);
  const auto* answer = std::get_if<AnswerPush>(&in->push->push);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->text, "x");
}

TEST(PushScanner, LongEscapedStringsArriveWhole) {
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "\\u4f60\\n\\\"";
  const auto in =
      Scan(R"({"method":"chat/answer","params":{"requestId":"R","text":")" + text + R"("}})");
  ASSERT_TRUE(in);
  const auto* answer = std::get_if<AnswerPush>(&in->push->push);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->text.size(), 3000u * (3 + 1 + 1));
}

TEST(PushScanner, LeavesEverythingElseToTheGeneralPath) {
  const std::vector<std::string> others = {
      // not chat pushes
      R"({"jsonrpc":"2.0","id":3,"result":{"isSuccess":true}})",
      R"({"method":"auth/report","params":{"status":2}})",
      R"({"method":"session/title/update","params":{"requestId":"R","title":"t"}})",
      R"({"method":"chat/answer","params":{"text":"no request id"}})",
      R"({"method":"chat/answer","params":{"requestId":"","text":"x"}})",
      // shapes the tree judges
      R"({"method":"chat/answer","method":"chat/finish","params":{"requestId":"R"}})",
      R"({"method":"chat/answer","params":{"requestId":"R","text":"a","text":"b"}})",
      R"({"method":"chat/answer","params":{"requestId":"R"},"params":{"requestId":"S"}})",
      R"({"method":"chat/answer","params":{"requestId":"R","text":{"a":1}}})",
      R"({"method":"chat/answer","params":{"requestId":["R"]}})",
      R"({"method":"chat/answer","params":[{"requestId":"R"}]})",
      R"({"method":"chat/answer","params":null})",
      R"({"method":"chat/answer","id":{"x":1},"params":{"requestId":"R"}})",
      R"({"method":"chat/answer","id":1.5,"params":{"requestId":"R"}})",
      R"({"method":"chat/answer","id":true,"params":{"requestId":"R"}})",
      R"({"method":5,"params":{"requestId":"R"}})",
      R"({"method":"","params":{"requestId":"R"}})",
      R"([{"method":"chat/answer","params":{"requestId":"R"}}])",
      R"({"method":"chat/answer","params":{"requestId":"R"}} trailing)",
      R"({"method":"chat/answer","params":{"requestId":"R")",
      "{\"method\":\"chat/answer\",\"params\":{\"requestId\":\"R\",\"text\":\"\xff\"}}",
      "",
      "42",
  };
  for (const std::string& body : others) {
    EXPECT_FALSE(ScanChatPush(body, {})) << body;
  }
}

TEST(PushScanner, ClassifyInboundUsesItAndAgreesWithTheTree) {
  const std::string body =
      R"({"jsonrpc":"2.0","id":9,"method":"chat/answer","params":{"requestId":"R","text":"t"}})";
  const Inbound fast = ClassifyInbound(body);
  const Inbound tree = ClassifyInboundFromTree(body);
  EXPECT_TRUE(fast.message.params.is_null());    // the scanner's answer
  EXPECT_TRUE(tree.message.params.is_object());  // the tree's
  EXPECT_EQ(fast.push, tree.push);
  EXPECT_EQ(fast.reply, tree.reply);
  // A body the scanner leaves is classified from the tree.
  const Inbound report = ClassifyInbound(R"({"method":"auth/report","params":{"status":2}})");
  EXPECT_EQ(report.action, Inbound::Action::kServerNotification);
  EXPECT_TRUE(report.message.params.is_object());
}

}  // namespace
}  // namespace lingma
