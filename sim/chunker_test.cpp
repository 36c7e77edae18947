// Tests for the split-frames message cutter.
#include "sim/chunker.hpp"

#include <gtest/gtest.h>

#include <string>

#include "sim/utf8.hpp"

namespace sim {
namespace {

std::string Sample() {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "Content-Length: 9\r\n\r\n{\"t\":\"你好😀\"}";
  return text;
}

TEST(ChunkerTest, CoversEverythingOnCharacterBoundaries) {
  const std::string bytes = Sample();
  MessageChunker chunker(1);
  std::vector<std::size_t> ends;
  chunker.Cut(bytes, ends);
  ASSERT_FALSE(ends.empty());
  EXPECT_EQ(ends.back(), bytes.size());
  std::size_t previous = 0;
  bool small = false, large = false;
  for (std::size_t end : ends) {
    EXPECT_GT(end, previous);
    EXPECT_TRUE(IsCodePointBoundary(bytes, end));
    small = small || end - previous < 30;   // splits frames
    large = large || end - previous > 100;  // coalesces frames
    previous = end;
  }
  EXPECT_TRUE(small);
  EXPECT_TRUE(large);
}

TEST(ChunkerTest, SameSeedSameCuts) {
  const std::string bytes = Sample();
  std::vector<std::size_t> a, b, c;
  MessageChunker(7).Cut(bytes, a);
  MessageChunker(7).Cut(bytes, b);
  MessageChunker(8).Cut(bytes, c);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(ChunkerTest, EmptyInputNoMessages) {
  std::vector<std::size_t> ends;
  MessageChunker(1).Cut("", ends);
  EXPECT_TRUE(ends.empty());
}

}  // namespace
}  // namespace sim
