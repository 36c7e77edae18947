// Prompt flattening; the transcript format is documented in prompt.hpp.
#include "chat/prompt.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>
#include <utility>

namespace chat {
namespace {

// Header labels start with one of these words (lower case); content lines that do as well,
// between brackets, could be mistaken for headers.
constexpr std::array<std::string_view, 7> kHeaderWords = {"system instructions",
                                                          "conversation so far",
                                                          "user",
                                                          "assistant",
                                                          "tool result",
                                                          "latest",
                                                          "your task"};

constexpr std::string_view kTaskOneMessage =
    "Reply as the assistant to the latest user message only; the sections before it are "
    "instructions and earlier conversation, for context. Do not answer earlier messages again and "
    "do not write section headers like the ones above.";
constexpr std::string_view kTaskSeveralMessages =
    "Reply as the assistant to the latest messages only (those after your last reply); the "
    "sections before them are instructions and earlier conversation, for context. Do not answer "
    "earlier messages again and do not write section headers like the ones above.";

bool IsInstruction(const Message& message) {
  return message.role == Role::kSystem || message.role == Role::kDeveloper;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool StartsWithWordIgnoringCase(std::string_view text, std::string_view word) {
  if (text.size() < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (Lower(text[i]) != word[i]) return false;
  }
  return true;
}

std::string_view Trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\v\f";
  const std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const std::size_t last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

// Bracket depth of a line that reads like a header, else 0.
std::size_t HeaderLikeDepth(std::string_view line) {
  line = Trim(line);
  const std::size_t open = line.find_first_not_of('[');
  if (open == 0 || open == std::string_view::npos || line.back() != ']') return 0;
  const std::string_view inner = line.substr(open);
  for (std::string_view word : kHeaderWords) {
    if (StartsWithWordIgnoringCase(inner, word)) return open;
  }
  return 0;
}

// Bracket depth for this prompt's headers: one more than any header-like content line has.
std::size_t HeaderDepth(const std::vector<const Message*>& shown) {
  std::size_t deepest = 0;
  for (const Message* message : shown) {
    std::string_view rest = message->content;
    while (!rest.empty()) {
      const std::size_t newline = rest.find('\n');
      deepest = std::max(deepest, HeaderLikeDepth(rest.substr(0, newline)));
      if (newline == std::string_view::npos) break;
      rest.remove_prefix(newline + 1);
    }
  }
  return deepest + 1;
}

// A name or id shown inside a header must not end the header line or its brackets.
std::string HeaderSafe(std::string_view text) {
  std::string safe(text);
  for (char& c : safe) {
    if (c == '\n' || c == '\r' || c == '[' || c == ']') c = '_';
  }
  return safe;
}

std::string TurnLabel(const Message& message, bool latest) {
  std::string label = latest ? "Latest " : "";
  switch (message.role) {
    case Role::kAssistant:
      label += "Assistant";
      break;
    case Role::kTool:
      label += latest ? "tool result" : "Tool result";
      if (!message.tool_call_id.empty()) label += " for " + HeaderSafe(message.tool_call_id);
      break;
    default:
      label += latest ? "user message" : "User";
      break;
  }
  if (!message.name.empty()) label += " (" + HeaderSafe(message.name) + ")";
  return label;
}

class TranscriptWriter {
 public:
  explicit TranscriptWriter(std::size_t depth) : depth_(depth) {}

  void Section(std::string_view label, std::string_view body) {
    if (!text_.empty()) {
      if (text_.back() != '\n') text_ += '\n';
      text_ += '\n';
    }
    text_.append(depth_, '[');
    text_ += label;
    text_.append(depth_, ']');
    text_ += '\n';
    text_ += body;
  }

  std::string Take() { return std::move(text_); }

 private:
  std::size_t depth_;
  std::string text_;
};

// Index just past the last assistant turn: where the messages not yet replied to begin.
std::size_t TailStart(const std::vector<Message>& messages) {
  for (std::size_t i = messages.size(); i > 0; --i) {
    if (messages[i - 1].role == Role::kAssistant) return i;
  }
  return 0;
}

// Writes instructions, earlier turns and latest messages, then the closing task.
Prompt Render(const std::vector<const Message*>& instructions,
              const std::vector<const Message*>& history,
              const std::vector<const Message*>& latest) {
  if (instructions.empty() && history.empty() && latest.size() == 1 &&
      latest.front()->role == Role::kUser) {
    return {latest.front()->content, false};
  }
  std::vector<const Message*> shown = instructions;
  shown.insert(shown.end(), history.begin(), history.end());
  shown.insert(shown.end(), latest.begin(), latest.end());
  TranscriptWriter writer(HeaderDepth(shown));

  if (!instructions.empty()) {
    std::string joined;
    for (const Message* message : instructions) {
      if (!joined.empty()) joined += joined.back() == '\n' ? "\n" : "\n\n";
      joined += message->content;
    }
    writer.Section("System instructions", joined);
  }
  if (!history.empty()) {
    writer.Section("Conversation so far", "");
    for (const Message* message : history) {
      writer.Section(TurnLabel(*message, /*latest=*/false), message->content);
    }
  }
  for (const Message* message : latest) {
    writer.Section(TurnLabel(*message, /*latest=*/true), message->content);
  }
  const bool one_user_message = latest.size() == 1 && latest.front()->role == Role::kUser;
  writer.Section("Your task", one_user_message ? kTaskOneMessage : kTaskSeveralMessages);
  return {writer.Take(), true};
}

// Splits messages[begin, end) into instructions and the rest, dropping what carries nothing.
void Collect(const std::vector<Message>& messages, std::size_t begin, std::size_t end,
             std::vector<const Message*>& instructions, std::vector<const Message*>& turns) {
  for (std::size_t i = begin; i < end; ++i) {
    const Message& message = messages[i];
    if (IsInstruction(message)) {
      if (!message.content.empty()) instructions.push_back(&message);
    } else if (message.role != Role::kAssistant || !message.content.empty()) {
      turns.push_back(&message);
    }
  }
}

}  // namespace

Prompt BuildPrompt(const std::vector<Message>& messages) {
  const std::size_t tail = TailStart(messages);
  std::vector<const Message*> instructions;
  std::vector<const Message*> history;
  std::vector<const Message*> latest;
  Collect(messages, 0, tail, instructions, history);
  Collect(messages, tail, messages.size(), instructions, latest);
  return Render(instructions, history, latest);
}

Prompt BuildReplyPrompt(const std::vector<Message>& messages) {
  std::vector<const Message*> instructions;
  std::vector<const Message*> latest;
  Collect(messages, TailStart(messages), messages.size(), instructions, latest);
  return Render(instructions, {}, latest);
}

}  // namespace chat
