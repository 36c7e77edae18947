// Tests for OpenAI error bodies.
#include "api/openai/errors.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "api/openai/spec_checks_test_util.hpp"

namespace api::openai {
namespace {

namespace json = boost::json;

TEST(OpenAiErrors, GoldenWithNulls) {
  ApiError error;
  error.message = "Something went wrong.";
  EXPECT_EQ(RenderError(error),
            R"({"error":{"message":"Something went wrong.","type":"invalid_request_error",)"
            R"("param":null,"code":null}})");
}

TEST(OpenAiErrors, GoldenWithParamAndCode) {
  ApiError error;
  error.http_status = 429;
  error.message = "Quota \"exceeded\"\nretry later";
  error.type = "insufficient_quota";
  error.param = "messages[0].content";
  error.code = "insufficient_quota";
  EXPECT_EQ(json::parse(RenderError(error)), json::parse(R"({"error":{
      "message":"Quota \"exceeded\"\nretry later","type":"insufficient_quota",
      "param":"messages[0].content","code":"insufficient_quota"}})"));
}

TEST(OpenAiErrors, ValidatesAgainstErrorResponse) {
  ApiError error = BadRequest("bad", "temperature", "invalid_type");
  ExpectErrorResponse(json::parse(RenderError(error)));
  ExpectErrorResponse(json::parse(RenderError(ApiError{})));
}

TEST(OpenAiErrors, BadRequestDefaults) {
  const ApiError error = BadRequest("nope");
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.type, "invalid_request_error");
  EXPECT_EQ(error.message, "nope");
  EXPECT_EQ(error.param, "");
  EXPECT_EQ(error.code, "");
  const ApiError named = BadRequest("nope", "n", "unsupported_value");
  EXPECT_EQ(named.param, "n");
  EXPECT_EQ(named.code, "unsupported_value");
}

TEST(OpenAiErrors, InvalidUtf8InMessageStillGivesValidJson) {
  const json::value v = json::parse(RenderError(BadRequest("bad \xFF byte")));
  EXPECT_EQ(v.at("error").at("message").as_string(), "bad \xEF\xBF\xBD byte");
}

}  // namespace
}  // namespace api::openai
