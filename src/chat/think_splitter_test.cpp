// Tests of the think-block splitter: expected splits, and independence from how deltas are cut.
#include "chat/think_splitter.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace chat {
namespace {

struct Split {
  std::string content;
  std::string reasoning;
  bool operator==(const Split&) const = default;
};

void PrintTo(const Split& split, std::ostream* os) {
  *os << "{content: \"" << split.content << "\", reasoning: \"" << split.reasoning << "\"}";
}

bool IsValidUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    if (lead < 0x80) {
      length = 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

// Feeds `input` cut at `cuts` (ascending offsets), checking that every output is whole UTF-8.
Split FeedCut(std::string_view input, const std::vector<std::size_t>& cuts) {
  ThinkSplitter splitter;
  Split total;
  auto take = [&](const ThinkSplitter::Output& out) {
    EXPECT_TRUE(IsValidUtf8(out.content)) << "content piece \"" << out.content << "\"";
    EXPECT_TRUE(IsValidUtf8(out.reasoning)) << "reasoning piece \"" << out.reasoning << "\"";
    total.content += out.content;
    total.reasoning += out.reasoning;
  };
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    take(splitter.Feed(input.substr(from, cut - from)));
    from = cut;
  }
  take(splitter.Feed(input.substr(from)));
  take(splitter.Finish());
  return total;
}

struct Case {
  const char* name;
  std::string input;
  Split expected;
};

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"ThinkAtStartAsLingmaSendsIt",
       "\n````think::{THINK_TIME}\nI should greet.\n````\nHello!",
       {"Hello!", "I should greet."}},
      {"ThinkAtStartWithoutLeadingNewline",
       "````think::{THINK_TIME}\nfirst line\nsecond line\n````\nThe answer.",
       {"The answer.", "first line\nsecond line"}},
      {"ThinkInTheMiddleWithDigits",
       "Intro.\n````think::1234\nhmm\n````\nOutro.",
       {"Intro.\nOutro.", "hmm"}},
      {"ThinkAtTheEndWithoutTrailingNewline",
       "Answer\n````think::{THINK_TIME}\nafterthought\n````",
       {"Answer\n", "afterthought"}},
      {"UnterminatedThink",
       "````think::{THINK_TIME}\nstill thinking\n```",
       {"", "still thinking\n```"}},
      {"TwoThinkBlocks",
       "````think::{THINK_TIME}\nA\n````\nfirst\n````think::{THINK_TIME}\nB\n````\nsecond",
       {"first\nsecond", "A\n\nB"}},
      {"EmptyThinkBlock", "````think::{THINK_TIME}\n````\nA", {"A", ""}},
      {"ThinkTags",
       "<think>\nLet me think.\n</think>\n\nThe answer is 4.",
       {"\nThe answer is 4.", "Let me think."}},
      {"ThinkTagsWithoutNewlines", "<think>R</think>A", {"A", "R"}},
      {"ThinkTagsAfterALine", "Sure.\n<think>\nhm\n</think>\nDone.", {"Sure.\nDone.", "hm"}},
      {"CjkAndEmoji",
       "\n````think::{THINK_TIME}\n让我想想🤔，好的\n````\n答案是四。😀 "
       "Ünïcødé",
       {"答案是四。😀 Ünïcødé", "让我想想🤔，好的"}},
      {"CodeFenceIsNotAMarker",
       "Here:\n````python\nprint(1)\n````\n```think\nx\n```\nDone",
       {"Here:\n````python\nprint(1)\n````\n```think\nx\n```\nDone", ""}},
      {"ThreeBacktickFenceInsideReasoning",
       "````think::5\nTry:\n```py\nx = 1\n```\nok\n````\nDone",
       {"Done", "Try:\n```py\nx = 1\n```\nok"}},
      {"FourBacktickLookalikeInsideReasoning",
       "````think::5\nA\n````x\nB\n````\nC",
       {"C", "A\n````x\nB"}},
      {"BadThinkTimeIsNotAMarker",
       "````think::abc\nx\n````think::{THINK}\ny\n````think::\nz",
       {"````think::abc\nx\n````think::{THINK}\ny\n````think::\nz", ""}},
      {"MarkerNotAtLineStartIsText",
       "See ````think::1\nR\n```` and use the `<think>` tag",
       {"See ````think::1\nR\n```` and use the `<think>` tag", ""}},
      {"IncompleteMarkerAtEndIsText", "Hi\n````thi", {"Hi\n````thi", ""}},
      {"LeadingNewlineWithoutMarkerIsKept", "\nHello\n\n", {"\nHello\n\n", ""}},
      {"LeadingBlankLineBeforeMarker",
       "\n\n````think::1\nR\n````\nA",
       {"\n\nA", "R"}},  // only the line break right in front of the marker belongs to it
      {"ReasoningEndsWithBlankLine", "````think::1\nR\n\n````\nA", {"A", "R\n"}},
      {"TagCloseOnlyClosesTags", "<think>a\n````\nb</think>\nc", {"c", "a\n````\nb"}},
      {"FenceCloseDoesNotCloseTags", "````think::1\na</think>b\n````\nc", {"c", "a</think>b"}},
      {"NoThinkAtAll",
       "plain answer with `code` and <b>tags</b>",
       {"plain answer with `code` and <b>tags</b>", ""}},
      {"EmptyInput", "", {"", ""}},
  };
  return cases;
}

