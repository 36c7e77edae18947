// Tests for chat completion rendering: the non-stream body and every SSE event.
#include "api/openai/chat_response.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <vector>

#include "api/openai/spec_checks_test_util.hpp"

namespace api::openai {
namespace {

namespace json = boost::json;

ResponseMeta Meta() {
  ResponseMeta meta;
  meta.id = "chatcmpl-abc123";
  meta.created = 1700000000;
  meta.model = "qwen3-coder";
  return meta;
}

chat::Usage MakeUsage(std::int64_t prompt, std::int64_t completion) {
  chat::Usage usage;
  usage.prompt_tokens = prompt;
  usage.completion_tokens = completion;
  return usage;
}

// Splits SSE text into the JSON payloads of its data events, checking the framing on the way.
std::vector<std::string> DataPayloads(std::string_view sse) {
  std::vector<std::string> payloads;
  while (!sse.empty()) {
    const std::size_t end = sse.find("\n\n");
    if (end == std::string_view::npos) {
      ADD_FAILURE() << "event without a blank line: " << sse;
      break;
    }
    const std::string_view event = sse.substr(0, end);
    sse.remove_prefix(end + 2);
    if (event.substr(0, 6) != "data: ") {
      ADD_FAILURE() << "not a data event: " << event;
      continue;
    }
    if (event.find('\n') != std::string_view::npos) ADD_FAILURE() << "multi-line: " << event;
    payloads.emplace_back(event.substr(6));
  }
  return payloads;
}

json::value OneChunk(std::string_view sse) {
  const std::vector<std::string> payloads = DataPayloads(sse);
  if (payloads.size() != 1) {
    ADD_FAILURE() << "expected one event in: " << sse;
    return nullptr;
  }
  json::value v = json::parse(payloads[0]);
  ExpectChatCompletionChunk(v);
  return v;
}

// ---------------------------------------------------------------- non-stream

TEST(OpenAiChatResponse, CompletionGolden) {
  const std::string body = RenderCompletion(Meta(), "Hello!", "", "stop", MakeUsage(12, 3), 0);
  EXPECT_EQ(json::parse(body), json::parse(R"({
    "id": "chatcmpl-abc123",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "qwen3-coder",
    "choices": [{
      "index": 0,
      "message": {"role": "assistant", "content": "Hello!", "refusal": null},
      "logprobs": null,
      "finish_reason": "stop"
    }],
    "usage": {
      "prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15,
      "prompt_tokens_details": {"cached_tokens": 0},
      "completion_tokens_details": {"reasoning_tokens": 0}
    }
  })"));
  ExpectChatCompletion(json::parse(body));
}

TEST(OpenAiChatResponse, CompletionWithReasoningAndFingerprint) {
  ResponseMeta meta = Meta();
  meta.system_fingerprint = "fp_lingma_1";
  const std::string body =
      RenderCompletion(meta, "42", "Let me think.\nOK.", "length", MakeUsage(100, 50), 20);
  EXPECT_EQ(json::parse(body), json::parse(R"({
    "id": "chatcmpl-abc123",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "qwen3-coder",
    "system_fingerprint": "fp_lingma_1",
    "choices": [{
      "index": 0,
      "message": {"role": "assistant", "content": "42", "refusal": null,
                  "reasoning_content": "Let me think.\nOK."},
      "logprobs": null,
      "finish_reason": "length"
    }],
    "usage": {
      "prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150,
      "prompt_tokens_details": {"cached_tokens": 0},
      "completion_tokens_details": {"reasoning_tokens": 20}
    }
  })"));
  ExpectChatCompletion(json::parse(body));
}

TEST(OpenAiChatResponse, CompletionExactTextKeepsOpenAiKeyOrder) {
  EXPECT_EQ(RenderCompletion(Meta(), "Hi", "", "content_filter", MakeUsage(1, 2), 0),
            R"({"id":"chatcmpl-abc123","object":"chat.completion","created":1700000000,)"
            R"("model":"qwen3-coder","choices":[{"index":0,"message":{"role":"assistant",)"
            R"("content":"Hi","refusal":null},"logprobs":null,"finish_reason":"content_filter"}],)"
            R"("usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,)"
            R"("prompt_tokens_details":{"cached_tokens":0},)"
            R"("completion_tokens_details":{"reasoning_tokens":0}}})");
}

TEST(OpenAiChatResponse, CompletionEmptyContentAndFinishReason) {
  const json::value v = json::parse(RenderCompletion(Meta(), "", "", "", MakeUsage(0, 0), 0));
  ExpectChatCompletion(v);
  EXPECT_EQ(v.at("choices").at(0).at("message").at("content"), json::value(""));
  EXPECT_EQ(v.at("choices").at(0).at("finish_reason"), json::value("stop"));
}

TEST(OpenAiChatResponse, CompletionEscapesEverything) {
  ResponseMeta meta = Meta();
  meta.model = "model \"q\"";
  const std::string content = "line1\nline2\t\"quoted\" \\ \x01 你好 😀 bad:\xC3";
  const json::value v =
      json::parse(RenderCompletion(meta, content, "思考\r\n", "stop", MakeUsage(1, 1), 1));
  EXPECT_EQ(v.at("model"), json::value("model \"q\""));
  EXPECT_EQ(v.at("choices").at(0).at("message").at("content"),
            json::value("line1\nline2\t\"quoted\" \\ \x01 你好 😀 bad:\xEF\xBF\xBD"));
  EXPECT_EQ(v.at("choices").at(0).at("message").at("reasoning_content"), json::value("思考\r\n"));
}

// ---------------------------------------------------------------- stream

TEST(OpenAiChatResponse, RoleChunkExactText) {
  std::string out;
  AppendRoleChunk(out, Meta());
  EXPECT_EQ(out,
            "data: {\"id\":\"chatcmpl-abc123\",\"object\":\"chat.completion.chunk\","
            "\"created\":1700000000,\"model\":\"qwen3-coder\",\"choices\":[{\"index\":0,"
            "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
            "\"finish_reason\":null}]}\n\n");
  OneChunk(out);
}

TEST(OpenAiChatResponse, ContentChunkExactTextWithUsageNull) {
  ResponseMeta meta = Meta();
  meta.usage_field = true;
  meta.system_fingerprint = "fp_1";
  std::string out;
  AppendContentChunk(out, meta, "Hel\"lo\"\n");
  EXPECT_EQ(out,
            "data: {\"id\":\"chatcmpl-abc123\",\"object\":\"chat.completion.chunk\","
            "\"created\":1700000000,\"model\":\"qwen3-coder\",\"system_fingerprint\":\"fp_1\","
            "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\\\"lo\\\"\\n\"},"
            "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n");
  OneChunk(out);
}

TEST(OpenAiChatResponse, DeltaChunkWriterWritesTheSameBytes) {
  for (const bool usage_field : {false, true}) {
    for (const char* fingerprint : {"", "fp_\"x"}) {
      ResponseMeta meta = Meta();
      meta.usage_field = usage_field;
      meta.system_fingerprint = fingerprint;
      meta.model = "mo\"del 你好";
      const DeltaChunkWriter writer(meta);
      for (const char* text : {"", "Hello", "a\"b\\c\n\u0001", "你好 😀", "\xff\xfe"}) {
        std::string expected;
        std::string actual = "kept|";
        AppendContentChunk(expected, meta, text);
        writer.AppendContent(actual, text);
        EXPECT_EQ(actual, "kept|" + expected);
        expected.clear();
        actual.clear();
        AppendReasoningChunk(expected, meta, text);
        writer.AppendReasoning(actual, text);
        EXPECT_EQ(actual, expected);
      }
    }
  }
}

TEST(OpenAiChatResponse, ContentChunkGolden) {
  std::string out;
  AppendContentChunk(out, Meta(), "Hello");
  EXPECT_EQ(OneChunk(out), json::parse(R"({
    "id":"chatcmpl-abc123","object":"chat.completion.chunk","created":1700000000,
    "model":"qwen3-coder",
    "choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]
  })"));
}

TEST(OpenAiChatResponse, ReasoningChunkGolden) {
  std::string out;
  AppendReasoningChunk(out, Meta(), "Considering…");
  EXPECT_EQ(OneChunk(out), json::parse(R"({
    "id":"chatcmpl-abc123","object":"chat.completion.chunk","created":1700000000,
    "model":"qwen3-coder",
    "choices":[{"index":0,"delta":{"reasoning_content":"Considering…"},"logprobs":null,
                "finish_reason":null}]
  })"));
}

TEST(OpenAiChatResponse, FinishChunkGolden) {
  std::string out;
  AppendFinishChunk(out, Meta(), "stop");
  EXPECT_EQ(OneChunk(out), json::parse(R"({
    "id":"chatcmpl-abc123","object":"chat.completion.chunk","created":1700000000,
    "model":"qwen3-coder",
    "choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]
  })"));
  std::string empty;
  AppendFinishChunk(empty, Meta(), "");
  EXPECT_EQ(OneChunk(empty).at("choices").at(0).at("finish_reason"), json::value("stop"));
}

TEST(OpenAiChatResponse, UsageFieldOnEveryChunkWhenRequested) {
  ResponseMeta meta = Meta();
  meta.usage_field = true;
  std::string out;
  AppendRoleChunk(out, meta);
  AppendReasoningChunk(out, meta, "r");
  AppendContentChunk(out, meta, "c");
  AppendFinishChunk(out, meta, "stop");
  const std::vector<std::string> payloads = DataPayloads(out);
  ASSERT_EQ(payloads.size(), 4u);
  for (const std::string& payload : payloads) {
    const json::value v = json::parse(payload);
    ExpectChatCompletionChunk(v);
    ASSERT_TRUE(v.as_object().contains("usage")) << payload;
    EXPECT_TRUE(v.at("usage").is_null());
  }
}

TEST(OpenAiChatResponse, NoUsageFieldByDefault) {
  std::string out;
  AppendContentChunk(out, Meta(), "c");
  EXPECT_FALSE(OneChunk(out).as_object().contains("usage"));
}

TEST(OpenAiChatResponse, UsageChunkGolden) {
  ResponseMeta meta = Meta();
  meta.usage_field = true;
  std::string out;
  AppendUsageChunk(out, meta, MakeUsage(30, 12), 4);
  EXPECT_EQ(OneChunk(out), json::parse(R"({
    "id":"chatcmpl-abc123","object":"chat.completion.chunk","created":1700000000,
    "model":"qwen3-coder","choices":[],
    "usage":{"prompt_tokens":30,"completion_tokens":12,"total_tokens":42,
             "prompt_tokens_details":{"cached_tokens":0},
             "completion_tokens_details":{"reasoning_tokens":4}}
  })"));
}

TEST(OpenAiChatResponse, ErrorEventExactText) {
  ApiError error;
  error.http_status = 502;
  error.type = "server_error";
  error.message = "Upstream failed: \"boom\"";
  std::string out;
  AppendErrorEvent(out, error);
  EXPECT_EQ(out,
            "data: {\"error\":{\"message\":\"Upstream failed: \\\"boom\\\"\",\"type\":"
            "\"server_error\",\"param\":null,\"code\":null}}\n\n");
  const std::vector<std::string> payloads = DataPayloads(out);
  ASSERT_EQ(payloads.size(), 1u);
  ExpectErrorResponse(json::parse(payloads[0]));
}

TEST(OpenAiChatResponse, DoneAndKeepAlive) {
  std::string out;
  AppendDone(out);
  EXPECT_EQ(out, "data: [DONE]\n\n");
  out.clear();
  AppendKeepAlive(out);
  EXPECT_EQ(out, ": keep-alive\n\n");
}

TEST(OpenAiChatResponse, AWholeStreamIsWellFramed) {
  ResponseMeta meta = Meta();
  meta.usage_field = true;
  std::string out = "previous bytes|";
  AppendRoleChunk(out, meta);
  AppendKeepAlive(out);
  AppendReasoningChunk(out, meta, "hmm");
  AppendContentChunk(out, meta, "Hi");
  AppendContentChunk(out, meta, " there");
  AppendFinishChunk(out, meta, "stop");
  AppendUsageChunk(out, meta, MakeUsage(5, 2), 1);
  AppendDone(out);
  ASSERT_EQ(out.rfind("previous bytes|", 0), 0u);  // appended, never cleared
  std::string_view events(out);
  events.remove_prefix(std::string_view("previous bytes|").size());

  std::string content;
  int usage_chunks = 0;
  bool done = false;
  std::size_t start = 0;
  while (start < events.size()) {
    const std::size_t end = events.find("\n\n", start);
    ASSERT_NE(end, std::string_view::npos);
    const std::string_view event = events.substr(start, end - start);
    start = end + 2;
    if (event.front() == ':') continue;  // comment
    ASSERT_EQ(event.substr(0, 6), "data: ");
    ASSERT_FALSE(done) << "event after [DONE]";
    const std::string_view data = event.substr(6);
    if (data == "[DONE]") {
      done = true;
      continue;
    }
    const json::value v = json::parse(data);
    ExpectChatCompletionChunk(v);
    EXPECT_EQ(v.at("id"), json::value("chatcmpl-abc123"));
    if (v.at("choices").as_array().empty()) {
      ++usage_chunks;
      EXPECT_EQ(v.at("usage").at("total_tokens"), json::value(7));
      continue;
    }
    const json::object& delta = v.at("choices").at(0).at("delta").as_object();
    if (const json::value* c = delta.if_contains("content")) content += c->as_string().c_str();
  }
  EXPECT_TRUE(done);
  EXPECT_EQ(usage_chunks, 1);
  EXPECT_EQ(content, "Hi there");
}

TEST(OpenAiChatResponse, ChunkTextEscaping) {
  struct Case {
    std::string input;
    std::string expected;
  };
  const Case cases[] = {
      {"quote \" and \\ backslash", "quote \" and \\ backslash"},
      {"new\nline\r\ttab", "new\nline\r\ttab"},
      {std::string("nul\0byte\x1f", 9), std::string("nul\0byte\x1f", 9)},
      {"中文字符与标点。", "中文字符与标点。"},
      {"emoji 😀 flag 🇨🇳", "emoji 😀 flag 🇨🇳"},
      {"\xFF\xFE", "\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"cut \xE4\xB8", "cut \xEF\xBF\xBD"},
  };
  for (const Case& c : cases) {
    std::string out;
    AppendContentChunk(out, Meta(), c.input);
    AppendReasoningChunk(out, Meta(), c.input);
    const std::vector<std::string> payloads = DataPayloads(out);
    ASSERT_EQ(payloads.size(), 2u);
    const json::value content = json::parse(payloads[0]);
    const json::value reasoning = json::parse(payloads[1]);
    const json::string& got = content.at("choices").at(0).at("delta").at("content").as_string();
    EXPECT_EQ(std::string(got.data(), got.size()), c.expected) << payloads[0];
    const json::string& got_reasoning =
        reasoning.at("choices").at(0).at("delta").at("reasoning_content").as_string();
    EXPECT_EQ(std::string(got_reasoning.data(), got_reasoning.size()), c.expected);
  }
}

}  // namespace
}  // namespace api::openai
