// Tests for POST /v1/chat/completions body parsing and validation.
#include "api/openai/chat_request.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <string>
#include <vector>

namespace api::openai {
namespace {

chat::ChatRequest ParseOk(std::string_view body, const ParseLimits& limits = {}) {
  auto result = ParseChatRequest(body, limits);
  if (const ApiError* error = std::get_if<ApiError>(&result)) {
    ADD_FAILURE() << "unexpected error: " << RenderError(*error) << "\nbody: " << body;
    return {};
  }
  return std::get<chat::ChatRequest>(std::move(result));
}

ApiError ParseError(std::string_view body, const ParseLimits& limits = {}) {
  auto result = ParseChatRequest(body, limits);
  if (const ApiError* error = std::get_if<ApiError>(&result)) return *error;
  ADD_FAILURE() << "expected an error for body: " << body;
  return {};
}

// A valid body with `extra` top-level members spliced in.
std::string WithUser(std::string_view extra) {
  std::string body = R"({"model":"m","messages":[{"role":"user","content":"hi"}])";
  // Appended piecewise: GCC 12 at -O3 misreports `"," + std::string(extra)` (-Wrestrict).
  if (!extra.empty()) {
    body += ',';
    body.append(extra);
  }
  body += '}';
  return body;
}

// A body whose messages array is `messages` (JSON text).
std::string WithMessages(std::string_view messages) {
  return R"({"model":"m","messages":)" + std::string(messages) + "}";
}

// ---------------------------------------------------------------- accepted bodies

TEST(OpenAiChatRequest, MinimalBody) {
  const chat::ChatRequest r =
      ParseOk(R"({"model":"qwen3-coder","messages":[{"role":"user","content":"Hello"}]})");
  EXPECT_EQ(r.model, "qwen3-coder");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].role, chat::Role::kUser);
  EXPECT_EQ(r.messages[0].content, "Hello");
  EXPECT_EQ(r.messages[0].name, "");
  EXPECT_EQ(r.messages[0].tool_call_id, "");
  EXPECT_FALSE(r.stream);
  EXPECT_FALSE(r.include_usage);
  EXPECT_FALSE(r.max_tokens.has_value());
  EXPECT_FALSE(r.reasoning_effort.has_value());
  EXPECT_EQ(r.hints.user, "");
  EXPECT_EQ(r.hints.prompt_cache_key, "");
  EXPECT_EQ(r.hints.metadata_user_id, "");
  EXPECT_EQ(r.hints.session_header, "");
}

TEST(OpenAiChatRequest, ModelMayBeAbsentOrNull) {
  EXPECT_EQ(ParseOk(R"({"messages":[{"role":"user","content":"x"}]})").model, "");
  EXPECT_EQ(ParseOk(R"({"model":null,"messages":[{"role":"user","content":"x"}]})").model, "");
}

TEST(OpenAiChatRequest, AllRolesInOrder) {
  const chat::ChatRequest r = ParseOk(WithMessages(R"([
    {"role":"system","content":"sys"},
    {"role":"developer","content":"dev"},
    {"role":"user","content":"question","name":"alice"},
    {"role":"assistant","content":"answer"},
    {"role":"tool","content":"result","tool_call_id":"call_1"},
    {"role":"user","content":"next"}])"));
  ASSERT_EQ(r.messages.size(), 6u);
  const std::vector<chat::Role> roles = {chat::Role::kSystem, chat::Role::kDeveloper,
                                         chat::Role::kUser,   chat::Role::kAssistant,
                                         chat::Role::kTool,   chat::Role::kUser};
  for (std::size_t i = 0; i < roles.size(); ++i) EXPECT_EQ(r.messages[i].role, roles[i]) << i;
  EXPECT_EQ(r.messages[0].content, "sys");
  EXPECT_EQ(r.messages[1].content, "dev");
  EXPECT_EQ(r.messages[2].name, "alice");
  EXPECT_EQ(r.messages[3].content, "answer");
  EXPECT_EQ(r.messages[4].content, "result");
  EXPECT_EQ(r.messages[4].tool_call_id, "call_1");
  EXPECT_EQ(r.messages[5].content, "next");
}

