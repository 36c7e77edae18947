// Tests for the UTF-8 code-point helpers.
#include "sim/utf8.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "text/utf8.hpp"

namespace sim {
namespace {

using ::testing::ElementsAre;

TEST(Utf8Test, CountsCodePointsNotBytes) {
  EXPECT_EQ(CodePointCount(""), 0u);
  EXPECT_EQ(CodePointCount("abc"), 3u);
  EXPECT_EQ(CodePointCount("你好"), 2u);  // 3 bytes each
  EXPECT_EQ(CodePointCount("a😀b"), 3u);   // 4-byte emoji
}

TEST(Utf8Test, PrefixKeepsWholeCharacters) {
  EXPECT_EQ(CodePointPrefix("你好世界", 2), "你好");
  EXPECT_EQ(CodePointPrefix("ab", 5), "ab");
  EXPECT_EQ(CodePointPrefix("ab", 0), "");
}

TEST(Utf8Test, BoundariesSkipContinuationBytes) {
  const std::string text = "a你";  // a, then E4 BD A0
  EXPECT_TRUE(IsCodePointBoundary(text, 0));
  EXPECT_TRUE(IsCodePointBoundary(text, 1));
  EXPECT_FALSE(IsCodePointBoundary(text, 2));
  EXPECT_FALSE(IsCodePointBoundary(text, 3));
  EXPECT_TRUE(IsCodePointBoundary(text, 4));
  EXPECT_EQ(NextCodePointBoundary(text, 2), 4u);
  EXPECT_EQ(NextCodePointBoundary(text, 1), 1u);
  EXPECT_EQ(NextCodePointBoundary(text, 99), 4u);
}

TEST(Utf8Test, SplitsIntoNearlyEqualPieces) {
  EXPECT_THAT(SplitByCodePoints("abcdefgh", 4), ElementsAre("ab", "cd", "ef", "gh"));
  EXPECT_THAT(SplitByCodePoints("abcde", 2), ElementsAre("ab", "cde"));
  EXPECT_THAT(SplitByCodePoints("abc", 1), ElementsAre("abc"));
}

TEST(Utf8Test, SplitNeverCutsAMultibyteCharacter) {
  const std::string text = "你好😀世界é!";
  for (std::size_t parts = 1; parts <= 10; ++parts) {
    std::string joined;
    for (std::string_view piece : SplitByCodePoints(text, parts)) {
      EXPECT_FALSE(piece.empty());
      EXPECT_EQ(CodePointCount(piece) > 0, true);
      EXPECT_TRUE(IsCodePointBoundary(text, joined.size()));
      joined.append(piece);
    }
    EXPECT_EQ(joined, text) << parts;
  }
}

TEST(Utf8Test, ShortTextGivesFewerPieces) {
  EXPECT_THAT(SplitByCodePoints("好a", 5), ElementsAre("好", "a"));
  EXPECT_TRUE(SplitByCodePoints("", 3).empty());
}

TEST(Utf8Test, WellFormedUtf8) {
  EXPECT_TRUE(utf8::IsWellFormed(""));
  EXPECT_TRUE(utf8::IsWellFormed("abc"));
  EXPECT_TRUE(utf8::IsWellFormed("你好😀é"));
  EXPECT_TRUE(utf8::IsWellFormed("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  EXPECT_TRUE(utf8::IsWellFormed("\xEF\xBF\xBD"));      // U+FFFD
  for (const char* bad : {
           "\xFF",              // never valid
           "\xE4\xBD",          // truncated at the end
           "\xE4\xBD!",         // truncated before ASCII
           "\x80",              // lone continuation byte
           "\xC0\xAF",          // overlong '/'
           "\xE0\x80\xAF",      // overlong
           "\xF0\x80\x80\xAF",  // overlong
           "\xED\xA0\x80",      // surrogate U+D800
           "\xF4\x90\x80\x80",  // above U+10FFFF
           "\xF5\x80\x80\x80",  // lead byte out of range
       }) {
    EXPECT_FALSE(utf8::IsWellFormed(bad)) << ::testing::PrintToString(std::string(bad));
    EXPECT_FALSE(utf8::IsWellFormed(std::string("ok") + bad + "ok"));
  }
}

TEST(Utf8Test, IllFormedBytesGoAfterTheFirstCharacter) {
  const std::string bad(kIllFormedBytes);
  EXPECT_EQ(bad.size(), 3u);
  EXPECT_FALSE(utf8::IsWellFormed(bad));
  EXPECT_EQ(WithIllFormedUtf8(""), "");
  EXPECT_EQ(WithIllFormedUtf8("a"), "a" + bad);
  EXPECT_EQ(WithIllFormedUtf8("abc"), "a" + bad + "bc");
  EXPECT_EQ(WithIllFormedUtf8("你好"), "你" + bad + "好");
  EXPECT_EQ(WithIllFormedUtf8("😀x"), "😀" + bad + "x");
  for (std::string_view text : {"a", "abc", "你好", "😀x", "é"}) {
    const std::string corrupted = WithIllFormedUtf8(text);
    EXPECT_FALSE(utf8::IsWellFormed(corrupted)) << text;
    // Nothing of the text is absorbed: removing the inserted bytes gives it back.
    std::string restored = corrupted;
    restored.erase(restored.find(bad), bad.size());
    EXPECT_EQ(restored, text);
  }
}

}  // namespace
}  // namespace sim
