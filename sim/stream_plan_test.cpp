// Tests for the push sequence of a chat turn under each knob.
#include "sim/stream_plan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "sim/answer.hpp"
#include "sim/utf8.hpp"
#include "text/utf8.hpp"

namespace sim {
namespace {

using Kind = StreamStep::Kind;
using ::testing::ElementsAre;

// A compact picture of a plan: "S" step_start, "T" title, "P" prefill, "d:<text>" delta
// ("o:" when overwrite), "E" step_end ("E!" error), "F<status>:<fullAnswer>", "X" exit, "H" hang.
std::vector<std::string> Picture(const std::vector<StreamStep>& steps) {
  std::vector<std::string> out;
  for (const StreamStep& s : steps) {
    switch (s.kind) {
      case Kind::kStepStart:
        out.push_back("S");
        break;
      case Kind::kTitle:
        out.push_back("T");
        break;
      case Kind::kPrefill:
        out.push_back("P");
        break;
      case Kind::kDelta:
        out.push_back((s.overwrite ? "o:" : "d:") + std::string(s.text));
        break;
      case Kind::kStepEnd:
        out.push_back(s.status == 200 ? "E" : "E!");
        break;
      case Kind::kFinish:
        out.push_back("F" + std::to_string(s.status) + ":" + std::string(s.text));
        break;
      case Kind::kExit:
        out.push_back("X");
        break;
      case Kind::kHang:
        out.push_back("H");
        break;
    }
  }
  return out;
}

std::vector<std::string> PlanPicture(std::string_view answer, bool new_session,
                                     const Knobs& knobs) {
  std::string ill_formed;
  return Picture(PlanStream(answer, new_session, knobs, ill_formed));
}

Knobs Deltas(int n) {
  Knobs k;
  k.deltas = n;
  return k;
}

TEST(StreamPlanTest, DefaultOrderForANewSession) {
  const std::string answer = "abcdefgh";
  EXPECT_THAT(PlanPicture(answer, true, Deltas(4)),
              ElementsAre("S", "T", "P", "d:ab", "d:cd", "d:ef", "d:gh", "E", "F200:abcdefgh"));
}

TEST(StreamPlanTest, ContinuedSessionHasNoTitle) {
  EXPECT_THAT(PlanPicture("ab", false, Deltas(2)),
              ElementsAre("S", "P", "d:a", "d:b", "E", "F200:ab"));
}

TEST(StreamPlanTest, StepEndBeforeTheLastDelta) {
  Knobs k = Deltas(3);
  k.step_end = StepEndPosition::kBeforeLastDelta;
  EXPECT_THAT(PlanPicture("abc", false, k),
              ElementsAre("S", "P", "d:a", "d:b", "E", "d:c", "F200:abc"));
}

TEST(StreamPlanTest, EmptyDeltasInterleaved) {
  Knobs k = Deltas(2);
  k.empty_deltas = true;
  EXPECT_THAT(PlanPicture("ab", false, k),
              ElementsAre("S", "P", "d:a", "d:", "d:b", "d:", "E", "F200:ab"));
}

TEST(StreamPlanTest, DelayOnlyBeforeContentDeltas) {
  Knobs k = Deltas(2);
  k.empty_deltas = true;
  std::string ill_formed;
  for (const StreamStep& s : PlanStream("ab", false, k, ill_formed)) {
    if (s.kind == Kind::kDelta) {
      EXPECT_EQ(s.delay, !s.text.empty());
    }
  }
}

TEST(StreamPlanTest, OverwriteSendsAWrongDeltaThenTheCorrectTextSoFar) {
  Knobs k = Deltas(3);
  k.overwrite = true;
  std::string ill_formed;
  const auto steps = PlanStream("abc", false, k, ill_formed);
  EXPECT_THAT(Picture(steps),
              ElementsAre("S", "P", "d:a", "d:SIM-WRONG-PARTIAL", "o:ab", "d:c", "E", "F200:abc"));
  // The wrong delta leaves the client's correct text where it was.
  EXPECT_EQ(steps[3].answered, 1u);
  EXPECT_EQ(steps[4].answered, 2u);
}

TEST(StreamPlanTest, OverwriteWithASingleDelta) {
  Knobs k = Deltas(1);
  k.overwrite = true;
  EXPECT_THAT(PlanPicture("abc", false, k),
              ElementsAre("S", "P", "d:SIM-WRONG-PARTIAL", "o:abc", "E", "F200:abc"));
}

TEST(StreamPlanTest, ErrorFinishWithoutOutput) {
  Knobs k = Deltas(4);
  k.finish_status = 429;
  std::string ill_formed;
  const auto steps = PlanStream("abcd", false, k, ill_formed);
  EXPECT_THAT(Picture(steps), ElementsAre("S", "P", "E!", "F429:"));
  EXPECT_EQ(steps.back().reason, "Too many requests, rate limited");
}

TEST(StreamPlanTest, ErrorFinishAfterSomeOutputWithCustomReason) {
  Knobs k = Deltas(4);
  k.finish_status = 500;
  k.error_after_deltas = 2;
  k.finish_reason = "boom";
  std::string ill_formed;
  const auto steps = PlanStream("abcd", false, k, ill_formed);
  EXPECT_THAT(Picture(steps), ElementsAre("S", "P", "d:a", "d:b", "E!", "F500:ab"));
  EXPECT_EQ(steps.back().reason, "boom");
}

TEST(StreamPlanTest, FinishReasons) {
  Knobs k;
  EXPECT_EQ(FinishReason(k), "success");
  for (int status : {403, 406, 408, 429, 500, 601, 777}) {
    k.finish_status = status;
    EXPECT_FALSE(FinishReason(k).empty()) << status;
  }
}

TEST(StreamPlanTest, HangReplacesTheFinish) {
  Knobs k = Deltas(2);
  k.hang = true;
  EXPECT_THAT(PlanPicture("ab", false, k), ElementsAre("S", "P", "d:a", "d:b", "E", "H"));
}

TEST(StreamPlanTest, ExitAfterDeltas) {
  Knobs k = Deltas(4);
  k.exit_after_deltas = 2;
  EXPECT_THAT(PlanPicture("abcd", false, k), ElementsAre("S", "P", "d:a", "d:b", "X"));
  k.exit_after_deltas = 0;
  EXPECT_THAT(PlanPicture("abcd", false, k), ElementsAre("S", "P", "X"));
  k.exit_after_deltas = 10;  // more than there are: crash before the turn can end
  EXPECT_THAT(PlanPicture("abcd", false, k),
              ElementsAre("S", "P", "d:a", "d:b", "d:c", "d:d", "X"));
}

TEST(StreamPlanTest, EmptyAnswer) {
  EXPECT_THAT(PlanPicture("", false, Deltas(4)), ElementsAre("S", "P", "E", "F200:"));
}

TEST(StreamPlanTest, MultibyteAnswerSplitsOnCharacters) {
  const std::string answer = "你好世界";
  EXPECT_THAT(PlanPicture(answer, false, Deltas(2)),
              ElementsAre("S", "P", "d:你好", "d:世界", "E", "F200:你好世界"));
}

// kIllFormedBytes as a std::string, for building expected texts ("\xBD" + "b" in one literal
// would be read as the escape \xBDb).
const std::string kBad(kIllFormedBytes);

TEST(StreamPlanTest, WithoutInvalidUtf8TheAnswerIsStreamedAsIs) {
  std::string ill_formed = "stale";
  const auto steps = PlanStream("abcd", false, Deltas(2), ill_formed);
  EXPECT_TRUE(ill_formed.empty());
  for (const StreamStep& s : steps) EXPECT_TRUE(utf8::IsWellFormed(s.text));
}

TEST(StreamPlanTest, InvalidUtf8CorruptsEveryNonEmptyDeltaAndTheFullAnswer) {
  Knobs k = Deltas(2);
  k.invalid_utf8 = true;
  k.empty_deltas = true;
  std::string ill_formed;
  const auto steps = PlanStream("abcd", false, k, ill_formed);
  const std::string full = "a" + kBad + "b" + "c" + kBad + "d";
  EXPECT_EQ(ill_formed, full);
  EXPECT_THAT(Picture(steps), ElementsAre("S", "P", "d:a" + kBad + "b", "d:", "d:c" + kBad + "d",
                                          "d:", "E", "F200:" + full));
  // `answered` counts bytes of the streamed (corrupted) text.
  EXPECT_EQ(steps[2].answered, 2 + kBad.size());
  EXPECT_EQ(steps[4].answered, full.size());
  for (const StreamStep& s : steps) {
    if (s.kind == Kind::kDelta || s.kind == Kind::kFinish) {
      EXPECT_EQ(utf8::IsWellFormed(s.text), s.text.empty()) << s.text;
    }
  }
}

TEST(StreamPlanTest, InvalidUtf8WithOverwriteCorruptsThePiecesNotTheirConcatenation) {
  Knobs k = Deltas(3);
  k.invalid_utf8 = true;
  k.overwrite = true;
  std::string ill_formed;
  const auto steps = PlanStream("abc", false, k, ill_formed);
  const std::string a = "a" + kBad;
  const std::string b = "b" + kBad;
  const std::string c = "c" + kBad;
  EXPECT_THAT(Picture(steps), ElementsAre("S", "P", "d:" + a, "d:S" + kBad + "IM-WRONG-PARTIAL",
                                          "o:" + a + b, "d:" + c, "E", "F200:" + a + b + c));
  EXPECT_EQ(steps[3].answered, a.size());
  EXPECT_EQ(steps[4].answered, a.size() + b.size());
}

TEST(StreamPlanTest, InvalidUtf8KeepsMultibyteCharactersWhole) {
  Knobs k = Deltas(2);
  k.invalid_utf8 = true;
  std::string ill_formed;
  EXPECT_THAT(Picture(PlanStream("你好世界", false, k, ill_formed)),
              ElementsAre("S", "P", "d:你" + kBad + "好", "d:世" + kBad + "界", "E",
                          "F200:你" + kBad + "好世" + kBad + "界"));
}

TEST(StreamPlanTest, InvalidUtf8ErrorFinishCarriesTheCorruptedTextStreamed) {
  Knobs k = Deltas(4);
  k.invalid_utf8 = true;
  k.finish_status = 500;
  k.error_after_deltas = 2;
  EXPECT_THAT(PlanPicture("abcd", false, k), ElementsAre("S", "P", "d:a" + kBad, "d:b" + kBad, "E!",
                                                         "F500:a" + kBad + "b" + kBad));
  k.error_after_deltas = 0;
  EXPECT_THAT(PlanPicture("abcd", false, k), ElementsAre("S", "P", "E!", "F500:"));
}

TEST(AnswerTest, DefaultAnswerShowsWhatTheSimSaw) {
  EXPECT_EQ(DefaultAnswer(3, "sid", "dashscope_qwen3_coder", "Reply with exactly: pong"),
            "[sim turn=3 session=sid model=dashscope_qwen3_coder] Reply with exactly: pong");
  EXPECT_EQ(DefaultAnswer(1, "s", "", "hi"), "[sim turn=1 session=s model=auto] hi");
  const std::string long_question(100, 'q');
  EXPECT_EQ(DefaultAnswer(1, "s", "m", long_question),
            "[sim turn=1 session=s model=m] " + std::string(kQuoteCodePoints, 'q'));
  const std::string chinese =
      "请用一句话回答这个问题请用一句话回答这个问题请用一句话回答这个问题请用一句话回答这个问题请用"
      "一句话回答这个问题";
  EXPECT_EQ(DefaultAnswer(1, "s", "m", chinese).size(),
            std::string("[sim turn=1 session=s model=m] ").size() + kQuoteCodePoints * 3);
}

TEST(AnswerTest, ThinkBlockPrecedesTheText) {
  EXPECT_EQ(WithThinkBlock("hello", 2),
            "\n````think::{THINK_TIME}\nsim reasoning for turn 2\n````\nhello");
}

}  // namespace
}  // namespace sim