TEST(OpenAiChatRequest, TextPartsJoinedWithNewlineSkippingEmptyParts) {
  const chat::ChatRequest r = ParseOk(WithMessages(R"([{"role":"user","content":[
    {"type":"text","text":"<task>fix it</task>"},
    {"type":"text","text":""},
    {"type":"text","text":"<env>linux</env>","cache_control":{"type":"ephemeral"}}]}])"));
  EXPECT_EQ(r.messages[0].content, "<task>fix it</task>\n<env>linux</env>");
}

TEST(OpenAiChatRequest, PartsForEveryTextRole) {
  const chat::ChatRequest r = ParseOk(WithMessages(R"([
    {"role":"system","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
    {"role":"assistant","content":[{"type":"text","text":"c"}]},
    {"role":"tool","tool_call_id":"t","content":[{"type":"text","text":"d"}]}])"));
  EXPECT_EQ(r.messages[0].content, "a\nb");
  EXPECT_EQ(r.messages[1].content, "c");
  EXPECT_EQ(r.messages[2].content, "d");
}

TEST(OpenAiChatRequest, AssistantContentMayBeNullOrAbsent) {
  const chat::ChatRequest r = ParseOk(WithMessages(R"([
    {"role":"user","content":"q"},
    {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
      "function":{"name":"f","arguments":"{}"}}]},
    {"role":"tool","tool_call_id":"call_1","content":"42"},
    {"role":"assistant"},
    {"role":"user","content":"and?"}])"));
  ASSERT_EQ(r.messages.size(), 5u);
  EXPECT_EQ(r.messages[1].content, "");
  EXPECT_EQ(r.messages[3].content, "");
}

TEST(OpenAiChatRequest, AssistantRefusalsAreIgnored) {
  const chat::ChatRequest r = ParseOk(WithMessages(R"([
    {"role":"user","content":"q"},
    {"role":"assistant","content":[{"type":"text","text":"partly"},
                                   {"type":"refusal","refusal":"no"}],"refusal":"no"},
    {"role":"assistant","content":null,"refusal":"I can't"},
    {"role":"user","content":"ok"}])"));
  EXPECT_EQ(r.messages[1].content, "partly");
  EXPECT_EQ(r.messages[2].content, "");
}

TEST(OpenAiChatRequest, LastMessageMayBeTool) {
  const chat::ChatRequest r = ParseOk(WithMessages(
      R"([{"role":"user","content":"q"},{"role":"tool","tool_call_id":"x","content":"r"}])"));
  EXPECT_EQ(r.messages.back().role, chat::Role::kTool);
}

TEST(OpenAiChatRequest, UnicodeContentIsKeptVerbatim) {
  const chat::ChatRequest r =
      ParseOk(WithMessages(R"([{"role":"user","content":"你好 😀 \"q\"\n\u00e9\ud83d\ude00"}])"));
  EXPECT_EQ(r.messages[0].content, "你好 😀 \"q\"\né😀");
}

TEST(OpenAiChatRequest, StreamWithIncludeUsage) {
  const chat::ChatRequest r =
      ParseOk(WithUser(R"("stream":true,"stream_options":{"include_usage":true})"));
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  const chat::ChatRequest off =
      ParseOk(WithUser(R"("stream":true,"stream_options":{"include_usage":false})"));
  EXPECT_TRUE(off.stream);
  EXPECT_FALSE(off.include_usage);
  const chat::ChatRequest plain = ParseOk(WithUser(R"("stream":true)"));
  EXPECT_FALSE(plain.include_usage);
}

TEST(OpenAiChatRequest, NullStreamOptionsWithoutStreamIsFine) {
  const chat::ChatRequest r = ParseOk(WithUser(R"("stream":false,"stream_options":null)"));
  EXPECT_FALSE(r.stream);
  EXPECT_FALSE(ParseOk(WithUser(R"("stream":null)")).stream);
  // include_obfuscation is accepted (and has no effect).
  EXPECT_TRUE(
      ParseOk(WithUser(R"("stream":true,"stream_options":{"include_obfuscation":false})")).stream);
}

