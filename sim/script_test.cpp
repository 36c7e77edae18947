// Tests for script rules: matching, placeholders and reloading.
#include "sim/script.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace sim {
namespace {

using ::testing::HasSubstr;

Script MustParse(std::string_view json) {
  Script script;
  std::string error;
  EXPECT_TRUE(Script::Parse(json, script, error)) << error;
  return script;
}

std::string ParseError(std::string_view json) {
  Script script;
  std::string error;
  EXPECT_FALSE(Script::Parse(json, script, error));
  return error;
}

TEST(ScriptTest, FirstMatchingRuleWins) {
  const Script script = MustParse(R"([
    {"match":"weather","reply":"sunny"},
    {"regex":"^tool: \\w+$","reply":"```toolCall::read_file::call_1::INIT\n```"},
    {"match":"","reply":"fallback"}
  ])");
  ASSERT_EQ(script.size(), 3u);
  EXPECT_EQ(*script.Match("what is the weather today"), "sunny");
  EXPECT_EQ(*script.Match("tool: read"), "```toolCall::read_file::call_1::INIT\n```");
  EXPECT_EQ(*script.Match("tool: read more"), "fallback");
}

TEST(ScriptTest, NoRuleNoMatch) {
  const Script script = MustParse(R"([{"match":"x","reply":"y"}])");
  EXPECT_EQ(script.Match("abc"), nullptr);
  EXPECT_EQ(MustParse("[]").Match("abc"), nullptr);
}

TEST(ScriptTest, SubstringMatchIsLiteral) {
  const Script script = MustParse(R"([{"match":"a.c","reply":"hit"}])");
  EXPECT_EQ(script.Match("abc"), nullptr);
  EXPECT_NE(script.Match("xa.cx"), nullptr);
}

TEST(ScriptTest, ParseErrors) {
  EXPECT_THAT(ParseError("{"), HasSubstr("invalid JSON"));
  EXPECT_THAT(ParseError("{}"), HasSubstr("array"));
  EXPECT_THAT(ParseError(R"([{"match":"x"}])"), HasSubstr("reply"));
  EXPECT_THAT(ParseError(R"([{"reply":"x"}])"), HasSubstr("exactly one"));
  EXPECT_THAT(ParseError(R"([{"match":"x","regex":"y","reply":"z"}])"), HasSubstr("exactly one"));
  EXPECT_THAT(ParseError(R"([{"regex":"(","reply":"z"}])"), HasSubstr("invalid regex"));
  EXPECT_THAT(ParseError(R"([1])"), HasSubstr("rule 0"));
}

TEST(ScriptTest, Placeholders) {
  EXPECT_EQ(ExpandReply("turn {turn} of {session} on {model}: {question} {THINK_TIME} {x}", 2,
                        "sid", "", "why?"),
            "turn 2 of sid on auto: why? {THINK_TIME} {x}");
  EXPECT_EQ(ExpandReply("{turn}{turn}", 7, "s", "m", "q"), "77");
  EXPECT_EQ(ExpandReply("{", 1, "s", "m", "q"), "{");
}

TEST(ScriptFileTest, ReloadsWhenTheFileChanges) {
  const std::string path = ::testing::TempDir() + "/script_" + std::to_string(::getpid());
  ScriptFile file(path);
  std::vector<std::string> warnings;
  EXPECT_EQ(file.Current(warnings).size(), 0u);  // missing: no rules, no noise
  EXPECT_TRUE(warnings.empty());

  std::ofstream(path) << R"([{"match":"a","reply":"one"}])";
  EXPECT_EQ(*file.Current(warnings).Match("a"), "one");
  std::ofstream(path) << R"([{"match":"a","reply":"two"}])";
  EXPECT_EQ(*file.Current(warnings).Match("a"), "two");
  EXPECT_TRUE(warnings.empty());

  std::ofstream(path) << "not json";
  EXPECT_EQ(file.Current(warnings).size(), 0u);
  EXPECT_EQ(warnings.size(), 1u);
  EXPECT_EQ(file.Current(warnings).size(), 0u);
  EXPECT_EQ(warnings.size(), 1u);  // reported once per change
  std::remove(path.c_str());
}

}  // namespace
}  // namespace sim