class ThinkSplitterCaseTest : public testing::TestWithParam<Case> {};

TEST_P(ThinkSplitterCaseTest, OneShot) {
  const Case& c = GetParam();
  EXPECT_EQ(FeedCut(c.input, {}), c.expected);
}

TEST_P(ThinkSplitterCaseTest, EverySingleCutPoint) {
  const Case& c = GetParam();
  for (std::size_t cut = 0; cut <= c.input.size(); ++cut) {
    EXPECT_EQ(FeedCut(c.input, {cut}), c.expected) << "cut at " << cut;
  }
}

TEST_P(ThinkSplitterCaseTest, ByteByByte) {
  const Case& c = GetParam();
  std::vector<std::size_t> cuts;
  for (std::size_t cut = 1; cut < c.input.size(); ++cut) cuts.push_back(cut);
  EXPECT_EQ(FeedCut(c.input, cuts), c.expected);
}

TEST_P(ThinkSplitterCaseTest, RandomCuts) {
  const Case& c = GetParam();
  std::mt19937 random(42);  // fixed seed: reproducible
  for (int round = 0; round < 200 && c.input.size() > 1; ++round) {
    std::vector<std::size_t> cuts;
    for (std::size_t cut = 1; cut < c.input.size(); ++cut) {
      if (random() % 4 == 0) cuts.push_back(cut);
    }
    EXPECT_EQ(FeedCut(c.input, cuts), c.expected) << "round " << round;
  }
}

INSTANTIATE_TEST_SUITE_P(Inputs, ThinkSplitterCaseTest, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.name);
                         });

TEST(ThinkSplitterTest, EmitsPlainTextImmediately) {
  ThinkSplitter splitter;
  EXPECT_EQ(splitter.Feed("Hello").content, "Hello");
  EXPECT_EQ(splitter.Feed(" world\n").content, " world\n");
  EXPECT_EQ(splitter.Feed("<b>").content, "<b>");
}

TEST(ThinkSplitterTest, HoldsOnlyAPossibleMarkerPrefix) {
  ThinkSplitter splitter;
  EXPECT_EQ(splitter.Feed("Line\n``").content, "Line\n");
  EXPECT_EQ(splitter.Feed("`x").content, "```x");
  EXPECT_EQ(splitter.Feed("\n<thi").content, "\n");
  EXPECT_EQ(splitter.Feed("s>").content, "<this>");
}

TEST(ThinkSplitterTest, HoldsALeadingNewlineUntilDecided) {
  ThinkSplitter splitter;
  EXPECT_EQ(splitter.Feed("\n").content, "");
  EXPECT_EQ(splitter.Feed("Hi").content, "\nHi");
}

TEST(ThinkSplitterTest, HoldsTheNewlineThatMayPrecedeTheEndMarker) {
  ThinkSplitter splitter;
  ThinkSplitter::Output out = splitter.Feed("````think::{THINK_TIME}\nabc\n");
  EXPECT_EQ(out.reasoning, "abc");
  out = splitter.Feed("def");
  EXPECT_EQ(out.reasoning, "\ndef");
  EXPECT_EQ(out.content, "");
}

TEST(ThinkSplitterTest, HoldsAnIncompleteUtf8Sequence) {
  ThinkSplitter splitter;
  const std::string ni = "你";  // three bytes
  EXPECT_EQ(splitter.Feed(ni.substr(0, 1)).content, "");
  EXPECT_EQ(splitter.Feed(ni.substr(1, 1)).content, "");
  EXPECT_EQ(splitter.Feed(ni.substr(2, 1)).content, ni);
}

TEST(ThinkSplitterTest, FinishFlushesAnIncompleteUtf8SequenceAsIs) {
  ThinkSplitter splitter;
  EXPECT_EQ(splitter.Feed("a\xE4\xBD").content, "a");
  EXPECT_EQ(splitter.Finish().content, "\xE4\xBD");
}

TEST(ThinkSplitterTest, ResetForgetsEverything) {
  ThinkSplitter splitter;
  EXPECT_EQ(splitter.Feed("````think::1\nsecret").reasoning, "secret");
  splitter.Reset();
  ThinkSplitter::Output out = splitter.Feed("\n````think::2\nR\n````\nA");
  EXPECT_EQ(out.content, "A");
  EXPECT_EQ(out.reasoning, "R");  // no separator: the earlier block is forgotten
}

}  // namespace
}  // namespace chat