TEST(OpenAiChatRequest, MaxTokensTakesTheSmallerLimit) {
  EXPECT_EQ(ParseOk(WithUser(R"("max_tokens":100)")).max_tokens, 100);
  EXPECT_EQ(ParseOk(WithUser(R"("max_completion_tokens":50)")).max_tokens, 50);
  EXPECT_EQ(ParseOk(WithUser(R"("max_tokens":100,"max_completion_tokens":50)")).max_tokens, 50);
  EXPECT_EQ(ParseOk(WithUser(R"("max_tokens":20,"max_completion_tokens":50)")).max_tokens, 20);
  EXPECT_EQ(ParseOk(WithUser(R"("max_tokens":null,"max_completion_tokens":7)")).max_tokens, 7);
  EXPECT_FALSE(ParseOk(WithUser(R"("max_tokens":null)")).max_tokens.has_value());
}

TEST(OpenAiChatRequest, HugeMaxTokensClampToInt) {
  EXPECT_EQ(ParseOk(WithUser(R"("max_tokens":99999999999)")).max_tokens, INT_MAX);
  EXPECT_EQ(ParseOk(WithUser(R"("max_tokens":18446744073709551615)")).max_tokens, INT_MAX);
}

TEST(OpenAiChatRequest, NOfOneIsAccepted) {
  ParseOk(WithUser(R"("n":1)"));
  ParseOk(WithUser(R"("n":null)"));
}

TEST(OpenAiChatRequest, ReasoningEffortIsPassedThrough) {
  EXPECT_EQ(ParseOk(WithUser(R"("reasoning_effort":"high")")).reasoning_effort, "high");
  EXPECT_FALSE(ParseOk(WithUser(R"("reasoning_effort":null)")).reasoning_effort.has_value());
}

TEST(OpenAiChatRequest, ConversationHints) {
  const chat::ChatRequest r = ParseOk(WithUser(
      R"("user":"u-1","prompt_cache_key":"pck","metadata":{"user_id":"user_abc_session_1",)"
      R"("other":"x"})"));
  EXPECT_EQ(r.hints.user, "u-1");
  EXPECT_EQ(r.hints.prompt_cache_key, "pck");
  EXPECT_EQ(r.hints.metadata_user_id, "user_abc_session_1");
  EXPECT_EQ(r.hints.session_header, "");  // filled from headers by the HTTP layer
  EXPECT_EQ(r.hints.agent_header, "");
  const chat::ChatRequest nulls =
      ParseOk(WithUser(R"("user":null,"prompt_cache_key":null,"metadata":null)"));
  EXPECT_EQ(nulls.hints.metadata_user_id, "");
}

TEST(OpenAiChatRequest, LongMetadataValuesAreAccepted) {
  const std::string id(2000, 'x');
  EXPECT_EQ(ParseOk(WithUser(R"("metadata":{"user_id":")" + id + R"("})")).hints.metadata_user_id,
            id);
}

TEST(OpenAiChatRequest, ToolParametersThatAskForNothingAreAccepted) {
  ParseOk(WithUser(R"("tools":[])"));
  ParseOk(WithUser(R"("tools":null,"functions":[])"));
  ParseOk(WithUser(R"("tool_choice":"none")"));
  ParseOk(WithUser(R"("tool_choice":"auto","parallel_tool_calls":false)"));
  ParseOk(WithUser(R"("function_call":"none")"));
  ParseOk(WithUser(R"("tool_choice":null,"function_call":null)"));
}

TEST(OpenAiChatRequest, TextResponseFormatIsAccepted) {
  ParseOk(WithUser(R"("response_format":{"type":"text"})"));
  ParseOk(WithUser(R"("response_format":null)"));
}

