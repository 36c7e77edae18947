// Tests for JSON-RPC classification (method before id) and the message builders.
#include "lingma/jsonrpc.hpp"

#include <gtest/gtest.h>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>

namespace lingma::rpc {
namespace {

namespace json = boost::json;

TEST(JsonRpcParse, RequestWithIntegerId) {
  const Message m = Parse(R"({"jsonrpc":"2.0","id":1031,"method":"chat/answer",)"
                          R"("params":{"requestId":"R","text":"pon"}})");
  ASSERT_EQ(m.kind, Kind::kRequest) << m.invalid_reason;
  EXPECT_EQ(m.method, "chat/answer");
  EXPECT_EQ(IntId(m.id), 1031);
  EXPECT_EQ(m.params.at("text").as_string(), "pon");
  EXPECT_TRUE(m.result.is_null());
  EXPECT_FALSE(m.error);
}

TEST(JsonRpcParse, ServerRequestWithIdOneIsARequestNotAResponse) {
  // Lingma numbers its pushes from 1 too: while our request 1 is pending, its push id 1 must not
  // be taken for the answer to our request.
  const Message m = Parse(R"({"jsonrpc":"2.0","id":1,"method":"chat/finish","params":{}})");
  EXPECT_EQ(m.kind, Kind::kRequest);
  EXPECT_EQ(IntId(m.id), 1);
  // Even a push that (wrongly) carries a result stays a request: method decides.
  const Message odd = Parse(R"({"id":1,"method":"chat/answer","result":{"x":1}})");
  EXPECT_EQ(odd.kind, Kind::kRequest);
}

TEST(JsonRpcParse, RequestWithNullIdIsStillARequest) {
  const Message m = Parse(R"({"jsonrpc":"2.0","id":null,"method":"ping"})");
  EXPECT_EQ(m.kind, Kind::kRequest);
  EXPECT_TRUE(m.id.is_null());
  EXPECT_TRUE(m.params.is_null());
}

TEST(JsonRpcParse, Notification) {
  const Message m =
      Parse(R"({"jsonrpc":"2.0","method":"image/uploadResultNotification","params":{"a":1}})");
  EXPECT_EQ(m.kind, Kind::kNotification);
  EXPECT_TRUE(m.id.is_null());
  EXPECT_EQ(m.method, "image/uploadResultNotification");
  EXPECT_EQ(m.params.at("a").as_int64(), 1);
}

TEST(JsonRpcParse, StringIds) {
  const Message req = Parse(R"({"jsonrpc":"2.0","id":"chat-qc","method":"chat/answer"})");
  EXPECT_EQ(req.kind, Kind::kRequest);
  EXPECT_EQ(req.id.as_string(), "chat-qc");
  EXPECT_EQ(IntId(req.id), std::nullopt);
  const Message resp = Parse(R"({"jsonrpc":"2.0","id":"7","result":true})");
  EXPECT_EQ(resp.kind, Kind::kResponse);
  EXPECT_EQ(IntId(resp.id), std::nullopt) << "a string id never matches our integer ids";
}

TEST(JsonRpcParse, ArrayParamsAreKept) {
  const Message m = Parse(R"({"jsonrpc":"2.0","id":3,"method":"x","params":[1,2]})");
  ASSERT_EQ(m.kind, Kind::kRequest);
  ASSERT_TRUE(m.params.is_array());
  EXPECT_EQ(m.params.as_array().size(), 2u);
}

TEST(JsonRpcParse, ScalarParamsAreInvalidButKeepMethodAndId) {
  const Message m = Parse(R"({"jsonrpc":"2.0","id":4,"method":"x","params":5})");
  EXPECT_EQ(m.kind, Kind::kInvalid);
  EXPECT_EQ(m.method, "x");
  EXPECT_EQ(IntId(m.id), 4);
  EXPECT_NE(m.invalid_reason.find("params"), std::string::npos);
}

TEST(JsonRpcParse, SuccessResponse) {
  const Message m = Parse(R"({"jsonrpc":"2.0","id":7,"result":{"isSuccess":true}})");
  ASSERT_EQ(m.kind, Kind::kResponse);
  EXPECT_EQ(IntId(m.id), 7);
  EXPECT_TRUE(m.result.at("isSuccess").as_bool());
  EXPECT_FALSE(m.error);
  EXPECT_TRUE(m.method.empty());
}

TEST(JsonRpcParse, NullResultIsAResponse) {
  const Message m = Parse(R"({"jsonrpc":"2.0","id":2,"result":null})");
  EXPECT_EQ(m.kind, Kind::kResponse);
  EXPECT_TRUE(m.result.is_null());
  EXPECT_FALSE(m.error);
}

TEST(JsonRpcParse, ErrorResponse) {
  const Message m = Parse(R"({"jsonrpc":"2.0","id":9,"error":{"code":-32603,)"
                          R"("message":"failed to get user plan info: HTTP status 404"}})");
  ASSERT_EQ(m.kind, Kind::kResponse);
  ASSERT_TRUE(m.error);
  EXPECT_EQ(m.error->code, -32603);
  EXPECT_EQ(m.error->message, "failed to get user plan info: HTTP status 404");
}

TEST(JsonRpcParse, NonNullErrorWinsOverNullResult) {
  const Message m = Parse(R"({"id":9,"result":null,"error":{"code":-1,"message":"no"}})");
  ASSERT_EQ(m.kind, Kind::kResponse);
  ASSERT_TRUE(m.error);
  EXPECT_EQ(m.error->code, -1);
  const Message ok = Parse(R"({"id":9,"result":5,"error":null})");
  ASSERT_EQ(ok.kind, Kind::kResponse);
  EXPECT_FALSE(ok.error);
  EXPECT_EQ(ok.result.as_int64(), 5);
}

TEST(JsonRpcParse, ErrorWithMissingFieldsIsTolerated) {
  const Message m = Parse(R"({"id":1,"error":{}})");
  ASSERT_EQ(m.kind, Kind::kResponse);
  ASSERT_TRUE(m.error);
  EXPECT_EQ(m.error->code, 0);
  EXPECT_EQ(m.error->message, "");
}

TEST(JsonRpcParse, InvalidInputs) {
  struct Case {
    const char* json;
    const char* reason_part;
  };
  for (const Case& c : {
           Case{"", "not valid JSON"},
           Case{"{", "not valid JSON"},
           Case{R"({"id":1,"result":1} trailing)", "not valid JSON"},
           Case{"42", "not a JSON object"},
           Case{R"("text")", "not a JSON object"},
           Case{R"([{"id":1,"result":1}])", "batch"},
           Case{R"({"jsonrpc":"2.0"})", "neither"},
           Case{R"({"id":1})", "without"},
           Case{R"({"id":1,"error":null})", "without"},
           Case{R"({"id":1,"error":"boom"})", "error"},
           Case{R"({"id":{"a":1},"result":1})", "id"},
           Case{R"({"id":true,"method":"x"})", "id"},
           Case{R"({"id":1,"method":5})", "method"},
           Case{R"({"id":1,"method":""})", "method"},
       }) {
    const Message m = Parse(c.json);
    EXPECT_EQ(m.kind, Kind::kInvalid) << c.json;
    EXPECT_NE(m.invalid_reason.find(c.reason_part), std::string::npos)
        << c.json << " → " << m.invalid_reason;
  }
}

TEST(JsonRpcParse, NonAsciiTextSurvives) {
  const Message m = Parse(R"({"method":"chat/answer","params":{"text":"你好😀"}})");
  ASSERT_EQ(m.kind, Kind::kNotification);
  EXPECT_EQ(m.params.at("text").as_string(), "你好😀");
}

TEST(JsonRpcParse, IllFormedUtf8InStringsKeepsTheMessage) {
  // A delta with a stray byte or a character cut in half must not cost the whole push; the bytes
  // become U+FFFD so nothing downstream (replies, logs, client bodies) sees ill-formed text.
  const std::string body =
      "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"chat/answer\","
      "\"params\":{\"requestId\":\"R\",\"text\":\"a\xff b\xe4\xbd\"}}";
  const Message m = Parse(body);
  ASSERT_EQ(m.kind, Kind::kRequest) << m.invalid_reason;
  EXPECT_EQ(m.params.at("text").as_string(), "a\xEF\xBF\xBD b\xEF\xBF\xBD");
}

TEST(JsonRpcParse, ValuesLiveInTheGivenStorage) {
  json::monotonic_resource arena;
  const Message m = Parse(R"({"jsonrpc":"2.0","id":"abc","method":"chat/answer",)"
                          R"("params":{"text":"pon","extra":[1,2,{"k":"v"}]}})",
                          &arena);
  ASSERT_EQ(m.kind, Kind::kRequest) << m.invalid_reason;
  EXPECT_EQ(m.params.storage().get(), &arena);
  EXPECT_EQ(m.id.storage().get(), &arena);
  EXPECT_EQ(m.params.at("extra").at(2).at("k").as_string(), "v");
  const Message response = Parse(R"({"id":3,"result":{"models":["a","b"]}})", &arena);
  ASSERT_EQ(response.kind, Kind::kResponse);
  EXPECT_EQ(response.result.storage().get(), &arena);
  // A copy into the default storage outlives the arena.
  const json::value kept(response.result, json::storage_ptr());
  EXPECT_NE(kept.storage().get(), &arena);
  EXPECT_EQ(kept, response.result);
}

TEST(JsonRpcBuild, RequestRoundTrips) {
  const std::string body = Request(12, "chat/ask", json::object{{"requestId", "R"}});
  EXPECT_EQ(body, R"({"jsonrpc":"2.0","id":12,"method":"chat/ask","params":{"requestId":"R"}})");
  const Message m = Parse(body);
  EXPECT_EQ(m.kind, Kind::kRequest);
  EXPECT_EQ(IntId(m.id), 12);
  EXPECT_EQ(m.method, "chat/ask");
  EXPECT_EQ(m.params.at("requestId").as_string(), "R");
}

TEST(JsonRpcBuild, NullParamsBecomeEmptyObject) {
  EXPECT_EQ(Request(1, "ping", nullptr), R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{}})");
  EXPECT_EQ(Notification("initialized", nullptr),
            R"({"jsonrpc":"2.0","method":"initialized","params":{}})");
  const Message m = Parse(Notification("initialized", nullptr));
  EXPECT_EQ(m.kind, Kind::kNotification);
  EXPECT_TRUE(m.params.is_object());
}

TEST(JsonRpcBuild, RequestWithParamsTextAppends) {
  std::string out = "kept|";
  AppendRequest(out, -3, "chat/\"ask\"", R"({"q":"a\nb"})");
  EXPECT_EQ(out, R"(kept|{"jsonrpc":"2.0","id":-3,"method":"chat/\"ask\"","params":{"q":"a\nb"}})");
  const Message m = Parse(std::string_view(out).substr(5));
  EXPECT_EQ(m.kind, Kind::kRequest);
  EXPECT_EQ(m.method, "chat/\"ask\"");
  EXPECT_EQ(m.params.at("q").as_string(), "a\nb");
}

