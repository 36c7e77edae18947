// Tests for lingma-sim's command line, environment and control-file parsing.
#include "sim/options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace sim {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Options MustParse(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  Options options;
  std::string error;
  EXPECT_TRUE(ParseOptions(args, FakeEnv(std::move(env)), options, error)) << error;
  return options;
}

std::string ParseError(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  Options options;
  std::string error;
  EXPECT_FALSE(ParseOptions(args, FakeEnv(std::move(env)), options, error));
  return error;
}

TEST(OptionsTest, StartWithLingmaFlags) {
  const Options o =
      MustParse({"start", "--workDir", "/tmp/w", "--socketPort", "37011", "--httpPort=37511"});
  EXPECT_EQ(o.command, Command::kStart);
  EXPECT_EQ(o.work_dir, "/tmp/w");
  EXPECT_EQ(o.socket_port, 37011);
  EXPECT_EQ(o.http_port, 37511);
  EXPECT_EQ(o.info_format, InfoFormat::kLines);
  EXPECT_EQ(o.push_mode, PushMode::kRequests);
  EXPECT_EQ(o.knobs.deltas, 4);
  EXPECT_EQ(o.knobs.auth, AuthState::kLoggedIn);
}

TEST(OptionsTest, SocketPortDefaultsToAnyFreePort) {
  EXPECT_EQ(MustParse({"start", "--workDir", "w"}).socket_port, 0);
}

TEST(OptionsTest, VersionAndStatus) {
  EXPECT_EQ(MustParse({"version"}).command, Command::kVersion);
  const Options status = MustParse({"status", "-o", "json", "--workDir", "w"});
  EXPECT_EQ(status.command, Command::kStatus);
  EXPECT_EQ(status.output, "json");
  EXPECT_EQ(MustParse({"--help"}).command, Command::kHelp);
  EXPECT_EQ(MustParse({"start", "-h"}).command, Command::kHelp);
}

TEST(OptionsTest, EnvironmentSetsSwitchesAndFlagsWin) {
  const Options o = MustParse({"start", "--workDir", "w", "--deltas", "7"},
                              {{"LINGMA_SIM_INFO_FORMAT", "json"},
                               {"LINGMA_SIM_DELTAS", "3"},
                               {"LINGMA_SIM_PUSH_MODE", "notifications"},
                               {"LINGMA_SIM_THINK", "1"},
                               {"LINGMA_SIM_INVALID_UTF8", "yes"},
                               {"LINGMA_SIM_PREFILL_US_PER_BYTE", "0.5"}});
  EXPECT_EQ(o.info_format, InfoFormat::kJson);
  EXPECT_EQ(o.push_mode, PushMode::kNotifications);
  EXPECT_EQ(o.knobs.deltas, 7);
  EXPECT_TRUE(o.knobs.think);
  EXPECT_TRUE(o.knobs.invalid_utf8);
  EXPECT_DOUBLE_EQ(o.knobs.prefill_us_per_byte, 0.5);
}

TEST(OptionsTest, BareBooleanFlagMeansTrue) {
  const Options o = MustParse({"start", "--workDir", "w", "--daemonize", "--hang=false",
                               "--empty-deltas", "--step-end", "before", "--invalid-utf8"});
  EXPECT_TRUE(o.daemonize);
  EXPECT_TRUE(o.knobs.invalid_utf8);
  EXPECT_FALSE(o.knobs.hang);
  EXPECT_TRUE(o.knobs.empty_deltas);
  EXPECT_EQ(o.knobs.step_end, StepEndPosition::kBeforeLastDelta);
}

TEST(OptionsTest, FaultSwitches) {
  const Options o = MustParse({"start", "--workDir", "w", "--finish-status", "429",
                               "--finish-reason", "slow down", "--exit-after-deltas", "2", "--auth",
                               "expired", "--login-after-ms", "100"});
  EXPECT_EQ(o.knobs.finish_status, 429);
  EXPECT_EQ(o.knobs.finish_reason, "slow down");
  EXPECT_EQ(o.knobs.exit_after_deltas, 2);
  EXPECT_EQ(o.knobs.auth, AuthState::kExpired);
  EXPECT_EQ(o.login_after_ms, 100);
}

