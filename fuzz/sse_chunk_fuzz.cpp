// Fuzzes the OpenAI response rendering (api/openai/chat_response.hpp, errors.hpp) and
// text/json_text.hpp with arbitrary text, ids, model names, finish reasons and token counts.
//
// Invariants:
// - every SSE event is exactly "data: <JSON>\n\n" with no other line break, and the JSON parses
//   with Boost.JSON (which also rejects invalid UTF-8);
// - strings come back as sent when they are valid UTF-8, and otherwise exactly as the reference
//   repair below (one U+FFFD per maximal ill-formed subpart);
// - the non-stream body and the error bodies parse too and carry the same fields.
#include <fuzzer/FuzzedDataProvider.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/openai/chat_response.hpp"
#include "api/openai/errors.hpp"
#include "chat/model.hpp"
#include "fuzz/fuzz_common.hpp"
#include "text/json_text.hpp"

namespace {

namespace json = boost::json;
namespace oa = api::openai;

// Reference for json_text::AppendString's repair: each maximal ill-formed subpart becomes U+FFFD.
std::string Repair(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      out.push_back(static_cast<char>(b0));
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
    } else if (b0 == 0xE0) {
      len = 3, lo = 0xA0;
    } else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
      len = 3;
    } else if (b0 == 0xED) {
      len = 3, hi = 0x9F;
    } else if (b0 == 0xF0) {
      len = 4, lo = 0x90;
    } else if (b0 >= 0xF1 && b0 <= 0xF3) {
      len = 4;
    } else if (b0 == 0xF4) {
      len = 4, hi = 0x8F;
    }
    std::size_t good = 1;  // bytes of the sequence that are well-formed so far
    if (len != 0) {
      while (good < len && i + good < n) {
        const auto b = static_cast<unsigned char>(s[i + good]);
        const unsigned char min = good == 1 ? lo : 0x80;
        const unsigned char max = good == 1 ? hi : 0xBF;
        if (b < min || b > max) break;
        ++good;
      }
    }
    if (len != 0 && good == len) {
      out.append(s.substr(i, len));
    } else {
      out.append("\xEF\xBF\xBD");
    }
    i += good;
  }
  return out;
}

json::value ParseOrDie(std::string_view text, const char* what) {
  json::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  FUZZ_CHECK_MSG(!ec, "%s is not valid JSON (%s): %.*s", what, ec.message().c_str(),
                 static_cast<int>(text.size()), text.data());
  return v;
}

// One SSE event: "data: " + JSON + "\n\n", no other line break. Returns the parsed JSON.
json::value ParseEvent(std::string_view event, const char* what) {
  constexpr std::string_view kPrefix = "data: ";
  FUZZ_CHECK(event.size() >= kPrefix.size() + 2);
  FUZZ_CHECK(event.substr(0, kPrefix.size()) == kPrefix);
  FUZZ_CHECK(event.substr(event.size() - 2) == "\n\n");
  const std::string_view payload = event.substr(kPrefix.size(), event.size() - kPrefix.size() - 2);
  FUZZ_CHECK_MSG(payload.find_first_of("\r\n") == std::string_view::npos,
                 "%s: line break inside the event", what);
  return ParseOrDie(payload, what);
}

const json::value& Get(const json::value& v, std::string_view key) {
  const json::object* obj = v.if_object();
  FUZZ_CHECK(obj != nullptr);
  const json::value* field = obj->if_contains(key);
  FUZZ_CHECK_MSG(field != nullptr, "missing \"%.*s\"", static_cast<int>(key.size()), key.data());
  return *field;
}

void CheckString(const json::value& v, std::string_view sent) {
  FUZZ_CHECK(v.is_string());
  const std::string want = Repair(sent);
  FUZZ_CHECK(std::string_view(v.get_string()) == want);
  if (fuzz::IsValidUtf8(sent)) FUZZ_CHECK(want == sent);
}