std::string Framed(std::string_view body) {
  return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

TEST(JsonRpcBuild, FrameRequestIsTheRequestInOneFrame) {
  const FramedBytes framed =
      FrameRequest(42, "chat/\"ask\"", RequestParams::Json(R"({"q":"你好"})"));
  EXPECT_EQ(framed.wire(),
            Framed(R"({"jsonrpc":"2.0","id":42,"method":"chat/\"ask\"","params":{"q":"你好"}})"));
  EXPECT_EQ(FrameRequest(7, "ping", RequestParams::Of(nullptr)).wire(),
            Framed(R"({"jsonrpc":"2.0","id":7,"method":"ping","params":{}})"));
}

TEST(JsonRpcBuild, FrameRequestFramesParamsWhereTheyWereWritten) {
  RequestParams params;
  params.out() += R"({"text":")";
  params.out().append(300'000, 'x');
  params.out() += R"("})";
  EXPECT_EQ(params.text().substr(0, 10), R"({"text":"x)");
  const std::string_view written = params.text();
  const FramedBytes framed = FrameRequest(INT64_MIN, "chat/ask", std::move(params));
  // Not moved: the frame ends with the params where they were written, then the tail.
  const std::string_view wire = framed.wire();
  EXPECT_EQ(static_cast<const void*>(wire.data() + wire.size() - 1 - written.size()),
            static_cast<const void*>(written.data()));
  EXPECT_EQ(framed.wire(), Framed(R"({"jsonrpc":"2.0","id":-9223372036854775808,)"
                                  R"("method":"chat/ask","params":{"text":")" +
                                  std::string(300'000, 'x') + R"("}})"));
}

TEST(JsonRpcBuild, FrameRequestTakesAnyMethodAndId) {
  // With these params the room fits a method of 63 characters at most for INT64_MIN (exactly),
  // 82 for 0: both sides of it.
  for (const std::size_t method_size : {0, 1, 30, 62, 63, 64, 81, 82, 83, 200, 5000}) {
    for (const std::int64_t id : {std::int64_t{0}, std::int64_t{-1}, INT64_MAX, INT64_MIN}) {
      const std::string method(method_size, 'm');
      const std::string body = R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" +
                               method + R"(","params":{"a":1}})";
      const FramedBytes framed = FrameRequest(id, method, RequestParams::Json(R"({"a":1})"));
      EXPECT_EQ(framed.wire(), Framed(body)) << method_size << " " << id;
      if (method_size <= 62) {
        EXPECT_GT(framed.from, 0u) << "framed in the room";
      }
      if (method_size >= 83) {
        EXPECT_EQ(framed.from, 0u) << "the room was too small";
      }
    }
  }
}

