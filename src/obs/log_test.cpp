#include "obs/log.hpp"

#include <gtest/gtest.h>

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