void CheckHeader(const json::value& v, const oa::ResponseMeta& meta, std::string_view object) {
  CheckString(Get(v, "id"), meta.id);
  FUZZ_CHECK(Get(v, "object").is_string() && Get(v, "object").get_string() == object);
  FUZZ_CHECK(Get(v, "created").to_number<std::int64_t>() == meta.created);
  CheckString(Get(v, "model"), meta.model);
  if (meta.system_fingerprint.empty()) {
    FUZZ_CHECK(!v.get_object().contains("system_fingerprint"));
  } else {
    CheckString(Get(v, "system_fingerprint"), meta.system_fingerprint);
  }
}

// Checks a delta chunk; returns choices[0].
const json::value& CheckChunk(const json::value& v, const oa::ResponseMeta& meta) {
  CheckHeader(v, meta, "chat.completion.chunk");
  const json::value& choices = Get(v, "choices");
  FUZZ_CHECK(choices.is_array() && choices.get_array().size() == 1);
  const json::value& choice = choices.get_array()[0];
  FUZZ_CHECK(Get(choice, "index").to_number<int>() == 0);
  FUZZ_CHECK(Get(choice, "logprobs").is_null());
  FUZZ_CHECK(Get(choice, "delta").is_object());
  if (meta.usage_field) {
    FUZZ_CHECK(Get(v, "usage").is_null());
  } else {
    FUZZ_CHECK(!v.get_object().contains("usage"));
  }
  return choice;
}

void CheckUsage(const json::value& usage, const chat::Usage& want, std::int64_t reasoning) {
  FUZZ_CHECK(Get(usage, "prompt_tokens").to_number<std::int64_t>() == want.prompt_tokens);
  FUZZ_CHECK(Get(usage, "completion_tokens").to_number<std::int64_t>() == want.completion_tokens);
  FUZZ_CHECK(Get(usage, "total_tokens").to_number<std::int64_t>() == want.total_tokens());
  const json::value& details = Get(usage, "completion_tokens_details");
  FUZZ_CHECK(Get(details, "reasoning_tokens").to_number<std::int64_t>() == reasoning);
}