TEST(OptionsTest, Errors) {
  EXPECT_THAT(ParseError({}), HasSubstr("no command"));
  EXPECT_THAT(ParseError({"start"}), HasSubstr("--workDir"));
  EXPECT_THAT(ParseError({"launch"}), HasSubstr("unknown command"));
  EXPECT_THAT(ParseError({"start", "--workDir", "w", "--bogus"}), HasSubstr("--bogus"));
  EXPECT_THAT(ParseError({"start", "--workDir", "w", "--deltas", "0"}), HasSubstr("--deltas"));
  EXPECT_THAT(ParseError({"start", "--workDir", "w", "--socketPort", "70000"}),
              HasSubstr("out of range"));
  EXPECT_THAT(ParseError({"start", "--workDir", "w", "--info-format", "xml"}),
              HasSubstr("lines or json"));
  EXPECT_THAT(ParseError({"start", "--workDir", "w", "--deltas"}), HasSubstr("needs a value"));
  EXPECT_THAT(ParseError({"start", "--workDir", "w"}, {{"LINGMA_SIM_HANG", "maybe"}}),
              HasSubstr("LINGMA_SIM_HANG"));
  EXPECT_THAT(ParseError({"status", "-o", "yaml", "--workDir", "w"}), HasSubstr("json"));
}

TEST(OptionsTest, EnvNames) {
  EXPECT_EQ(EnvName("info-format"), "LINGMA_SIM_INFO_FORMAT");
  EXPECT_EQ(EnvName("unanswered-push-penalty-ms"), "LINGMA_SIM_UNANSWERED_PUSH_PENALTY_MS");
}

TEST(OptionsTest, HelpListsEverySwitchWithItsEnvName) {
  const std::string help = HelpText();
  for (const char* name :
       {"--info-format", "LINGMA_SIM_DAEMONIZE", "LINGMA_SIM_PUSH_MODE", "LINGMA_SIM_AUTH",
        "LINGMA_SIM_SPLIT_FRAMES", "LINGMA_SIM_CONTROL", "LINGMA_SIM_EXIT_AFTER_DELTAS",
        "LINGMA_SIM_STALE_INFO", "--workDir", "--invalid-utf8", "LINGMA_SIM_INVALID_UTF8"}) {
    EXPECT_THAT(help, HasSubstr(name));
  }
}

TEST(ControlTest, KeysOverrideTheBase) {
  Knobs base;
  base.deltas = 9;
  std::vector<std::string> warnings;
  const Knobs k = ApplyControl(base,
                               R"({"finish_status":429,"finish_reason":"rate limited",
                                   "hang":true,"exit_after_deltas":-1,"think":true,
                                   "filtered":true,"overwrite":true,"delta_delay_ms":5,
                                   "prefill_us_per_byte":1.5,"step_end":"before",
                                   "auth":"logged_out","finish_new_session":true,
                                   "invalid_utf8":true})",
                               warnings);
  EXPECT_THAT(warnings, IsEmpty());
  EXPECT_EQ(k.finish_status, 429);
  EXPECT_EQ(k.finish_reason, "rate limited");
  EXPECT_TRUE(k.hang);
  EXPECT_TRUE(k.think);
  EXPECT_TRUE(k.filtered);
  EXPECT_TRUE(k.overwrite);
  EXPECT_EQ(k.deltas, 9);  // not in the file: the flag value stays
  EXPECT_EQ(k.delta_delay_ms, 5);
  EXPECT_DOUBLE_EQ(k.prefill_us_per_byte, 1.5);
  EXPECT_EQ(k.step_end, StepEndPosition::kBeforeLastDelta);
  EXPECT_EQ(k.auth, AuthState::kLoggedOut);
  EXPECT_TRUE(k.finish_new_session);
  EXPECT_TRUE(k.invalid_utf8);
}

TEST(ControlTest, BadKeysAndValuesWarnAndChangeNothing) {
  Knobs base;
  std::vector<std::string> warnings;
  const Knobs k = ApplyControl(
      base, R"({"deltas":0,"nope":1,"hang":[true],"think":null,"filtered":true})", warnings);
  EXPECT_EQ(k.deltas, base.deltas);
  EXPECT_FALSE(k.hang);
  EXPECT_FALSE(k.think);
  EXPECT_TRUE(k.filtered);
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_THAT(warnings[0], HasSubstr("deltas"));
  EXPECT_THAT(warnings[1], HasSubstr("nope"));
  EXPECT_THAT(warnings[2], HasSubstr("hang"));
}

TEST(ControlTest, InvalidJsonKeepsTheBase) {
  Knobs base;
  base.deltas = 2;
  std::vector<std::string> warnings;
  EXPECT_EQ(ApplyControl(base, "{\"deltas\":", warnings).deltas, 2);
  EXPECT_EQ(warnings.size(), 1u);
  warnings.clear();
  EXPECT_EQ(ApplyControl(base, "[1]", warnings).deltas, 2);
  EXPECT_EQ(warnings.size(), 1u);
}

}  // namespace
}  // namespace sim
