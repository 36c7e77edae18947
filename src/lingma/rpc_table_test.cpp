// Tests for the pending-request table and the classification of inbound messages.
#include "lingma/rpc_table.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace lingma {
namespace {

using namespace std::chrono_literals;
using Clock = RpcTable::Clock;

std::vector<std::int64_t> Ids(const std::vector<RpcTable::Pending>& pending) {
  std::vector<std::int64_t> ids;
  for (const auto& p : pending) ids.push_back(p.id);
  return ids;
}

// ---------------------------------------------------------------- RpcTable

TEST(RpcTable, IdsStartAtOneAndAreNeverReused) {
  RpcTable t;
  const auto t0 = Clock::time_point{} + 100s;
  EXPECT_EQ(t.Add("initialize", t0), 1);
  EXPECT_EQ(t.Add("auth/status", t0), 2);
  ASSERT_TRUE(t.Take(2));
  EXPECT_EQ(t.Add("ping", t0), 3);
  EXPECT_EQ(t.size(), 2u);
}

TEST(RpcTable, TakeReturnsOnceThenUnknown) {
  RpcTable t;
  const auto deadline = Clock::time_point{} + 5s;
  const std::int64_t id = t.Add("chat/ask", deadline);
  const auto taken = t.Take(id);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->id, id);
  EXPECT_EQ(taken->method, "chat/ask");
  EXPECT_EQ(taken->deadline, deadline);
  EXPECT_FALSE(t.Take(id)) << "a duplicate response finds nothing";
  EXPECT_FALSE(t.Take(999)) << "an unknown id finds nothing";
  EXPECT_EQ(t.size(), 0u);
}

TEST(RpcTable, ExpiryTakesOnlyDueEntriesEarliestFirst) {
  RpcTable t;
  const auto base = Clock::time_point{} + 1000s;
  const auto a = t.Add("a", base + 30s);
  const auto b = t.Add("b", base + 10s);
  const auto c = t.Add("c", base + 20s);
  const auto d = t.Add("d", base + 10s);  // ties with b: id order
  const auto e = t.Add("e", base + 60s);
  EXPECT_TRUE(t.TakeExpired(base + 9s).empty());
  EXPECT_EQ(Ids(t.TakeExpired(base + 30s)), (std::vector<std::int64_t>{b, d, c, a}));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.NextDeadline(), base + 60s);
  EXPECT_TRUE(t.TakeExpired(base + 30s).empty());
  EXPECT_EQ(Ids(t.TakeExpired(base + 60s)), std::vector<std::int64_t>{e}) << "deadline inclusive";
  EXPECT_EQ(t.NextDeadline(), std::nullopt);
}

TEST(RpcTable, NextDeadlineTracksTheEarliest) {
  RpcTable t;
  EXPECT_EQ(t.NextDeadline(), std::nullopt);
  const auto base = Clock::time_point{} + 50s;
  t.Add("x", base + 5s);
  const auto early = t.Add("y", base + 1s);
  t.Add("z", base + 3s);
  EXPECT_EQ(t.NextDeadline(), base + 1s);
  t.Take(early);
  EXPECT_EQ(t.NextDeadline(), base + 3s);
}