void CheckError(const json::value& v, const oa::ApiError& error) {
  FUZZ_CHECK(v.get_object().size() == 1);
  const json::value& e = Get(v, "error");
  CheckString(Get(e, "message"), error.message);
  CheckString(Get(e, "type"), error.type);
  if (error.param.empty()) {
    FUZZ_CHECK(Get(e, "param").is_null());
  } else {
    CheckString(Get(e, "param"), error.param);
  }
  if (error.code.empty()) {
    FUZZ_CHECK(Get(e, "code").is_null());
  } else {
    CheckString(Get(e, "code"), error.code);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  oa::ResponseMeta meta;
  meta.id = fdp.ConsumeRandomLengthString(48);
  meta.model = fdp.ConsumeRandomLengthString(48);
  meta.system_fingerprint = fdp.ConsumeRandomLengthString(24);
  meta.created = fdp.ConsumeIntegral<std::int64_t>();
  meta.usage_field = fdp.ConsumeBool();
  const std::string finish_reason = fdp.ConsumeRandomLengthString(24);
  chat::Usage usage;
  // Token counts are estimates of real text: far below the int64 range their sum must fit in.
  usage.prompt_tokens = fdp.ConsumeIntegralInRange<std::int64_t>(0, std::int64_t{1} << 48);
  usage.completion_tokens = fdp.ConsumeIntegralInRange<std::int64_t>(0, std::int64_t{1} << 48);
  const auto reasoning_tokens = fdp.ConsumeIntegral<std::int64_t>();
  oa::ApiError error;
  error.http_status = fdp.ConsumeIntegralInRange(400, 599);
  error.type = fdp.ConsumeRandomLengthString(24);
  error.param = fdp.ConsumeRandomLengthString(24);
  error.code = fdp.ConsumeRandomLengthString(24);
  const std::string text = fdp.ConsumeRemainingBytesAsString();
  const std::size_t cut = text.empty() ? 0 : static_cast<std::size_t>(data[0]) % (text.size() + 1);
  const std::string_view content = std::string_view(text).substr(0, cut);
  const std::string_view reasoning = std::string_view(text).substr(cut);
  error.message = text;

  // json_text::AppendString alone.
  {
    std::string out;
    json_text::AppendString(out, text);
    CheckString(ParseOrDie(out, "json_text::AppendString"), text);
  }

  std::string stream;
  {
    std::string event;
    oa::AppendRoleChunk(event, meta);
    const json::value v = ParseEvent(event, "role chunk");
    const json::value& delta = Get(CheckChunk(v, meta), "delta");
    FUZZ_CHECK(Get(delta, "role").get_string() == "assistant");
    stream += event;
  }
  {
    std::string event;
    oa::AppendContentChunk(event, meta, content);
    const json::value v = ParseEvent(event, "content chunk");
    const json::value& choice = CheckChunk(v, meta);
    CheckString(Get(Get(choice, "delta"), "content"), content);
    FUZZ_CHECK(Get(choice, "finish_reason").is_null());
    stream += event;
  }
  {
    std::string event;
    oa::AppendReasoningChunk(event, meta, reasoning);
    const json::value v = ParseEvent(event, "reasoning chunk");
    const json::value& choice = CheckChunk(v, meta);
    CheckString(Get(Get(choice, "delta"), "reasoning_content"), reasoning);
    stream += event;
  }
  {
    std::string event;
    oa::AppendFinishChunk(event, meta, finish_reason);
    const json::value v = ParseEvent(event, "finish chunk");
    const json::value& choice = CheckChunk(v, meta);
    FUZZ_CHECK(Get(choice, "delta").get_object().empty());
    CheckString(Get(choice, "finish_reason"), finish_reason.empty() ? "stop" : finish_reason);
    stream += event;
  }
  {
    std::string event;
    oa::AppendUsageChunk(event, meta, usage, reasoning_tokens);
    const json::value v = ParseEvent(event, "usage chunk");
    CheckHeader(v, meta, "chat.completion.chunk");
    FUZZ_CHECK(Get(v, "choices").is_array() && Get(v, "choices").get_array().empty());
    CheckUsage(Get(v, "usage"), usage, reasoning_tokens);
    stream += event;
  }
  {
    std::string event;
    oa::AppendErrorEvent(event, error);
    CheckError(ParseEvent(event, "error event"), error);
    CheckError(ParseOrDie(oa::RenderError(error), "RenderError"), error);
    stream += event;
  }
  oa::AppendKeepAlive(stream);
  oa::AppendDone(stream);
  // The concatenated stream splits into exactly the events written.
  std::size_t events = 0;
  for (std::size_t pos = 0; (pos = stream.find("\n\n", pos)) != std::string::npos; pos += 2) {
    ++events;
  }
  FUZZ_CHECK(events == 8);

  {
    const std::string body =
        oa::RenderCompletion(meta, content, reasoning, finish_reason, usage, reasoning_tokens);
    const json::value v = ParseOrDie(body, "RenderCompletion");
    CheckHeader(v, meta, "chat.completion");
    const json::value& choices = Get(v, "choices");
    FUZZ_CHECK(choices.is_array() && choices.get_array().size() == 1);
    const json::value& choice = choices.get_array()[0];
    const json::value& message = Get(choice, "message");
    FUZZ_CHECK(Get(message, "role").get_string() == "assistant");
    CheckString(Get(message, "content"), content);
    FUZZ_CHECK(Get(message, "refusal").is_null());
    if (reasoning.empty()) {
      FUZZ_CHECK(!message.get_object().contains("reasoning_content"));
    } else {
      CheckString(Get(message, "reasoning_content"), reasoning);
    }
    CheckString(Get(choice, "finish_reason"), finish_reason.empty() ? "stop" : finish_reason);
    CheckUsage(Get(v, "usage"), usage, reasoning_tokens);
  }
  return 0;
}
