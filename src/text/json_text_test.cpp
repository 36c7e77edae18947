// Tests for JSON string escaping and UTF-8 repair.
#include "text/json_text.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <limits>
#include <random>

namespace json_text {
namespace {

namespace json = boost::json;

std::string Escaped(std::string_view text) {
  std::string out;
  AppendString(out, text);
  return out;
}

// The text a JSON parser reads back from the escaped form.
std::string RoundTrip(std::string_view text) {
  const json::value v = json::parse(Escaped(text));
  return std::string(v.as_string());
}

TEST(JsonText, PlainAsciiIsQuotedOnly) {
  EXPECT_EQ(Escaped("hello world"), "\"hello world\"");
  EXPECT_EQ(Escaped(""), "\"\"");
}

TEST(JsonText, EscapesQuotesBackslashesAndShortForms) {
  EXPECT_EQ(Escaped(R"(say "hi" \ there)"), R"("say \"hi\" \\ there")");
  EXPECT_EQ(Escaped("a\nb\rc\td\be\ff"), R"("a\nb\rc\td\be\ff")");
}

TEST(JsonText, EscapesOtherControlCharactersAsUnicode) {
  EXPECT_EQ(Escaped(std::string_view("\x00\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  // DEL and '/' need no escaping in JSON and are left alone.
  EXPECT_EQ(Escaped("\x7f/"), "\"\x7f/\"");
}

TEST(JsonText, KeepsCjkAndEmojiAsRawUtf8) {
  EXPECT_EQ(Escaped("你好，世界"), "\"你好，世界\"");
  EXPECT_EQ(Escaped("ok 😀👍🏽"), "\"ok 😀👍🏽\"");
  EXPECT_EQ(Escaped("\xC2\xA9\xE2\x80\xA8"), "\"\xC2\xA9\xE2\x80\xA8\"");  // ©, U+2028
  EXPECT_EQ(RoundTrip("混合 text \"q\"\n😀"), "混合 text \"q\"\n😀");
}

TEST(JsonText, ReplacesIllFormedUtf8WithReplacementCharacter) {
  const std::string r = "\xEF\xBF\xBD";
  struct Case {
    std::string input;
    std::string expected;
  };
  const Case cases[] = {
      {std::string("a\xFF") + "b", "a" + r + "b"},
      {"\x80", r},                                   // stray continuation byte
      {"\xC0\xAF", r + r},                           // overlong '/', C0 is never a lead
      {"\xC1\xBF", r + r},                           // overlong, C1 is never a lead
      {"\xE0\x80\x80", r + r + r},                   // overlong three-byte form
      {"\xED\xA0\x80", r + r + r},                   // UTF-16 surrogate
      {"\xF4\x90\x80\x80", r + r + r + r},           // above U+10FFFF
      {"\xF5\x80", r + r},                           // F5 is never a lead
      {"\xE4\xBD", r},                               // truncated at the end: one maximal subpart
      {"\xE4\xBDx", r + "x"},                        // truncated before ASCII
      {std::string("\xF0\x9F\x98") + "A", r + "A"},  // truncated emoji
      {"\xE4\xBD\xA0\xFF\xE5\xA5\xBD", "你" + r + "好"},  // damage between valid characters
      {"\"\xFF\n", "\"" + r + "\n"},
      {"\xE4\xBD\xE5\xA5\xBD", r + "好"},              // truncated before a valid character
      {std::string("\xF0\x9F\x98") + "\"", r + "\""},  // truncated before a quote
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(Escaped(c.input));
    EXPECT_EQ(RoundTrip(c.input), c.expected);
  }
}

TEST(JsonText, KeepsTheEdgesOfEverySequenceLength) {
  const std::string edges =
      "\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF";
  EXPECT_EQ(Escaped(edges), "\"" + edges + "\"");          // copied as they are, not escaped
  EXPECT_EQ(Escaped("\xE2\x80\xA8"), "\"\xE2\x80\xA8\"");  // U+2028 too
}

TEST(JsonText, FindsWhatNeedsEscapingAtEveryOffsetOfALongText) {
  // Plain runs are skipped sixteen, then eight bytes at a time: what needs attention must be found
  // at every offset from a block's or a word's start, and its neighbours in value must not be
  // taken for it.
  struct Case {
    std::string input;
    std::string expected;  // without the quotes
  };
  const Case cases[] = {
      {"\"", "\\\""},
      {"\\", "\\\\"},
      {"\n", "\\n"},
      {std::string(1, '\0'), "\\u0000"},
      {"\x1f", "\\u001f"},
      {"\xFF", "\xEF\xBF\xBD"},
      {"\x80", "\xEF\xBF\xBD"},
      {"你", "你"},
      {" ", " "},
      {"!", "!"},
      {"#", "#"},
      {"[", "["},
      {"]", "]"},
      {"\x7f", "\x7f"},
  };
  for (std::size_t length = 0; length <= 40; ++length) {
    for (std::size_t at = 0; at <= length; ++at) {
      for (const Case& c : cases) {
        const std::string before(at, 'a');
        const std::string after(length - at, 'b');
        SCOPED_TRACE(Escaped(c.input) + " at " + std::to_string(at) + " of " +
                     std::to_string(length));
        ASSERT_EQ(Escaped(before + c.input + after), "\"" + before + c.expected + after + "\"");
      }
    }
  }
}

TEST(JsonText, FindsEachOfSeveralThatShareABlockOrAWord) {
  // The scan stops exactly at the first byte that needs attention in a block or word; after it,
  // the next one in the same block or word must be found too, also right after a byte whose
  // test borrows from its neighbour (a control character before a space or a quote).
  struct Piece {
    std::string input;
    std::string expected;
  };
  const Piece pieces[] = {
      {"\"", "\\\""},
      {"\\", "\\\\"},
      {"\n", "\\n"},
      {"\x01", "\\u0001"},
      {" ", " "},
      {"!", "!"},
      {"\xFF", "\xEF\xBF\xBD"},
      {"\xC3\xA9", "\xC3\xA9"},
  };
  for (std::size_t at = 0; at < 24; ++at) {
    for (std::size_t gap = 0; gap < 18; ++gap) {
      for (const Piece& first : pieces) {
        for (const Piece& second : pieces) {
          const std::string before(at, 'a'), between(gap, 'b'), after(9, 'c');
          SCOPED_TRACE(Escaped(first.input) + " at " + std::to_string(at) + ", then " +
                       Escaped(second.input) + " " + std::to_string(gap) + " later");
          ASSERT_EQ(Escaped(before + first.input + between + second.input + after),
                    "\"" + before + first.expected + between + second.expected + after + "\"");
        }
      }
    }
  }
}

TEST(JsonText, AnyBytesGiveValidJson) {
  std::mt19937 rng(20250101);
  std::uniform_int_distribution<int> length(0, 40);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 2000; ++round) {
    std::string input(static_cast<std::size_t>(length(rng)), '\0');
    for (char& c : input) c = static_cast<char>(byte(rng));
    const std::string text = Escaped(input);
    boost::system::error_code ec;
    const json::value v = json::parse(text, ec);  // rejects invalid UTF-8 and raw controls
    ASSERT_FALSE(ec) << "input round " << round << ": " << ec.message();
    ASSERT_TRUE(v.is_string());
  }
}

TEST(JsonText, EveryShortByteStringGivesValidJson) {
  // All two-byte strings, and three-byte strings around the multi-byte lead ranges followed by a
  // backslash: whatever a client or Lingma sends, the text must stay parseable.
  const auto parses = [](std::string_view bytes) {
    boost::system::error_code ec;
    json::parse(Escaped(bytes), ec);
    return !ec;
  };
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const char bytes[] = {static_cast<char>(a), static_cast<char>(b)};
      ASSERT_TRUE(parses(std::string_view(bytes, 2))) << a << " " << b;
    }
  }
  for (int a = 0xC0; a < 256; ++a) {
    for (int b = 0x70; b < 0xD0; ++b) {
      for (int c = 0x70; c < 0xD0; c += 7) {
        const char bytes[] = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                              '\\'};
        ASSERT_TRUE(parses(std::string_view(bytes, 4))) << a << " " << b << " " << c;
      }
    }
  }
}

TEST(JsonText, VerbatimEscapesTheSameButKeepsBytesAbove0x7FAsTheyAre) {
  const std::string text = "q\"b\\n\n\x01 你 \xFF\xC0\xAF end";
  std::string verbatim;
  AppendStringVerbatim(verbatim, text);
  EXPECT_EQ(verbatim, "\"q\\\"b\\\\n\\n\\u0001 你 \xFF\xC0\xAF end\"");
  // On well-formed input both writers agree.
  const std::string good = "q\"b\\n\n\x01 你 😀 \x7F";
  std::string a, b;
  AppendString(a, good);
  AppendStringVerbatim(b, good);
  EXPECT_EQ(a, b);
}

TEST(JsonText, AppendsWithoutClearing) {
  std::string out = "x=";
  AppendString(out, "y");
  AppendInt(out, -42);
  EXPECT_EQ(out, "x=\"y\"-42");
}

TEST(JsonText, IntegersInFullRange) {
  std::string out;
  AppendInt(out, 0);
  out.push_back(' ');
  AppendInt(out, std::numeric_limits<std::int64_t>::min());
  out.push_back(' ');
  AppendInt(out, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(out, "0 -9223372036854775808 9223372036854775807");
}

}  // namespace
}  // namespace json_text