TEST(RpcTable, TakeAllEmptiesInIdOrder) {
  RpcTable t;
  const auto base = Clock::time_point{} + 50s;
  t.Add("x", base + 5s);
  t.Add("y", base + 1s);
  t.Add("z", base + 3s);
  const auto all = t.TakeAll();
  EXPECT_EQ(Ids(all), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(all[1].method, "y");
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(t.TakeAll().empty());
  EXPECT_EQ(t.Add("after", base), 4) << "ids continue after a disconnect";
}

// ---------------------------------------------------------------- ClassifyInbound

// The reply as it goes on the wire, parsed back.
rpc::Message ParseReply(const Inbound& in) {
  EXPECT_TRUE(in.reply);
  std::string body;
  if (in.reply) rpc::AppendReply(body, in.message.id, *in.reply);
  return rpc::Parse(body);
}

TEST(ClassifyInbound, ResponseToOurRequest) {
  const Inbound in = ClassifyInbound(R"({"jsonrpc":"2.0","id":1,"result":{"isSuccess":true}})");
  EXPECT_EQ(in.action, Inbound::Action::kResponse);
  EXPECT_EQ(rpc::IntId(in.message.id), 1);
  EXPECT_FALSE(in.reply);
  EXPECT_FALSE(in.push);
}

TEST(ClassifyInbound, ErrorResponse) {
  const Inbound in =
      ClassifyInbound(R"({"jsonrpc":"2.0","id":2,"error":{"code":-32603,"message":"x"}})");
  EXPECT_EQ(in.action, Inbound::Action::kResponse);
  ASSERT_TRUE(in.message.error);
  EXPECT_FALSE(in.reply);
}

TEST(ClassifyInbound, ChatPushAsRequestIsRoutedAndAnswered) {
  // id 1 on purpose: it collides with our own first request id.
  const Inbound in = ClassifyInbound(R"({"jsonrpc":"2.0","id":1,"method":"chat/answer",)"
                                     R"("params":{"requestId":"R","text":"pon"}})");
  EXPECT_EQ(in.action, Inbound::Action::kChatPush);
  ASSERT_TRUE(in.push);
  EXPECT_EQ(in.push->request_id, "R");
  EXPECT_EQ(std::get<AnswerPush>(in.push->push).text, "pon");
  const rpc::Message reply = ParseReply(in);
  EXPECT_EQ(reply.kind, rpc::Kind::kResponse);
  EXPECT_EQ(rpc::IntId(reply.id), 1);
  EXPECT_TRUE(reply.result.is_null());
  EXPECT_FALSE(reply.error);
}

TEST(ClassifyInbound, ChatPushAsNotificationGetsNoReply) {
  const Inbound in = ClassifyInbound(R"({"jsonrpc":"2.0","method":"chat/finish",)"
                                     R"("params":{"requestId":"R","statusCode":200}})");
  EXPECT_EQ(in.action, Inbound::Action::kChatPush);
  ASSERT_TRUE(in.push);
  EXPECT_EQ(std::get<FinishPush>(in.push->push).status_code, 200);
  EXPECT_FALSE(in.reply);
}

TEST(ClassifyInbound, StringIdIsEchoed) {
  const Inbound in = ClassifyInbound(
      R"({"jsonrpc":"2.0","id":"p-7","method":"chat/think","params":{"requestId":"R"}})");
  EXPECT_EQ(in.action, Inbound::Action::kChatPush);
  const rpc::Message reply = ParseReply(in);
  EXPECT_EQ(reply.id.as_string(), "p-7");
}

TEST(ClassifyInbound, TitleUpdateIsAnsweredServerRequest) {
  const Inbound in = ClassifyInbound(R"({"jsonrpc":"2.0","id":5,"method":"session/title/update",)"
                                     R"("params":{"sessionId":"S","sessionTitle":"t"}})");
  EXPECT_EQ(in.action, Inbound::Action::kServerRequest);
  EXPECT_FALSE(in.push);
  EXPECT_EQ(in.message.method, "session/title/update");
  EXPECT_EQ(rpc::IntId(ParseReply(in).id), 5);
}

TEST(ClassifyInbound, ToolInvokeIsAnsweredToo) {
  const Inbound in = ClassifyInbound(R"({"jsonrpc":"2.0","id":8,"method":"tool/invoke",)"
                                     R"("params":{"requestId":"R","toolCallId":"c","name":"x"}})");
  EXPECT_EQ(in.action, Inbound::Action::kServerRequest);
  const rpc::Message reply = ParseReply(in);
  EXPECT_EQ(rpc::IntId(reply.id), 8);
  EXPECT_TRUE(reply.result.is_null());
}

TEST(ClassifyInbound, PushWithoutRequestIdIsAPlainServerRequest) {
  const Inbound in =
      ClassifyInbound(R"({"jsonrpc":"2.0","id":9,"method":"chat/answer","params":{"text":"x"}})");
  EXPECT_EQ(in.action, Inbound::Action::kServerRequest);
  EXPECT_FALSE(in.push);
  EXPECT_TRUE(in.reply);
}

TEST(ClassifyInbound, OtherNotification) {
  const Inbound in =
      ClassifyInbound(R"({"jsonrpc":"2.0","method":"image/uploadResultNotification",)"
                      R"("params":{"result":{"requestId":"R"}}})");
  EXPECT_EQ(in.action, Inbound::Action::kServerNotification);
  EXPECT_FALSE(in.reply);
  EXPECT_FALSE(in.push);
}

TEST(ClassifyInbound, BareInvalid) {
  for (const char* body : {"", "not json", "[]", R"({"jsonrpc":"2.0"})", "17"}) {
    const Inbound in = ClassifyInbound(body);
    EXPECT_EQ(in.action, Inbound::Action::kInvalid) << body;
    EXPECT_FALSE(in.reply) << body;
    EXPECT_FALSE(in.push) << body;
    EXPECT_FALSE(in.message.invalid_reason.empty()) << body;
  }
}

TEST(ClassifyInbound, MalformedRequestWithIdGetsAnErrorReply) {
  const Inbound in =
      ClassifyInbound(R"({"jsonrpc":"2.0","id":4,"method":"chat/answer","params":3})");
  EXPECT_EQ(in.action, Inbound::Action::kInvalid);
  const rpc::Message reply = ParseReply(in);
  ASSERT_TRUE(reply.error);
  EXPECT_EQ(reply.error->code, rpc::kInvalidRequest);
  EXPECT_EQ(rpc::IntId(reply.id), 4);
}

}  // namespace
}  // namespace lingma
