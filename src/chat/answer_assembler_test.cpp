// Tests of the per-turn answer state machine.
#include "chat/answer_assembler.hpp"

#include <gtest/gtest.h>

#include <string>

namespace chat {
namespace {

TEST(AnswerAssemblerTest, StreamsDeltasAndIgnoresEmptyOnes) {
  AnswerAssembler assembler;
  EXPECT_EQ(assembler.OnAnswer("pon", false).content, "pon");
  AnswerAssembler::Output empty = assembler.OnAnswer("", false);
  EXPECT_EQ(empty.content, "");
  EXPECT_EQ(empty.reasoning, "");
  EXPECT_EQ(assembler.OnAnswer("g", false).content, "g");
  EXPECT_EQ(assembler.OnAnswer("", true).content, "");  // an empty overwrite clears nothing
  const AnswerAssembler::Output finish = assembler.OnFinish("something else");
  EXPECT_EQ(finish.content, "");
  EXPECT_EQ(assembler.content(), "pong");
  EXPECT_TRUE(assembler.any_delta());
  EXPECT_FALSE(assembler.diverged());
}

TEST(AnswerAssemblerTest, OnlyEmptyDeltasAreNoDelta) {
  AnswerAssembler assembler;
  assembler.OnAnswer("", false);
  EXPECT_FALSE(assembler.any_delta());
  EXPECT_EQ(assembler.OnFinish("pong").content, "pong");
  EXPECT_EQ(assembler.content(), "pong");
}

TEST(AnswerAssemblerTest, SplitsThinkBlocksAcrossDeltas) {
  AnswerAssembler assembler;
  std::string content;
  std::string reasoning;
  for (const char* delta :
       {"\n````th", "ink::{THINK_", "TIME}\nwhy", " not\n``", "``\nBe", "cause."}) {
    const AnswerAssembler::Output out = assembler.OnAnswer(delta, false);
    content += out.content;
    reasoning += out.reasoning;
  }
  const AnswerAssembler::Output out = assembler.OnFinish("");
  content += out.content;
  reasoning += out.reasoning;
  EXPECT_EQ(content, "Because.");
  EXPECT_EQ(reasoning, "why not");
  EXPECT_EQ(assembler.content(), "Because.");
  EXPECT_EQ(assembler.reasoning(), "why not");
}

TEST(AnswerAssemblerTest, FinishFlushesAnUnterminatedThinkBlock) {
  AnswerAssembler assembler;
  EXPECT_EQ(assembler.OnAnswer("````think::12\nhmm\n", false).reasoning, "hmm");
  const AnswerAssembler::Output out = assembler.OnFinish("");
  EXPECT_EQ(out.reasoning, "\n");
  EXPECT_EQ(assembler.reasoning(), "hmm\n");
  EXPECT_EQ(assembler.content(), "");
}

TEST(AnswerAssemblerTest, OverwriteThatExtendsEmitsOnlyTheNewPart) {
  AnswerAssembler assembler;
  assembler.OnAnswer("Hel", false);
  EXPECT_EQ(assembler.OnAnswer("Hello", true).content, "lo");
  EXPECT_EQ(assembler.OnAnswer("Hello", true).content, "");  // same text again
  EXPECT_EQ(assembler.OnAnswer(", world", false).content, ", world");
  assembler.OnFinish("");
  EXPECT_EQ(assembler.content(), "Hello, world");
  EXPECT_FALSE(assembler.diverged());
}

TEST(AnswerAssemblerTest, OverwriteThatLagsBehindWaitsForNewText) {
  AnswerAssembler assembler;
  assembler.OnAnswer("Hello, world", false);
  EXPECT_EQ(assembler.OnAnswer("Hello", true).content, "");
  EXPECT_EQ(assembler.OnAnswer(", wo", false).content, "");   // the client has it already
  EXPECT_EQ(assembler.OnAnswer("rld!", false).content, "!");  // only what goes beyond
  EXPECT_EQ(assembler.OnAnswer(" Bye.", false).content, " Bye.");
  assembler.OnFinish("");
  EXPECT_EQ(assembler.content(), "Hello, world! Bye.");
  EXPECT_FALSE(assembler.diverged());
}

TEST(AnswerAssemblerTest, LaggingOverwriteThatThenDiverges) {
  AnswerAssembler assembler;
  assembler.OnAnswer("Hello, world", false);
  EXPECT_EQ(assembler.OnAnswer("Hello", true).content, "");
  EXPECT_EQ(assembler.OnAnswer(", there", false).content, "there");
  EXPECT_TRUE(assembler.diverged());
  // Later text is compared with Lingma's text ("Hello, there"), not with what the client saw.
  EXPECT_EQ(assembler.OnAnswer("Hello, there.", true).content, ".");
  EXPECT_EQ(assembler.content(), "Hello, worldthere.");
}

TEST(AnswerAssemblerTest, OverwriteThatDivergesEmitsWhatFollowsTheCommonPrefix) {
  AnswerAssembler assembler;
  assembler.OnAnswer("The answer is 4", false);
  const AnswerAssembler::Output out = assembler.OnAnswer("The answer is: four.", true);
  EXPECT_EQ(out.content, ": four.");
  EXPECT_TRUE(assembler.diverged());
  EXPECT_EQ(assembler.content(), "The answer is 4: four.");
  EXPECT_EQ(assembler.OnAnswer(" Done.", false).content, " Done.");
  EXPECT_EQ(assembler.OnAnswer("The answer is: four. Done!", true).content, "!");
}

TEST(AnswerAssemblerTest, OverwriteThatReplacesEverythingEmitsTheNewText) {
  AnswerAssembler assembler;
  assembler.OnAnswer("Sure, here is how", false);
  EXPECT_EQ(assembler.OnAnswer("Sorry, I can't help with that.", true).content,
            "orry, I can't help with that.");  // the common prefix "S" was sent already
  EXPECT_TRUE(assembler.diverged());
}

TEST(AnswerAssemblerTest, DivergenceNeverCutsACharacter) {
  AnswerAssembler assembler;
  assembler.OnAnswer("答案是你", false);                                 // ends in E4 BD A0
  const std::string out = assembler.OnAnswer("答案是佢", true).content;  // ends in E4 BD A2
  EXPECT_EQ(out, "佢");
  AnswerAssembler lagging;
  lagging.OnAnswer("是你们", false);
  lagging.OnAnswer("是", true);
  EXPECT_EQ(lagging.OnAnswer("佢们", false).content, "佢们");
}

TEST(AnswerAssemblerTest, OverwriteIsSplitAgain) {
  AnswerAssembler assembler;
  AnswerAssembler::Output out = assembler.OnAnswer("````think::1\nfirst tho", false);
  EXPECT_EQ(out.reasoning, "first tho");
  out = assembler.OnAnswer("````think::1\nfirst thought\n````\nAnswer", true);
  EXPECT_EQ(out.reasoning, "ught");
  EXPECT_EQ(out.content, "Answer");
  out = assembler.OnAnswer(" more", false);
  EXPECT_EQ(out.content, " more");
  assembler.OnFinish("");
  EXPECT_EQ(assembler.content(), "Answer more");
  EXPECT_EQ(assembler.reasoning(), "first thought");
  EXPECT_FALSE(assembler.diverged());
}

TEST(AnswerAssemblerTest, ThinkPushesGoToReasoning) {
  AnswerAssembler assembler;
  EXPECT_EQ(assembler.OnThink("Let me see").reasoning, "Let me see");
  EXPECT_EQ(assembler.OnThink("").reasoning, "");
  EXPECT_EQ(assembler.OnAnswer("Yes.", false).content, "Yes.");
  EXPECT_EQ(assembler.OnAnswer("Yes!", true).content, "!");  // overwrites leave chat/think alone
  assembler.OnFinish("");
  EXPECT_EQ(assembler.reasoning(), "Let me see");
  EXPECT_EQ(assembler.content(), "Yes.!");
}

TEST(AnswerAssemblerTest, FullAnswerIsTheFallbackWhenNoDeltaArrived) {
  AnswerAssembler assembler;
  const AnswerAssembler::Output out = assembler.OnFinish("pong");
  EXPECT_EQ(out.content, "pong");
  EXPECT_EQ(out.reasoning, "");
  EXPECT_FALSE(assembler.any_delta());
  EXPECT_EQ(assembler.content(), "pong");
}

TEST(AnswerAssemblerTest, ThinkInsideFullAnswerIsSplit) {
  AnswerAssembler assembler;
  const AnswerAssembler::Output out =
      assembler.OnFinish("\n````think::1532\nreasoning\n````\n答案😀");
  EXPECT_EQ(out.content, "答案😀");
  EXPECT_EQ(out.reasoning, "reasoning");
}

TEST(AnswerAssemblerTest, FullAnswerReasoningIsNotRepeatedAfterThinkPushes) {
  AnswerAssembler assembler;
  assembler.OnThink("reasoning");
  const AnswerAssembler::Output out =
      assembler.OnFinish("````think::{THINK_TIME}\nreasoning\n````\nanswer");
  EXPECT_EQ(out.content, "answer");
  EXPECT_EQ(out.reasoning, "");
  EXPECT_EQ(assembler.reasoning(), "reasoning");
}

TEST(AnswerAssemblerTest, EmptyFullAnswerWithoutDeltas) {
  AnswerAssembler assembler;
  const AnswerAssembler::Output out = assembler.OnFinish("");
  EXPECT_EQ(out.content, "");
  EXPECT_EQ(assembler.content(), "");
}

TEST(AnswerAssemblerTest, PushesAfterFinishAreIgnored) {
  AnswerAssembler assembler;
  assembler.OnAnswer("done", false);
  assembler.OnFinish("");
  EXPECT_EQ(assembler.OnAnswer("late", false).content, "");
  EXPECT_EQ(assembler.OnThink("late").reasoning, "");
  EXPECT_EQ(assembler.OnFinish("again").content, "");
  EXPECT_EQ(assembler.content(), "done");
}

}  // namespace
TEST(AnswerAssemblerComplete, AppliesOverwritesThatStreamingCouldNotTakeBack) {
  AnswerAssembler a;
  a.OnAnswer("Hello wrold", false);
  a.OnAnswer("Hello world, fixed", true);
  a.OnFinish("");
  EXPECT_TRUE(a.diverged());
  EXPECT_EQ(a.Complete().content, "Hello world, fixed");
  EXPECT_NE(a.content(), "Hello world, fixed");  // what a stream client already holds
}

TEST(AnswerAssemblerComplete, SplitsThinkBlocksAndKeepsThinkPushes) {
  AnswerAssembler a;
  a.OnThink("pushed. ");
  a.OnAnswer("\n````think::{THINK_TIME}\ninline\n````\nthe answer", false);
  a.OnFinish("");
  const auto complete = a.Complete();
  EXPECT_EQ(complete.content, "the answer");
  EXPECT_EQ(complete.reasoning, "pushed. inline");
}

TEST(AnswerAssemblerComplete, UsesFullAnswerWhenNoDeltaArrived) {
  AnswerAssembler a;
  a.OnFinish("only in fullAnswer");
  EXPECT_EQ(a.Complete().content, "only in fullAnswer");
}

}  // namespace chat