TEST(OpenAiChatRequest, IgnoredParametersWithValidValues) {
  ParseOk(WithUser(
      R"("temperature":0.7,"top_p":1,"presence_penalty":-2,"frequency_penalty":2,"seed":-5,)"
      R"("stop":"END","logit_bias":{"50256":-100,"11":5.5},"logprobs":false,"top_logprobs":0,)"
      R"("parallel_tool_calls":true,"store":false,"service_tier":"auto")"));
  ParseOk(WithUser(R"("temperature":0,"top_p":0,"stop":["a","b"],"top_logprobs":20)"));
  ParseOk(WithUser(R"("temperature":2,"seed":18446744073709551615)"));
  ParseOk(WithUser(
      R"("temperature":null,"top_p":null,"presence_penalty":null,"frequency_penalty":null,)"
      R"("seed":null,"stop":null,"logit_bias":null,"logprobs":null,"top_logprobs":null,)"
      R"("parallel_tool_calls":null,"store":null,"service_tier":null,"response_format":null)"));
}

TEST(OpenAiChatRequest, UnknownFieldsAreIgnored) {
  const chat::ChatRequest r =
      ParseOk(R"({"model":"m","future_param":{"nested":[1,2,{"x":null}]},"safety_identifier":"s",)"
              R"("messages":[{"role":"user","content":"hi","extra":true,"cache_control":{}}]})");
  EXPECT_EQ(r.messages[0].content, "hi");
}

TEST(OpenAiChatRequest, NestingWithinTheLimitIsAccepted) {
  std::string nested = "1";
  for (int i = 0; i < 60; ++i) nested = "[" + nested + "]";
  ParseOk(WithUser(R"("future_param":)" + nested));
}

TEST(OpenAiChatRequest, MessageLimitIsInclusive) {
  ParseLimits limits;
  limits.max_messages = 2;
  ParseOk(WithMessages(R"([{"role":"system","content":"s"},{"role":"user","content":"u"}])"),
          limits);
}

// ---------------------------------------------------------------- refused bodies

struct ErrorCase {
  const char* name;
  std::string body;
  std::string param;  // "" = null
  std::string code;   // "" = null
  std::string message_part;
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class OpenAiChatRequestErrors : public testing::TestWithParam<ErrorCase> {};

TEST_P(OpenAiChatRequestErrors, NamesTheParameter) {
  const ErrorCase& c = GetParam();
  const ApiError error = ParseError(c.body);
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.type, "invalid_request_error");
  EXPECT_EQ(error.param, c.param) << error.message;
  EXPECT_EQ(error.code, c.code) << error.message;
  if (!c.param.empty()) {
    EXPECT_NE(error.message.find("'" + c.param + "'"), std::string::npos) << error.message;
  }
  EXPECT_NE(error.message.find(c.message_part), std::string::npos) << error.message;
}

const std::string kParse = "We could not parse the JSON body of your request";

