#include "obs/log.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace obs {
namespace {

using std::chrono::system_clock;

// 2026-11-26T15:22:35.123Z
system_clock::time_point FixedTime() {
  using namespace std::chrono;
  return sys_days{year{2026} / November / 26} + hours{15} + minutes{22} + seconds{35} +
         milliseconds{123};
}

struct Captured {
  std::vector<std::string> lines;
  Logger MakeLogger(Level level = Level::kDebug) {
    return Logger(
        level, [this](std::string_view line) { lines.emplace_back(line); }, FixedTime);
  }
};

// The JSON text of `text` as a string value, without the surrounding quotes.
std::string Escaped(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out.substr(1, out.size() - 2);
}

// A strict RFC 8259 string check: what a JSON parser would accept, including that the bytes are
// well-formed UTF-8.
bool IsValidJsonStringBody(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"') return false;
    if (c == '\\') {
      if (i + 1 >= s.size()) return false;
      const char e = s[i + 1];
      if (e == 'u') {
        if (i + 6 > s.size()) return false;
        for (std::size_t k = i + 2; k < i + 6; ++k) {
          if (!std::isxdigit(static_cast<unsigned char>(s[k]))) return false;
        }
        i += 6;
        continue;
      }
      if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) return false;
      i += 2;
      continue;
    }
    if (c < 0x80) {
      ++i;
      continue;
    }
    int length = 0;
    std::uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + static_cast<std::size_t>(length) > s.size()) return false;
    for (int k = 1; k < length; ++k) {
      const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if ((length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += static_cast<std::size_t>(length);
  }
  return true;
}

TEST(Log, WritesExactLineWithFixedClock) {
  Captured out;
  Logger log = out.MakeLogger(Level::kInfo);
  log.Info("instance.ready", {{"instance", 0}, {"port", 36510}, {"work_dir", "/tmp/inst-0"}});
  ASSERT_EQ(out.lines.size(), 1u);
  EXPECT_EQ(out.lines[0],
            "{\"ts\":\"2026-11-26T15:22:35.123Z\",\"level\":\"info\",\"event\":\"instance.ready\","
            "\"instance\":0,\"port\":36510,\"work_dir\":\"/tmp/inst-0\"}\n");
}

TEST(Log, WritesLineWithoutFields) {
  Captured out;
  Logger log = out.MakeLogger();
  log.Error("gateway.stopped");
  ASSERT_EQ(out.lines.size(), 1u);
  EXPECT_EQ(out.lines[0],
            "{\"ts\":\"2026-11-26T15:22:35.123Z\",\"level\":\"error\","
            "\"event\":\"gateway.stopped\"}\n");
}

TEST(Log, TimestampPadsEveryComponent) {
  using namespace std::chrono;
  std::string out;
  AppendTimestamp(out, sys_days{year{2027} / January / 2} + hours{3} + minutes{4} + seconds{5} +
                           milliseconds{6} + microseconds{999});
  EXPECT_EQ(out, "2027-01-02T03:04:05.006Z");
  out.clear();
  AppendTimestamp(out, system_clock::time_point{});
  EXPECT_EQ(out, "1970-01-01T00:00:00.000Z");
}

TEST(Log, NumbersBoolsAndNull) {
  Captured out;
  Logger log = out.MakeLogger();
  const std::size_t bytes = 42;
  const std::string name = "pool";
  log.Info("values", {{"neg", -7},
                      {"long", 1234567890123L},
                      {"unsigned", 7u},
                      {"size", bytes},
                      {"max_u64", std::numeric_limits<std::uint64_t>::max()},
                      {"min_i64", std::numeric_limits<std::int64_t>::min()},
                      {"half", 0.5},
                      {"third", 1.0 / 3.0},
                      {"big", 1e300},
                      {"nan", std::numeric_limits<double>::quiet_NaN()},
                      {"inf", -std::numeric_limits<double>::infinity()},
                      {"yes", true},
                      {"no", false},
                      {"none", nullptr},
                      {"null_cstr", static_cast<const char*>(nullptr)},
                      {"name", name},
                      {"elapsed_ms", std::chrono::seconds(2)}});
  ASSERT_EQ(out.lines.size(), 1u);
  const std::string expected_fields =
      "\"neg\":-7,\"long\":1234567890123,\"unsigned\":7,\"size\":42,"
      "\"max_u64\":18446744073709551615,\"min_i64\":-9223372036854775808,\"half\":0.5,"
      "\"third\":0.3333333333333333,\"big\":1e+300,\"nan\":null,\"inf\":null,\"yes\":true,"
      "\"no\":false,\"none\":null,\"null_cstr\":null,\"name\":\"pool\",\"elapsed_ms\":2000}\n";
  EXPECT_NE(out.lines[0].find(expected_fields), std::string::npos) << out.lines[0];
}

TEST(Log, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(Escaped("say \"hi\" \\ bye"), "say \\\"hi\\\" \\\\ bye");
  EXPECT_EQ(Escaped("a\nb\rc\td\be\ff"), "a\\nb\\rc\\td\\be\\ff");
  EXPECT_EQ(Escaped(std::string_view("\x00\x01\x1f\x7f", 4)), "\\u0000\\u0001\\u001f\x7f");
  EXPECT_EQ(Escaped("/"), "/");
}

TEST(Log, KeepsValidUnicodeAsIs) {
  EXPECT_EQ(Escaped("你好, wörld 😀 \xE2\x80\xA8"), "你好, wörld 😀 \xE2\x80\xA8");
  // The edges of each sequence length.
  EXPECT_EQ(Escaped("\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"),
            "\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF");
}

TEST(Log, ReplacesInvalidUtf8WithReplacementCharacter) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(Escaped("a\xFF"
                    "b"),
            "a" + fffd + "b");
  EXPECT_EQ(Escaped("\x80"), fffd);                                   // lone continuation byte
  EXPECT_EQ(Escaped("\xC0\xAF"), fffd + fffd);                        // overlong '/'
  EXPECT_EQ(Escaped("\xE0\x80\xAF"), fffd + fffd + fffd);             // overlong 3-byte form
  EXPECT_EQ(Escaped("\xED\xA0\x80"), fffd + fffd + fffd);             // UTF-16 surrogate
  EXPECT_EQ(Escaped("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // above U+10FFFF
  EXPECT_EQ(Escaped("\xE4\xBD"), fffd);                               // truncated at the end
  EXPECT_EQ(Escaped("\xE4\xBD"
                    "x"),
            fffd + "x");  // truncated before ASCII
  EXPECT_EQ(Escaped("\xF0\x9F\x98"
                    "\""),
            fffd + "\\\"");                                 // truncated before a quote
  EXPECT_EQ(Escaped("\xE4\xBD\xE5\xA5\xBD"), fffd + "好");  // truncated before a valid char
}

TEST(Log, EveryByteStringYieldsValidJson) {
  // All two-byte strings, and three-byte strings around the multi-byte lead ranges: whatever a
  // client or Lingma sends, the log line must stay parseable.
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const char bytes[] = {static_cast<char>(a), static_cast<char>(b)};
      const std::string body = Escaped(std::string_view(bytes, 2));
      ASSERT_TRUE(IsValidJsonStringBody(body)) << a << " " << b;
    }
  }
  for (int a = 0xC0; a < 256; ++a) {
    for (int b = 0x70; b < 0xD0; ++b) {
      for (int c = 0x70; c < 0xD0; c += 7) {
        const char bytes[] = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                              '\\'};
        const std::string body = Escaped(std::string_view(bytes, 4));
        ASSERT_TRUE(IsValidJsonStringBody(body)) << a << " " << b << " " << c;
      }
    }
  }
}

