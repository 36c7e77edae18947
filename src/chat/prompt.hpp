// Turns an OpenAI-style message list into the one questionText Lingma takes per turn.
#pragma once

#include <string>
#include <vector>

#include "chat/model.hpp"

namespace chat {

struct Prompt {
  std::string text;
  bool flattened = false;  // a transcript, not a lone message
};

// The transcript format. Lingma answers one text per turn, so a conversation is written out as
// headed sections, each header alone on its line and preceded by a blank line:
//
//   [System instructions]
//   <system and developer contents, in order, separated by blank lines>
//
//   [Conversation so far]
//
//   [User]                            [User (alice)] when the message has a name
//   <content>
//
//   [Assistant]
//   <content>
//
//   [Tool result for call_1]          [Tool result] without a tool_call_id
//   <content>
//
//   [Latest user message]             [Latest tool result for call_2] for a tool message
//   <content>
//
//   [Your task]
//   Reply as the assistant to the latest user message only; …
//
// - "Latest" are the messages after the last assistant turn (what the assistant has not replied
//   to yet); everything before them is "Conversation so far". System and developer messages go to
//   the instructions wherever they stand. Sections without entries are left out.
// - Contents are copied byte for byte, never escaped. Headers stay unambiguous anyway: if any
//   content has a line that could be read as a header (only brackets around text starting with a
//   header word, e.g. "[User]" or "[[Assistant]]"), every header of this prompt uses one more
//   bracket than the deepest such line ("[[User]]", …). Markdown fences and "User:" lines in
//   contents cannot be confused with headers, which are neither.
// - Assistant turns with empty content (tool calls only) are skipped.
// - Names are shown in turn headers (not in the instructions, which are merged); names and tool
//   call ids in headers have line breaks and brackets replaced by "_".
//
// Validation happens elsewhere: `messages` is non-empty and ends with a user or tool message.
// A lone user message (nothing else to show) goes as is, with `flattened` false.
Prompt BuildPrompt(const std::vector<Message>& messages);

// The prompt of a reply turn, when the upstream session already holds the history: only the
// messages after the last assistant turn. A single user message goes as is; otherwise (tool
// results, several messages, new system instructions) they are written in the format above,
// without "Conversation so far".
Prompt BuildReplyPrompt(const std::vector<Message>& messages);

}  // namespace chat
