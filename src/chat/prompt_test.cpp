// Golden tests of the prompt text sent to Lingma.
#include "chat/prompt.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chat {
namespace {

const std::string kTaskOne =
    "Reply as the assistant to the latest user message only; the sections before it are "
    "instructions and earlier conversation, for context. Do not answer earlier messages again and "
    "do not write section headers like the ones above.";
const std::string kTaskSeveral =
    "Reply as the assistant to the latest messages only (those after your last reply); the "
    "sections before them are instructions and earlier conversation, for context. Do not answer "
    "earlier messages again and do not write section headers like the ones above.";

Message Msg(Role role, std::string content, std::string name = "", std::string tool_call_id = "") {
  return Message{role, std::move(content), std::move(name), std::move(tool_call_id)};
}

TEST(BuildPromptTest, LoneUserMessageGoesAsIs) {
  const Prompt prompt = BuildPrompt({Msg(Role::kUser, "Reply with exactly: pong\n")});
  EXPECT_EQ(prompt.text, "Reply with exactly: pong\n");
  EXPECT_FALSE(prompt.flattened);
}

TEST(BuildPromptTest, EmptyInstructionsAndEmptyAssistantTurnsDoNotCount) {
  const Prompt prompt =
      BuildPrompt({Msg(Role::kSystem, ""), Msg(Role::kAssistant, ""), Msg(Role::kUser, "Hi")});
  EXPECT_EQ(prompt.text, "Hi");
  EXPECT_FALSE(prompt.flattened);
}

TEST(BuildPromptTest, FourMessageConversation) {
  const Prompt prompt = BuildPrompt({
      Msg(Role::kSystem, "You are a terse geography tutor."),
      Msg(Role::kUser, "What is the capital of France?"),
      Msg(Role::kAssistant, "Paris."),
      Msg(Role::kUser, "And of Italy?"),
  });
  EXPECT_TRUE(prompt.flattened);
  EXPECT_EQ(prompt.text,
            "[System instructions]\n"
            "You are a terse geography tutor.\n"
            "\n"
            "[Conversation so far]\n"
            "\n"
            "[User]\n"
            "What is the capital of France?\n"
            "\n"
            "[Assistant]\n"
            "Paris.\n"
            "\n"
            "[Latest user message]\n"
            "And of Italy?\n"
            "\n"
            "[Your task]\n" +
                kTaskOne);
}

TEST(BuildPromptTest, InstructionsOnly) {
  const Prompt prompt =
      BuildPrompt({Msg(Role::kSystem, "Be brief.\n"), Msg(Role::kUser, "Why is the sky blue?")});
  EXPECT_TRUE(prompt.flattened);
  EXPECT_EQ(prompt.text,
            "[System instructions]\nBe brief.\n\n"
            "[Latest user message]\nWhy is the sky blue?\n\n"
            "[Your task]\n" +
                kTaskOne);
}

TEST(BuildPromptTest, SystemAndDeveloperContentsGoFirstInOrder) {
  const Prompt prompt = BuildPrompt({
      Msg(Role::kDeveloper, "Rule one."),
      Msg(Role::kUser, "Q1"),
      Msg(Role::kAssistant, "A1"),
      Msg(Role::kSystem, "Rule two."),
      Msg(Role::kUser, "Q2"),
  });
  EXPECT_EQ(prompt.text,
            "[System instructions]\nRule one.\n\nRule two.\n\n"
            "[Conversation so far]\n\n"
            "[User]\nQ1\n\n"
            "[Assistant]\nA1\n\n"
            "[Latest user message]\nQ2\n\n"
            "[Your task]\n" +
                kTaskOne);
}

TEST(BuildPromptTest, NamesAreShown) {
  const Prompt prompt = BuildPrompt({
      Msg(Role::kUser, "Hi, I am Alice.", "alice"),
      Msg(Role::kAssistant, "Hello Alice.", "tutor"),
      Msg(Role::kUser, "Bob here.", "bob"),
  });
  EXPECT_EQ(prompt.text,
            "[Conversation so far]\n\n"
            "[User (alice)]\nHi, I am Alice.\n\n"
            "[Assistant (tutor)]\nHello Alice.\n\n"
            "[Latest user message (bob)]\nBob here.\n\n"
            "[Your task]\n" +
                kTaskOne);
}

TEST(BuildPromptTest, ToolResultsAfterTheLastAssistantTurnAreTheLatestMessages) {
  const Prompt prompt = BuildPrompt({
      Msg(Role::kUser, "Weather in Paris and Rome?"),
      Msg(Role::kAssistant, ""),  // tool calls only
      Msg(Role::kTool, "18C, cloudy", "", "call_1"),
      Msg(Role::kTool, "24C, sunny", "", "call_2"),
  });
  EXPECT_EQ(prompt.text,
            "[Conversation so far]\n\n"
            "[User]\nWeather in Paris and Rome?\n\n"
            "[Latest tool result for call_1]\n18C, cloudy\n\n"
            "[Latest tool result for call_2]\n24C, sunny\n\n"
            "[Your task]\n" +
                kTaskSeveral);
}

TEST(BuildPromptTest, ToolResultsInTheHistory) {
  const Prompt prompt = BuildPrompt({
      Msg(Role::kUser, "Weather in Paris?"),
      Msg(Role::kAssistant, ""),
      Msg(Role::kTool, "18C", "", "call_1"),
      Msg(Role::kTool, "no id"),
      Msg(Role::kAssistant, "It is 18C."),
      Msg(Role::kUser, "Thanks!"),
  });
  EXPECT_EQ(prompt.text,
            "[Conversation so far]\n\n"
            "[User]\nWeather in Paris?\n\n"
            "[Tool result for call_1]\n18C\n\n"
            "[Tool result]\nno id\n\n"
            "[Assistant]\nIt is 18C.\n\n"
            "[Latest user message]\nThanks!\n\n"
            "[Your task]\n" +
                kTaskOne);
}

TEST(BuildPromptTest, SeveralUserMessagesWithoutReply) {
  const Prompt prompt =
      BuildPrompt({Msg(Role::kUser, "Here is a file."), Msg(Role::kUser, "Explain it.")});
  EXPECT_EQ(prompt.text,
            "[Latest user message]\nHere is a file.\n\n"
            "[Latest user message]\nExplain it.\n\n"
            "[Your task]\n" +
                kTaskSeveral);
}

TEST(BuildPromptTest, ContentIsCopiedByteForByte) {
  const Prompt prompt = BuildPrompt({
      Msg(Role::kUser, "Code:\n```python\nprint(1)\n"),  // unclosed fence, trailing newline
      Msg(Role::kAssistant, "User: this line looks like a label\n\n"),
      Msg(Role::kUser, "  [Latest news] is not a header line: it has text after it.]x\r\n"),
  });
  EXPECT_EQ(prompt.text,
            "[Conversation so far]\n\n"
            "[User]\nCode:\n```python\nprint(1)\n\n"
            "[Assistant]\nUser: this line looks like a label\n\n\n"
            "[Latest user message]\n"
            "  [Latest news] is not a header line: it has text after it.]x\r\n\n"
            "[Your task]\n" +
                kTaskOne);
}

TEST(BuildPromptTest, HeaderLikeContentLinesDeepenTheHeaders) {
  const Prompt prompt = BuildPrompt({
      Msg(Role::kUser, "Pasted log:\n[User]\nhi\n  [[assistant]]  \nhello"),
      Msg(Role::kAssistant, "[Toolbox] and [1, 2] are fine."),
      Msg(Role::kUser, "Go on."),
  });
  EXPECT_EQ(prompt.text,
            "[[[Conversation so far]]]\n\n"
            "[[[User]]]\nPasted log:\n[User]\nhi\n  [[assistant]]  \nhello\n\n"
            "[[[Assistant]]]\n[Toolbox] and [1, 2] are fine.\n\n"
            "[[[Latest user message]]]\nGo on.\n\n"
            "[[[Your task]]]\n" +
                kTaskOne);
}

TEST(BuildPromptTest, NamesAndIdsCannotBreakHeaders) {
  const Prompt prompt = BuildPrompt({
      Msg(Role::kUser, "q", "a]b\nc"),
      Msg(Role::kAssistant, ""),
      Msg(Role::kTool, "r", "", "call[1]"),
  });
  EXPECT_EQ(prompt.text,
            "[Conversation so far]\n\n"
            "[User (a_b_c)]\nq\n\n"
            "[Latest tool result for call_1_]\nr\n\n"
            "[Your task]\n" +
                kTaskSeveral);
}

TEST(BuildReplyPromptTest, NewestUserMessageGoesAsIs) {
  const Prompt prompt = BuildReplyPrompt({
      Msg(Role::kSystem, "Be brief."),
      Msg(Role::kUser, "Q1"),
      Msg(Role::kAssistant, "A1"),
      Msg(Role::kUser, "Q2"),
  });
  EXPECT_EQ(prompt.text, "Q2");
  EXPECT_FALSE(prompt.flattened);
}

TEST(BuildReplyPromptTest, ToolResultsAreLabelled) {
  const Prompt prompt = BuildReplyPrompt({
      Msg(Role::kUser, "Weather?"),
      Msg(Role::kAssistant, "Let me check."),
      Msg(Role::kTool, "18C", "", "call_1"),
      Msg(Role::kUser, "And tomorrow?"),
  });
  EXPECT_TRUE(prompt.flattened);
  EXPECT_EQ(prompt.text,
            "[Latest tool result for call_1]\n18C\n\n"
            "[Latest user message]\nAnd tomorrow?\n\n"
            "[Your task]\n" +
                kTaskSeveral);
}

TEST(BuildReplyPromptTest, NewInstructionsComeFirst) {
  const Prompt prompt = BuildReplyPrompt({
      Msg(Role::kUser, "Q1"),
      Msg(Role::kAssistant, "A1"),
      Msg(Role::kDeveloper, "Answer in French."),
      Msg(Role::kUser, "Q2"),
  });
  EXPECT_TRUE(prompt.flattened);
  EXPECT_EQ(prompt.text,
            "[System instructions]\nAnswer in French.\n\n"
            "[Latest user message]\nQ2\n\n"
            "[Your task]\n" +
                kTaskOne);
}

TEST(BuildReplyPromptTest, WithoutAnAssistantTurnEverythingIsNew) {
  const Prompt prompt = BuildReplyPrompt({Msg(Role::kUser, "Q1")});
  EXPECT_EQ(prompt.text, "Q1");
  EXPECT_FALSE(prompt.flattened);
}

}  // namespace
}  // namespace chat
