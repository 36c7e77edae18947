#include "bench/loadgen/chunked_decoder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace loadgen {
namespace {

using Status = ChunkedDecoder::Status;

struct Result {
  Status status = Status::kNeedMore;
  std::string data;
  std::string left;  // bytes not consumed
  std::string error;
};

Result FeedPieces(const std::vector<std::string>& pieces) {
  ChunkedDecoder decoder;
  Result r;
  for (const std::string& piece : pieces) {
    std::string_view in = piece;
    r.status = decoder.Feed(in, [&](std::string_view d) { r.data.append(d); });
    r.left.append(in);
    if (r.status != Status::kNeedMore) break;
  }
  r.error = decoder.error();
  return r;
}

Result FeedBytewise(const std::string& body) {
  std::vector<std::string> pieces;
  for (char c : body) pieces.emplace_back(1, c);
  return FeedPieces(pieces);
}

constexpr const char* kBody =
    "5\r\nhello\r\n"
    "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n"
    "3;name=value\r\n, !\r\n"
    "0\r\n\r\n";

TEST(ChunkedDecoderTest, DecodesAWholeBody) {
  const Result r = FeedPieces({kBody});
  EXPECT_EQ(r.status, Status::kDone);
  EXPECT_EQ(r.data, "helloabcdefghijklmnopqrstuvwxyz, !");
  EXPECT_EQ(r.left, "");
}

TEST(ChunkedDecoderTest, AnySplitGivesTheSameData) {
  const std::string body = kBody;
  const Result bytewise = FeedBytewise(body);
  EXPECT_EQ(bytewise.status, Status::kDone);
  EXPECT_EQ(bytewise.data, "helloabcdefghijklmnopqrstuvwxyz, !");
  for (std::size_t cut = 1; cut < body.size(); ++cut) {
    const Result r = FeedPieces({body.substr(0, cut), body.substr(cut)});
    EXPECT_EQ(r.status, Status::kDone) << "cut at " << cut;
    EXPECT_EQ(r.data, bytewise.data) << "cut at " << cut;
  }
}

TEST(ChunkedDecoderTest, StopsAfterTheTrailerSection) {
  const Result r = FeedPieces({"2\r\nok\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT"});
  EXPECT_EQ(r.status, Status::kDone);
  EXPECT_EQ(r.data, "ok");
  EXPECT_EQ(r.left, "NEXT");  // what follows the body is not the body's
}

TEST(ChunkedDecoderTest, WaitsForTheRestOfAnUnfinishedBody) {
  const Result r = FeedPieces({"4\r\nab"});
  EXPECT_EQ(r.status, Status::kNeedMore);
  EXPECT_EQ(r.data, "ab");
}

TEST(ChunkedDecoderTest, RejectsWhatIsNotAChunkedBody) {
  EXPECT_EQ(FeedPieces({"zz\r\n"}).status, Status::kError);                 // not hex
  EXPECT_EQ(FeedPieces({"\r\n"}).status, Status::kError);                   // no size
  EXPECT_EQ(FeedPieces({"5\nhello\r\n"}).status, Status::kError);           // LF alone
  EXPECT_EQ(FeedPieces({"2\r\nhello\r\n"}).status, Status::kError);         // data longer than size
  EXPECT_EQ(FeedPieces({"10000000000000000\r\n"}).status, Status::kError);  // 17 hex digits
  const Result long_line = FeedPieces({std::string(5000, '1')});
  EXPECT_EQ(long_line.status, Status::kError);
  EXPECT_EQ(long_line.error, "line too long");
}

}  // namespace
}  // namespace loadgen