TEST(JsonRpcBuild, ParamsTextAsTheBuildersSendThem) {
  EXPECT_EQ(ParamsText(nullptr), "{}");
  EXPECT_EQ(ParamsText(json::object{}), "{}");
  EXPECT_EQ(ParamsText(json::object{{"a", 1}}), R"({"a":1})");
  EXPECT_EQ(ParamsText(json::array{1, "x"}), R"([1,"x"])");
}

TEST(JsonRpcBuild, ResultEchoesIdOfAnyType) {
  EXPECT_EQ(Result(json::value(5), nullptr), R"({"jsonrpc":"2.0","id":5,"result":null})");
  EXPECT_EQ(Result(json::value("chat-qc"), true),
            R"({"jsonrpc":"2.0","id":"chat-qc","result":true})");
  const Message m = Parse(Result(json::value("s"), json::object{{"ok", 1}}));
  EXPECT_EQ(m.kind, Kind::kResponse);
  EXPECT_EQ(m.id.as_string(), "s");
  EXPECT_EQ(m.result.at("ok").as_int64(), 1);
}

TEST(JsonRpcBuild, ErrorReplyRoundTrips) {
  const std::string body = ErrorReply(json::value(3), kMethodNotFound, "unknown \"method\"");
  const Message m = Parse(body);
  ASSERT_EQ(m.kind, Kind::kResponse);
  ASSERT_TRUE(m.error);
  EXPECT_EQ(m.error->code, -32601);
  EXPECT_EQ(m.error->message, "unknown \"method\"");
  EXPECT_EQ(IntId(m.id), 3);
}

TEST(JsonRpcIntId, OnlyIntegers) {
  EXPECT_EQ(IntId(json::value(std::int64_t{42})), 42);
  EXPECT_EQ(IntId(json::value(std::uint64_t{42})), 42);
  EXPECT_EQ(IntId(json::value(std::int64_t{-1})), -1);
  EXPECT_EQ(IntId(json::value(std::uint64_t{1} << 63)), std::nullopt);
  EXPECT_EQ(IntId(json::value(7.0)), std::nullopt);
  EXPECT_EQ(IntId(json::value("7")), std::nullopt);
  EXPECT_EQ(IntId(json::value(nullptr)), std::nullopt);
  EXPECT_EQ(IntId(json::parse("18446744073709551615")), std::nullopt);
}

}  // namespace
}  // namespace lingma::rpc