TEST(Log, EscapesEventAndKeysToo) {
  Captured out;
  Logger log = out.MakeLogger();
  log.Warn("bad\"event\n", {{"k\xFF", "v"}});
  ASSERT_EQ(out.lines.size(), 1u);
  EXPECT_NE(out.lines[0].find("\"event\":\"bad\\\"event\\n\",\"k\xEF\xBF\xBD\":\"v\"}\n"),
            std::string::npos)
      << out.lines[0];
}

TEST(Log, FiltersByLevel) {
  Captured out;
  Logger log = out.MakeLogger(Level::kWarn);
  EXPECT_FALSE(log.Enabled(Level::kDebug));
  EXPECT_FALSE(log.Enabled(Level::kInfo));
  EXPECT_TRUE(log.Enabled(Level::kWarn));
  EXPECT_TRUE(log.Enabled(Level::kError));
  log.Debug("d");
  log.Info("i");
  log.Warn("w");
  log.Error("e");
  ASSERT_EQ(out.lines.size(), 2u);
  EXPECT_NE(out.lines[0].find("\"level\":\"warn\",\"event\":\"w\""), std::string::npos);
  EXPECT_NE(out.lines[1].find("\"level\":\"error\",\"event\":\"e\""), std::string::npos);

  log.set_level(Level::kDebug);
  EXPECT_EQ(log.level(), Level::kDebug);
  log.Debug("d");
  EXPECT_EQ(out.lines.size(), 3u);
}

TEST(Log, DisabledLevelDoesNotReadTheClock) {
  int clock_calls = 0;
  int sink_calls = 0;
  Logger log(
      Level::kError, [&](std::string_view) { ++sink_calls; },
      [&] {
        ++clock_calls;
        return FixedTime();
      });
  log.Info("skipped", {{"n", 1}});
  EXPECT_EQ(clock_calls, 0);
  EXPECT_EQ(sink_calls, 0);
  log.Error("kept");
  EXPECT_EQ(clock_calls, 1);
  EXPECT_EQ(sink_calls, 1);
}

TEST(Log, LinesAreIndependentAfterBufferReuse) {
  Captured out;
  Logger log = out.MakeLogger();
  log.Info("first", {{"text", std::string(100000, 'x')}});
  log.Info("second");
  ASSERT_EQ(out.lines.size(), 2u);
  EXPECT_EQ(out.lines[1],
            "{\"ts\":\"2026-11-26T15:22:35.123Z\",\"level\":\"info\",\"event\":\"second\"}\n");
}

TEST(Log, ParsesLevels) {
  EXPECT_EQ(ParseLevel("debug"), Level::kDebug);
  EXPECT_EQ(ParseLevel("INFO"), Level::kInfo);
  EXPECT_EQ(ParseLevel("Warn"), Level::kWarn);
  EXPECT_EQ(ParseLevel("error"), Level::kError);
  EXPECT_EQ(ParseLevel("warning"), std::nullopt);
  EXPECT_EQ(ParseLevel(""), std::nullopt);
  EXPECT_EQ(LevelName(Level::kWarn), "warn");
}

}  // namespace
}  // namespace obs
