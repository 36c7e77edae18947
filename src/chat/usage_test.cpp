// Tests of the token estimator.
#include "chat/usage.hpp"

#include <gtest/gtest.h>

#include <string>

namespace chat {
namespace {

TEST(EstimateTokensTest, EmptyIsZero) { EXPECT_EQ(EstimateTokens(""), 0); }

TEST(EstimateTokensTest, OtherTextIsFourBytesPerTokenRoundedUp) {
  EXPECT_EQ(EstimateTokens("a"), 1);
  EXPECT_EQ(EstimateTokens("abcd"), 1);
  EXPECT_EQ(EstimateTokens("abcde"), 2);
  EXPECT_EQ(EstimateTokens("Hello, world!"), 4);     // 13 bytes
  EXPECT_EQ(EstimateTokens("Ünï"), 2);               // 5 bytes: non-CJK multibyte counts by bytes
  EXPECT_EQ(EstimateTokens("\xF0\x9F\x98\x80"), 1);  // emoji: 4 bytes
}

TEST(EstimateTokensTest, CjkAndFullwidthCountOneEach) {
  EXPECT_EQ(EstimateTokens("你好"), 2);
  EXPECT_EQ(EstimateTokens("你好，世界。"), 6);      // fullwidth comma, ideographic full stop
  EXPECT_EQ(EstimateTokens("こんにちは"), 5);        // hiragana
  EXPECT_EQ(EstimateTokens("カタカナ"), 4);          // katakana
  EXPECT_EQ(EstimateTokens("안녕"), 2);              // hangul
  EXPECT_EQ(EstimateTokens("ＡＢＣ"), 3);            // fullwidth Latin
  EXPECT_EQ(EstimateTokens("\xF0\xA0\x80\x80"), 1);  // U+20000, extension B
}

TEST(EstimateTokensTest, MixedText) {
  EXPECT_EQ(EstimateTokens("你好abc"), 3);       // 2 + ceil(3/4)
  EXPECT_EQ(EstimateTokens("用 Python 写"), 4);  // 2 + ceil(8/4)
}

TEST(EstimateTokensTest, InvalidBytesCountAsOneByteOfOtherText) {
  EXPECT_EQ(EstimateTokens("\xFF"), 1);
  EXPECT_EQ(EstimateTokens("\xFF\xFE\x80\x80\x80"), 2);  // 5 stray bytes
  EXPECT_EQ(EstimateTokens("\xC0\xAF"), 1);              // overlong "/": 2 invalid bytes
  EXPECT_EQ(EstimateTokens("\xED\xA0\x80"), 1);          // surrogate: 3 invalid bytes
  EXPECT_EQ(EstimateTokens("\xE4\xBD"), 1);              // truncated "你": 2 invalid bytes
  EXPECT_EQ(EstimateTokens("你\xE4\xBD"), 2);            // 1 CJK + ceil(2/4)
  EXPECT_EQ(EstimateTokens("\xF4\x90\x80\x80"), 1);      // beyond U+10FFFF: 4 invalid bytes
}

TEST(EstimateTokensTest, LongTextCountsTheSameWhereverItsCjkAndBadBytesFall) {
  // Plain ASCII is counted sixteen and eight bytes at a time: a CJK character or a bad byte in a
  // longer text, at every offset from a block's or word's start, must count as in a short one.
  const auto other = [](std::size_t bytes) { return static_cast<std::int64_t>((bytes + 3) / 4); };
  for (std::size_t length = 1; length <= 40; ++length) {
    EXPECT_EQ(EstimateTokens(std::string(length, 'x')), other(length));
    for (std::size_t at = 0; at <= length; ++at) {
      SCOPED_TRACE("length " + std::to_string(length) + ", at " + std::to_string(at));
      const std::string before(at, 'x');
      const std::string after(length - at, 'y');
      EXPECT_EQ(EstimateTokens(before + "你" + after), 1 + other(length));
      EXPECT_EQ(EstimateTokens(before + "\xFF" + after), other(length + 1));
      EXPECT_EQ(EstimateTokens(before + "Ü" + after), other(length + 2));
    }
  }
}

TEST(EstimateUsageTest, AddsPerMessageFramingToThePrompt) {
  const Usage usage = EstimateUsage("Hello, world!", 3, "pong", "你好");
  EXPECT_EQ(usage.prompt_tokens, 4 + 3 * kTokensPerMessage);
  EXPECT_EQ(usage.completion_tokens, 1 + 2);
  EXPECT_EQ(usage.reasoning_tokens, 2);
  EXPECT_EQ(usage.total_tokens(), usage.prompt_tokens + usage.completion_tokens);
}

TEST(EstimateUsageTest, EmptyTurn) {
  const Usage usage = EstimateUsage("", 0, "", "");
  EXPECT_EQ(usage.prompt_tokens, 0);
  EXPECT_EQ(usage.completion_tokens, 0);
  EXPECT_EQ(usage.reasoning_tokens, 0);
}

}  // namespace
}  // namespace chat
