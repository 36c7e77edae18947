// Token estimates for the usage block: Lingma does not report token counts to the client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chat/model.hpp"

namespace chat {

// Chat-template framing per message: Qwen's ChatML wraps each message as
// "<|im_start|>role\n…<|im_end|>\n", i.e. about five tokens besides the text.
inline constexpr std::int64_t kTokensPerMessage = 5;

// Estimated tokens of a text. The formula, applied to the decoded UTF-8:
//   tokens = cjk + ceil(other_bytes / 4), and at least 1 for a non-empty text (0 for empty),
// where `cjk` counts CJK and fullwidth code points (ideographs, kana, hangul, CJK punctuation,
// fullwidth forms: Qwen tokenizers spend about one token on each) and `other_bytes` counts the
// UTF-8 bytes of every other code point (English and code average about four bytes per token). A
// byte that is not part of a valid UTF-8 sequence counts as one byte of other text.
std::int64_t EstimateTokens(std::string_view text);

// Usage of one turn:
//   prompt_tokens     = EstimateTokens(prompt_text) + kTokensPerMessage · message_count
//   completion_tokens = EstimateTokens(completion) + reasoning_tokens
//   reasoning_tokens  = EstimateTokens(reasoning)
// `prompt_text` is the text actually sent upstream (a reused session's history is not resent and
// not counted); `message_count` is the number of messages that text stands for.
Usage EstimateUsage(std::string_view prompt_text, std::size_t message_count,
                    std::string_view completion, std::string_view reasoning);

}  // namespace chat