const ErrorCase kErrorCases[] = {
    // The body itself.
    {"EmptyBody", "", "", "", kParse},
    {"MalformedJson", R"({"messages":[)", "", "", kParse},
    {"TrailingGarbage", WithUser("") + "x", "", "", kParse},
    {"InvalidUtf8", "{\"messages\":[{\"role\":\"user\",\"content\":\"\xFF\"}]}", "", "",
     "is not valid UTF-8"},
    {"TruncatedUtf8", "{\"messages\":[{\"role\":\"user\",\"content\":\"\xE4\xBD\"}]}", "", "",
     "is not valid UTF-8"},
    {"NotAnObject", R"([{"role":"user","content":"hi"}])", "", "",
     "must be a JSON object, but it is an array"},
    {"TooDeep", WithUser(R"("x":)" + std::string(100, '[') + std::string(100, ']')), "", "",
     "nested too deeply (more than 64 levels"},
    // messages
    {"MessagesMissing", R"({"model":"m"})", "messages", "missing_required_parameter",
     "Missing required parameter: 'messages'."},
    {"MessagesNull", R"({"messages":null})", "messages", "invalid_type",
     "expected an array, but got null instead"},
    {"MessagesNotArray", R"({"messages":{"role":"user"}})", "messages", "invalid_type",
     "expected an array, but got an object instead"},
    {"MessagesEmpty", R"({"messages":[]})", "messages", "empty_array", "empty array"},
    {"MessageNotObject", WithMessages(R"(["hi"])"), "messages[0]", "invalid_type",
     "expected an object, but got a string instead"},
    {"RoleMissing", WithMessages(R"([{"content":"hi"}])"), "messages[0].role",
     "missing_required_parameter", "Missing required parameter"},
    {"RoleNotString", WithMessages(R"([{"role":1,"content":"hi"}])"), "messages[0].role",
     "invalid_type", "expected a string, but got an integer instead"},
    {"RoleUnknown", WithMessages(R"([{"role":"robot","content":"hi"}])"), "messages[0].role",
     "invalid_value", "'robot'. Supported values are"},
    {"RoleFunction",
     WithMessages(
         R"([{"role":"user","content":"q"},{"role":"function","name":"f","content":"1"}])"),
     "messages[1].role", "unsupported_value", "send function results as role 'tool'"},
    {"UserContentMissing", WithMessages(R"([{"role":"user"}])"), "messages[0].content",
     "missing_required_parameter", "Missing required parameter"},
    {"UserContentNull", WithMessages(R"([{"role":"user","content":null}])"), "messages[0].content",
     "invalid_type", "expected a string or an array of content parts, but got null instead"},
    {"SystemContentMissing", WithMessages(R"([{"role":"system"},{"role":"user","content":"x"}])"),
     "messages[0].content", "missing_required_parameter", "Missing required parameter"},
    {"ContentNumber", WithMessages(R"([{"role":"user","content":42}])"), "messages[0].content",
     "invalid_type", "but got an integer instead"},
    {"ContentObject", WithMessages(R"([{"role":"user","content":{"type":"text"}}])"),
     "messages[0].content", "invalid_type", "but got an object instead"},
    {"ContentEmptyArray", WithMessages(R"([{"role":"user","content":[]}])"), "messages[0].content",
     "empty_array", "empty array"},
    {"AssistantContentNumber",
     WithMessages(R"([{"role":"assistant","content":1.5},{"role":"user","content":"x"}])"),
     "messages[0].content", "invalid_type", "but got a decimal instead"},
    {"PartNotObject",
     WithMessages(R"([{"role":"user","content":[{"type":"text","text":"a"},"b"]}])"),
     "messages[0].content[1]", "invalid_type", "expected an object, but got a string instead"},
    {"PartTypeMissing", WithMessages(R"([{"role":"user","content":[{"text":"a"}]}])"),
     "messages[0].content[0].type", "missing_required_parameter", "Missing required parameter"},
    {"PartTypeNotString", WithMessages(R"([{"role":"user","content":[{"type":true}]}])"),
     "messages[0].content[0].type", "invalid_type", "but got a boolean instead"},
    {"TextPartWithoutText", WithMessages(R"([{"role":"user","content":[{"type":"text"}]}])"),
     "messages[0].content[0].text", "missing_required_parameter", "Missing required parameter"},
    {"TextPartTextNotString",
     WithMessages(R"([{"role":"user","content":[{"type":"text","text":["a"]}]}])"),
     "messages[0].content[0].text", "invalid_type", "but got an array instead"},
    {"ImagePart", WithMessages(R"([{"role":"system","content":"s"},{"role":"user","content":[
       {"type":"text","text":"what is this?"},
       {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}])"),
     "messages[1].content[1].type", "unsupported_value",
     "content part type 'image_url' is not supported yet"},
    {"AudioPart",
     WithMessages(R"([{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}])"),
     "messages[0].content[0].type", "unsupported_value",
     "content part type 'input_audio' is not supported yet"},
    {"FilePart", WithMessages(R"([{"role":"user","content":[{"type":"file","file":{}}]}])"),
     "messages[0].content[0].type", "unsupported_value",
     "content part type 'file' is not supported yet"},
    {"UnknownPartType", WithMessages(R"([{"role":"user","content":[{"type":"video"}]}])"),
     "messages[0].content[0].type", "invalid_value", "'video'. Supported values are"},
    {"RefusalPartFromUser",
     WithMessages(R"([{"role":"user","content":[{"type":"refusal","refusal":"x"}]}])"),
     "messages[0].content[0].type", "invalid_value", "'refusal'. Supported values are"},
    {"NameNotString", WithMessages(R"([{"role":"user","content":"x","name":7}])"),
     "messages[0].name", "invalid_type", "expected a string, but got an integer instead"},
    {"ToolCallIdMissing",
     WithMessages(R"([{"role":"user","content":"q"},{"role":"tool","content":"r"}])"),
     "messages[1].tool_call_id", "missing_required_parameter", "Missing required parameter"},
    {"ToolCallIdNotString", WithMessages(R"([{"role":"tool","content":"r","tool_call_id":12}])"),
     "messages[0].tool_call_id", "invalid_type", "but got an integer instead"},
    {"LastMessageAssistant",
     WithMessages(R"([{"role":"user","content":"q"},{"role":"assistant","content":"a"}])"),
     "messages", "invalid_value", "the last message must have role 'user' or 'tool'"},
    {"LastMessageSystem", WithMessages(R"([{"role":"system","content":"s"}])"), "messages",
     "invalid_value", "but it has role 'system'"},
    // model, stream, stream_options
    {"ModelNotString", R"({"model":5,"messages":[{"role":"user","content":"x"}]})", "model",
     "invalid_type", "expected a string, but got an integer instead"},
    {"StreamNotBool", WithUser(R"("stream":"true")"), "stream", "invalid_type",
     "expected a boolean, but got a string instead"},
    {"StreamOptionsWithoutStream", WithUser(R"("stream_options":{"include_usage":true})"),
     "stream_options", "invalid_value", "only allowed when 'stream' is enabled"},
    {"StreamOptionsWithStreamFalse",
     WithUser(R"("stream":false,"stream_options":{"include_usage":true})"), "stream_options",
     "invalid_value", "only allowed when 'stream' is enabled"},
    {"StreamOptionsNotObject", WithUser(R"("stream":true,"stream_options":true)"), "stream_options",
     "invalid_type", "expected an object, but got a boolean instead"},
    {"IncludeUsageNotBool", WithUser(R"("stream":true,"stream_options":{"include_usage":"yes"})"),
     "stream_options.include_usage", "invalid_type", "expected a boolean"},
    {"IncludeObfuscationNotBool",
     WithUser(R"("stream":true,"stream_options":{"include_obfuscation":1})"),
     "stream_options.include_obfuscation", "invalid_type", "expected a boolean"},
    // max_tokens, n, strings
    {"MaxTokensZero", WithUser(R"("max_tokens":0)"), "max_tokens", "integer_below_min_value",
     "Expected a value >= 1, but got 0 instead"},
    {"MaxTokensNegative", WithUser(R"("max_tokens":-5)"), "max_tokens", "integer_below_min_value",
     "but got -5 instead"},
    {"MaxTokensDecimal", WithUser(R"("max_tokens":1.5)"), "max_tokens", "invalid_type",
     "expected an integer, but got a decimal instead"},
    {"MaxTokensString", WithUser(R"("max_tokens":"100")"), "max_tokens", "invalid_type",
     "expected an integer, but got a string instead"},
    {"MaxCompletionTokensZero", WithUser(R"("max_tokens":10,"max_completion_tokens":0)"),
     "max_completion_tokens", "integer_below_min_value", "Expected a value >= 1"},
    {"NTwo", WithUser(R"("n":2)"), "n", "unsupported_value", "only n=1 is supported"},
    {"NZero", WithUser(R"("n":0)"), "n", "unsupported_value", "but got 0"},
    {"NString", WithUser(R"("n":"1")"), "n", "invalid_type", "expected an integer"},
    {"ReasoningEffortNotString", WithUser(R"("reasoning_effort":3)"), "reasoning_effort",
     "invalid_type", "expected a string"},
    {"UserNotString", WithUser(R"("user":{"id":1})"), "user", "invalid_type",
     "expected a string, but got an object instead"},
    {"PromptCacheKeyNotString", WithUser(R"("prompt_cache_key":1)"), "prompt_cache_key",
     "invalid_type", "expected a string"},
    {"MetadataNotObject", WithUser(R"("metadata":["a"])"), "metadata", "invalid_type",
     "expected an object, but got an array instead"},
    {"MetadataValueNotString", WithUser(R"("metadata":{"user_id":123})"), "metadata.user_id",
     "invalid_type", "expected a string, but got an integer instead"},
    // tools and response formats
    {"Tools", WithUser(R"("tools":[{"type":"function","function":{"name":"f"}}])"), "tools",
     "unsupported_parameter", "tool calling is not supported yet"},
    {"ToolsNotArray", WithUser(R"("tools":{"type":"function"})"), "tools", "invalid_type",
     "expected an array"},
    {"Functions", WithUser(R"("functions":[{"name":"f","parameters":{}}])"), "functions",
     "unsupported_parameter", "tool calling is not supported yet"},
    {"ToolChoiceRequired", WithUser(R"("tool_choice":"required")"), "tool_choice",
     "unsupported_parameter", "tool calling is not supported yet"},
    {"ToolChoiceNamed", WithUser(R"("tool_choice":{"type":"function","function":{"name":"f"}})"),
     "tool_choice", "unsupported_parameter", "tool calling is not supported yet"},
    {"ToolChoiceNumber", WithUser(R"("tool_choice":1)"), "tool_choice", "invalid_type",
     "expected a string or an object"},
    {"FunctionCallNamed", WithUser(R"("function_call":{"name":"f"})"), "function_call",
     "unsupported_parameter", "tool calling is not supported yet"},
    {"ResponseFormatJsonObject", WithUser(R"("response_format":{"type":"json_object"})"),
     "response_format", "unsupported_value", "of type 'json_object' is not supported yet"},
    {"ResponseFormatJsonSchema",
     WithUser(R"("response_format":{"type":"json_schema","json_schema":{"name":"x"}})"),
     "response_format", "unsupported_value", "of type 'json_schema' is not supported yet"},
    {"ResponseFormatWithoutType", WithUser(R"("response_format":{})"), "response_format.type",
     "missing_required_parameter", "Missing required parameter"},
    {"ResponseFormatString", WithUser(R"("response_format":"text")"), "response_format",
     "invalid_type", "expected an object, but got a string instead"},
    // type-checked, otherwise ignored
    {"TemperatureString", WithUser(R"("temperature":"hot")"), "temperature", "invalid_type",
     "expected a number, but got a string instead"},
    {"TemperatureTooHigh", WithUser(R"("temperature":2.5)"), "temperature",
     "decimal_above_max_value", "Expected a value <= 2, but got 2.5 instead"},
    {"TemperatureNegative", WithUser(R"("temperature":-0.1)"), "temperature",
     "decimal_below_min_value", "Expected a value >= 0, but got -0.1 instead"},
    {"TopPTooHigh", WithUser(R"("top_p":1.5)"), "top_p", "decimal_above_max_value",
     "Expected a value <= 1"},
    {"PresencePenaltyTooLow", WithUser(R"("presence_penalty":-3)"), "presence_penalty",
     "decimal_below_min_value", "Expected a value >= -2, but got -3 instead"},
    {"FrequencyPenaltyTooHigh", WithUser(R"("frequency_penalty":2.01)"), "frequency_penalty",
     "decimal_above_max_value", "Expected a value <= 2"},
    {"SeedDecimal", WithUser(R"("seed":1.5)"), "seed", "invalid_type", "expected an integer"},
    {"SeedString", WithUser(R"("seed":"42")"), "seed", "invalid_type", "expected an integer"},
    {"StopNumber", WithUser(R"("stop":5)"), "stop", "invalid_type",
     "expected a string or an array of strings"},
    {"StopItemNotString", WithUser(R"("stop":["a",1])"), "stop[1]", "invalid_type",
     "expected a string, but got an integer instead"},
    {"LogitBiasArray", WithUser(R"("logit_bias":[1])"), "logit_bias", "invalid_type",
     "expected an object"},
    {"LogitBiasValueString", WithUser(R"("logit_bias":{"42":"x"})"), "logit_bias.42",
     "invalid_type", "expected a number"},
    {"LogitBiasOutOfRange", WithUser(R"("logit_bias":{"42":101})"), "logit_bias.42",
     "invalid_value", "between -100 and 100, but got 101 instead"},
    {"LogprobsNotBool", WithUser(R"("logprobs":"yes")"), "logprobs", "invalid_type",
     "expected a boolean"},
    {"TopLogprobsTooHigh", WithUser(R"("top_logprobs":21)"), "top_logprobs",
     "integer_above_max_value", "Expected a value <= 20, but got 21 instead"},
    {"TopLogprobsNegative", WithUser(R"("top_logprobs":-1)"), "top_logprobs",
     "integer_below_min_value", "Expected a value >= 0"},
    {"ParallelToolCallsNotBool", WithUser(R"("parallel_tool_calls":1)"), "parallel_tool_calls",
     "invalid_type", "expected a boolean"},
    {"StoreNotBool", WithUser(R"("store":"no")"), "store", "invalid_type", "expected a boolean"},
    {"ServiceTierNotString", WithUser(R"("service_tier":1)"), "service_tier", "invalid_type",
     "expected a string"},
};

