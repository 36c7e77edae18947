// Tests for HTTP/1.1 response heads.
#include "text/http_head.hpp"

#include <gtest/gtest.h>

namespace http_text {
namespace {

std::string Head(ResponseHead head) {
  std::string out;
  AppendResponseHead(out, head);
  return out;
}

TEST(HttpHead, WholeResponseWithLengthAndKeepAlive) {
  const Headers headers = {{"X-Request-Id", "req_1"}};
  EXPECT_EQ(Head({.status = 200,
                  .server = "lingma-gateway/1",
                  .content_type = "application/json",
                  .headers = &headers,
                  .keep_alive = true,
                  .content_length = 17}),
            "HTTP/1.1 200 OK\r\nServer: lingma-gateway/1\r\nContent-Type: application/json\r\n"
            "X-Request-Id: req_1\r\nContent-Length: 17\r\n\r\n");
}

TEST(HttpHead, ChunkedStreamThatClosesAfterwards) {
  EXPECT_EQ(Head({.status = 503, .content_type = "text/event-stream", .keep_alive = false}),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/event-stream\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
}

TEST(HttpHead, NoBodyStatusesHaveNoFraming) {
  for (const int status : {101, 204, 304}) {
    const std::string head = Head({.status = status, .content_length = 0});
    EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
    EXPECT_EQ(head.find("Transfer-Encoding"), std::string::npos) << head;
  }
  EXPECT_EQ(Head({.status = 204, .content_length = 0}), "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_TRUE(StatusHasNoBody(204));
  EXPECT_FALSE(StatusHasNoBody(200));
  EXPECT_FALSE(StatusHasNoBody(404));
}

TEST(HttpHead, UnknownStatusHasAnEmptyReason) {
  EXPECT_EQ(Head({.status = 299, .content_length = 0}),
            "HTTP/1.1 299 \r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(ReasonPhrase(429), "Too Many Requests");
  EXPECT_EQ(ReasonPhrase(600), "");
}

TEST(HttpHead, LaterHeadersReplaceEarlierOnesAndTheGatewaysOwn) {
  const Headers headers = {
      {"X-A", "1"}, {"content-type", "text/plain"}, {"x-a", "2"}, {"SERVER", "custom"}};
  EXPECT_EQ(Head({.status = 200,
                  .server = "lingma-gateway/1",
                  .content_type = "application/json",
                  .headers = &headers,
                  .content_length = 0}),
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nx-a: 2\r\nSERVER: custom\r\n"
            "Content-Length: 0\r\n\r\n");
}

TEST(HttpHead, FramingFieldsBelongToTheServer) {
  const Headers headers = {{"Content-Length", "999"},
                           {"Transfer-Encoding", "gzip"},
                           {"connection", "upgrade"},
                           {"X-Kept", "yes"}};
  EXPECT_EQ(Head({.status = 200, .headers = &headers, .keep_alive = true, .content_length = 3}),
            "HTTP/1.1 200 OK\r\nX-Kept: yes\r\nContent-Length: 3\r\n\r\n");
}

TEST(HttpHead, NoValueOrNameCanSplitTheResponse) {
  const Headers headers = {{"X-Id", "a\r\nSet-Cookie: x=1"},
                           {"Bad Name", "v"},
                           {"X-Evil\r\nInjected", "v"},
                           {"", "v"},
                           {"X-Nul", std::string("a\0b", 3)}};
  const std::string head = Head({.status = 200, .headers = &headers, .content_length = 0});
  EXPECT_EQ(
      head,
      "HTTP/1.1 200 OK\r\nX-Id: a  Set-Cookie: x=1\r\nX-Nul: a b\r\nContent-Length: 0\r\n\r\n");
}

TEST(HttpHead, AppendsWithoutClearing) {
  std::string out = "before|";
  AppendResponseHead(out, {.status = 200, .content_length = 0});
  EXPECT_EQ(out, "before|HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
}

}  // namespace
}  // namespace http_text
