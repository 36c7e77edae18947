#include "bench/loadgen/sse_scanner.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace loadgen {
namespace {

using Event = SseScanner::Event;

std::vector<std::pair<Event, std::string>> FeedAll(const std::vector<std::string>& pieces) {
  SseScanner scanner;
  std::vector<std::pair<Event, std::string>> out;
  for (const auto& piece : pieces) {
    scanner.Feed(piece, [&](Event e, std::string_view data) { out.emplace_back(e, data); });
  }
  return out;
}

constexpr const char* kRole =
    "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
    "\"content\":\"\"},\"finish_reason\":null}]}\n\n";
constexpr const char* kContent =
    "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
    "\"finish_reason\":null}]}\n\n";
constexpr const char* kFinish =
    "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";

TEST(SseScannerTest, ClassifiesAStream) {
  auto events =
      FeedAll({std::string(kRole) + kContent, kFinish, ": keep-alive\n\n", "data: [DONE]\n\n"});
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].first, Event::kOther);
  EXPECT_EQ(events[1].first, Event::kContent);
  EXPECT_EQ(events[2].first, Event::kOther);
  EXPECT_EQ(events[3].first, Event::kDone);
}

TEST(SseScannerTest, JoinsLinesSplitAcrossPieces) {
  const std::string all = std::string(kContent) + kContent + "data: [DONE]\n\n";
  std::vector<std::string> bytes;
  for (char c : all) bytes.emplace_back(1, c);
  auto events = FeedAll(bytes);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].first, Event::kContent);
  EXPECT_EQ(events[1].first, Event::kContent);
  EXPECT_EQ(events[2].first, Event::kDone);
  EXPECT_EQ(events[2].second, "[DONE]");
}

TEST(SseScannerTest, ReasoningCountsAsContentAndErrorsAreSeen) {
  EXPECT_EQ(SseScanner::Classify("{\"choices\":[{\"delta\":{\"reasoning_content\":\"x\"}}]}"),
            Event::kContent);
  EXPECT_EQ(SseScanner::Classify("{\"error\":{\"message\":\"boom\"}}"), Event::kError);
  EXPECT_EQ(SseScanner::Classify("{\"choices\":[],\"usage\":{}}"), Event::kOther);
  // Content that merely mentions the field name inside a string is still non-empty content.
  EXPECT_EQ(SseScanner::Classify("{\"choices\":[{\"delta\":{\"content\":\"\\\"content\\\"\"}}]}"),
            Event::kContent);
}

}  // namespace
}  // namespace loadgen
