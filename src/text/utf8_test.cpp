// Tests for UTF-8 validation and repair.
#include "text/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace utf8 {
namespace {

std::string Repaired(std::string_view s) {
  std::string out;
  AppendRepaired(out, s);
  return out;
}

const std::string kFffd(kReplacementCharacter);

TEST(Utf8, WellFormedTextIsKept) {
  for (std::string_view s :
       {"", "plain ascii", "你好", "emoji 😀", "\xC2\x80", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_TRUE(IsWellFormed(s)) << s;
    EXPECT_EQ(Repaired(s), s);
  }
}

TEST(Utf8, IllFormedSequencesAreRecognised) {
  for (std::string_view s : {
           "\xFF",              // never a UTF-8 byte
           "\x80",              // continuation without a lead
           "\xC0\xAF",          // overlong
           "\xE0\x80\xAF",      // overlong
           "\xED\xA0\x80",      // a UTF-16 surrogate
           "\xF4\x90\x80\x80",  // above U+10FFFF
           "\xE4\xBD",          // truncated at the end
           "a\xE4\xBD"
           "b",  // truncated in the middle
       }) {
    EXPECT_FALSE(IsWellFormed(s)) << testing::PrintToString(s);
  }
}

TEST(Utf8, EachMaximalSubpartBecomesOneReplacementCharacter) {
  EXPECT_EQ(Repaired("a\xFF"
                     "b"),
            "a" + kFffd + "b");
  EXPECT_EQ(Repaired("\xE4\xBD"), kFffd);  // one truncated character
  EXPECT_EQ(Repaired("\xE4\xBD"
                     "a"),
            kFffd + "a");
  EXPECT_EQ(Repaired("\xED\xA0\x80"), kFffd + kFffd + kFffd);  // ED is valid only before 80..9F
  EXPECT_EQ(Repaired("\xC0\xAF"), kFffd + kFffd);
  EXPECT_EQ(Repaired("你\xFF好"), "你" + kFffd + "好");
}

TEST(Utf8, IllFormedBytesAreFoundAtEveryOffsetOfALongAsciiRun) {
  // The ASCII fast path reads sixteen, then eight bytes at a time; a bad byte at any position must
  // still count.
  for (std::size_t at = 0; at < 40; ++at) {
    std::string s(40, 'a');
    s[at] = '\xFF';
    EXPECT_FALSE(IsWellFormed(s)) << at;
    EXPECT_EQ(Repaired(s), std::string(at, 'a') + kFffd + std::string(39 - at, 'a')) << at;
    s[at] = 'b';
    EXPECT_TRUE(IsWellFormed(s)) << at;
  }
}

TEST(Utf8, SequenceLengthOfValidLeads) {
  EXPECT_EQ(SequenceLength("\xC3\xA9"), 2);
  EXPECT_EQ(SequenceLength("\xE4\xBD\xA0"), 3);
  EXPECT_EQ(SequenceLength("\xF0\x9F\x98\x80"), 4);
  EXPECT_EQ(SequenceLength("\xE4\xBD"), -2);
  EXPECT_EQ(SequenceLength("\xE4"
                           "a"),
            -1);
}

}  // namespace
}  // namespace utf8
