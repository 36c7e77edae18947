#include "lingma/frame_codec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lingma {
namespace {

std::vector<std::string> DrainAll(FrameDecoder& d) {
  std::vector<std::string> out;
  std::string body;
  while (d.Next(body) == FrameDecoder::Status::kFrame) out.push_back(body);
  return out;
}

TEST(FrameCodec, EncodesByteLength) {
  EXPECT_EQ(EncodeFrame("{}"), "Content-Length: 2\r\n\r\n{}");
  // "你好" is 6 UTF-8 bytes; the emoji 4.
  EXPECT_EQ(EncodeFrame("\"你好\""), "Content-Length: 8\r\n\r\n\"你好\"");
  EXPECT_EQ(EncodeFrame("😀"), "Content-Length: 4\r\n\r\n😀");
}

TEST(FrameCodec, AHeaderAloneCountsTheBodyToCome) {
  std::string out = "kept|";
  AppendFrameHeader(out, 0);
  EXPECT_EQ(out, "kept|Content-Length: 0\r\n\r\n");
  out.clear();
  AppendFrameHeader(out, 18446744073709551615u);  // the longest: 20 digits
  EXPECT_EQ(out, "Content-Length: 18446744073709551615\r\n\r\n");
  EXPECT_EQ(out.size(), kMaxFrameHeaderBytes);
}

TEST(FrameCodec, DecodesCoalescedFrames) {
  FrameDecoder d;
  d.Feed(EncodeFrame("{\"a\":1}") + EncodeFrame("{\"b\":2}") + EncodeFrame(""));
  EXPECT_EQ(DrainAll(d), (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", ""}));
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(FrameCodec, ViewsStayValidUntilTheNextFeed) {
  FrameDecoder d;
  d.Feed(EncodeFrame("{\"a\":1}") + EncodeFrame("second") + "Content-Length: 4\r\n\r\nth");
  std::string_view first, second, third;
  ASSERT_EQ(d.Next(first), FrameDecoder::Status::kFrame);
  ASSERT_EQ(d.Next(second), FrameDecoder::Status::kFrame);
  EXPECT_EQ(d.Next(third), FrameDecoder::Status::kNeedMore);
  // Later Next calls leave earlier bodies alone.
  EXPECT_EQ(first, "{\"a\":1}");
  EXPECT_EQ(second, "second");
  EXPECT_EQ(d.buffered(), 2u);  // the third frame's header is read; "th" waits for the rest
  // The next Feed drops what was consumed; the split frame completes.
  d.Feed("ir" + EncodeFrame("x"));
  ASSERT_EQ(d.Next(third), FrameDecoder::Status::kFrame);
  EXPECT_EQ(third, "thir");
  std::string copied;
  ASSERT_EQ(d.Next(copied), FrameDecoder::Status::kFrame);
  EXPECT_EQ(copied, "x");
  EXPECT_EQ(d.buffered(), 0u);
  EXPECT_EQ(d.Next(copied), FrameDecoder::Status::kNeedMore);
}

TEST(FrameCodec, DecodesFramesSplitAtEveryByte) {
  const std::string stream = EncodeFrame("{\"text\":\"你好😀\"}") + EncodeFrame("[1,2,3]");
  FrameDecoder d;
  std::vector<std::string> got;
  std::string body;
  for (char c : stream) {
    d.Feed(std::string_view(&c, 1));
    while (d.Next(body) == FrameDecoder::Status::kFrame) got.push_back(body);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"{\"text\":\"你好😀\"}", "[1,2,3]"}));
}

TEST(FrameCodec, AcceptsExtraHeadersAndCaseAndSpaces) {
  FrameDecoder d;
  d.Feed(
      "content-length:  3 \r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\nabc");
  EXPECT_EQ(DrainAll(d), (std::vector<std::string>{"abc"}));
}

TEST(FrameCodec, NeedsMoreUntilBodyComplete) {
  FrameDecoder d;
  std::string body;
  d.Feed("Content-Length: 5\r\n\r\nab");
  EXPECT_EQ(d.Next(body), FrameDecoder::Status::kNeedMore);
  d.Feed("cde");
  EXPECT_EQ(d.Next(body), FrameDecoder::Status::kFrame);
  EXPECT_EQ(body, "abcde");
}

TEST(FrameCodec, RejectsBareJson) {
  FrameDecoder d;
  std::string body;
  d.Feed("{\"jsonrpc\":\"2.0\"}\r\n\r\n");
  EXPECT_EQ(d.Next(body), FrameDecoder::Status::kError);
  EXPECT_FALSE(d.error().empty());
  // Failed stays failed.
  d.Feed(EncodeFrame("{}"));
  EXPECT_EQ(d.Next(body), FrameDecoder::Status::kError);
}

TEST(FrameCodec, RejectsMissingOrBadLength) {
  for (std::string bad :
       {"X-Foo: 1\r\n\r\n", "Content-Length: -1\r\n\r\n", "Content-Length: 12x\r\n\r\n",
        "Content-Length: \r\n\r\n", "Content-Length: 2\r\nContent-Length: 3\r\n\r\n"}) {
    FrameDecoder d;
    std::string body;
    d.Feed(bad);
    EXPECT_EQ(d.Next(body), FrameDecoder::Status::kError) << bad;
  }
}

TEST(FrameCodec, EnforcesHeaderLimitWithoutTerminator) {
  FrameDecoder d(FrameLimits{.max_header_bytes = 64, .max_body_bytes = 1024});
  std::string body;
  d.Feed(std::string(68, 'x'));  // 64 + up to 3 bytes of a split "\r\n\r\n"
  EXPECT_EQ(d.Next(body), FrameDecoder::Status::kError);
  EXPECT_NE(d.error().find("header"), std::string::npos);
}

TEST(FrameCodec, HeaderAtTheLimitMayArriveWithItsTerminatorSplit) {
  FrameDecoder d(FrameLimits{.max_header_bytes = 64, .max_body_bytes = 1024});
  const std::string header = "X: " + std::string(39, 'a') + "\r\nContent-Length: 2";  // 62 bytes
  const std::string frame = header + "\r\n\r\n{}";
  std::string body;
  d.Feed(frame.substr(0, header.size() + 3));  // the terminator's last byte comes later
  EXPECT_EQ(d.Next(body), FrameDecoder::Status::kNeedMore) << d.error();
  d.Feed(frame.substr(header.size() + 3));
  EXPECT_EQ(d.Next(body), FrameDecoder::Status::kFrame) << d.error();
  EXPECT_EQ(body, "{}");
}

TEST(FrameCodec, EnforcesBodyLimitBeforeBuffering) {
  FrameDecoder d(FrameLimits{.max_header_bytes = 64, .max_body_bytes = 10});
  std::string body;
  d.Feed("Content-Length: 11\r\n\r\n");
  EXPECT_EQ(d.Next(body), FrameDecoder::Status::kError);
  EXPECT_NE(d.error().find("limit"), std::string::npos);
}

TEST(FrameCodec, LongStreamKeepsBufferSmall) {
  FrameDecoder d;
  std::string body;
  const std::string frame = EncodeFrame(std::string(100, 'a'));
  for (int i = 0; i < 10000; ++i) {
    d.Feed(frame.substr(0, 50));
    EXPECT_EQ(d.Next(body), FrameDecoder::Status::kNeedMore);
    d.Feed(frame.substr(50));
    ASSERT_EQ(d.Next(body), FrameDecoder::Status::kFrame);
  }
  EXPECT_EQ(d.buffered(), 0u);
}

}  // namespace
}  // namespace lingma
