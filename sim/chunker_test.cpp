// Tests for the split-frames message cutter and the coalesce-frames merger.
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

TEST(CoalesceTest, MergesWholeFramesUpToTheLimit) {
  // Frames of 10, 20, 30, 40 and 5 bytes.
  std::vector<std::size_t> ends = {10, 30, 60, 100, 105};
  CoalesceMessages(ends, 60);
  EXPECT_EQ(ends, (std::vector<std::size_t>{60, 105}));
}

TEST(CoalesceTest, AFrameLongerThanTheLimitStaysAlone) {
  std::vector<std::size_t> ends = {5, 200, 210, 220};
  CoalesceMessages(ends, 50);
  EXPECT_EQ(ends, (std::vector<std::size_t>{5, 200, 220}));
}

TEST(CoalesceTest, EverythingFitsInOneMessage) {
  std::vector<std::size_t> ends = {3, 6, 9};
  CoalesceMessages(ends, 1 << 16);
  EXPECT_EQ(ends, (std::vector<std::size_t>{9}));
}

TEST(CoalesceTest, LimitOfOneFramePerMessageChangesNothing) {
  std::vector<std::size_t> ends = {4, 8, 12};
  CoalesceMessages(ends, 4);
  EXPECT_EQ(ends, (std::vector<std::size_t>{4, 8, 12}));
  std::vector<std::size_t> none;
  CoalesceMessages(none, 100);
  EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace sim