INSTANTIATE_TEST_SUITE_P(Rules, OpenAiChatRequestErrors, testing::ValuesIn(kErrorCases),
                         [](const testing::TestParamInfo<ErrorCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(OpenAiChatRequest, TooManyMessages) {
  ParseLimits limits;
  limits.max_messages = 2;
  const ApiError error = ParseError(WithMessages(R"([{"role":"system","content":"s"},
      {"role":"user","content":"u"},{"role":"user","content":"v"}])"),
                                    limits);
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.param, "messages");
  EXPECT_EQ(error.code, "array_above_max_length");
  EXPECT_EQ(error.message,
            "Invalid 'messages': array too long. Expected an array with maximum length 2, but got "
            "an array with length 3 instead.");
}

TEST(OpenAiChatRequest, DepthLimitIsConfigurable) {
  ParseLimits limits;
  limits.max_depth = 4;
  // body object, messages array, message object: depth 3.
  ParseOk(WithMessages(R"([{"role":"user","content":"u"}])"), limits);
  const ApiError error =
      ParseError(WithMessages(R"([{"role":"user","content":[{"type":"text","text":"u"}]}])"),
                 ParseLimits{10000, 3});
  EXPECT_NE(error.message.find("more than 3 levels"), std::string::npos) << error.message;
}

TEST(OpenAiChatRequest, ExactMessagesForCommonMistakes) {
  EXPECT_EQ(ParseError(WithUser(R"("temperature":"0.5")")).message,
            "Invalid type for 'temperature': expected a number, but got a string instead.");
  EXPECT_EQ(ParseError(R"({"model":"m"})").message, "Missing required parameter: 'messages'.");
  EXPECT_EQ(ParseError(WithUser(R"("stream_options":{"include_usage":true})")).message,
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
}

TEST(OpenAiChatRequest, FirstErrorWins) {
  // Both the message and tools are wrong: messages are checked first.
  const ApiError error =
      ParseError(R"({"messages":[{"role":"user","content":[{"type":"image_url"}]}],"tools":[{}]})");
  EXPECT_EQ(error.param, "messages[0].content[0].type");
}

}  // namespace
}  // namespace api::openai
