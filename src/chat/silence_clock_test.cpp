// SilenceClock: keep-alives once per interval of silence, the idle timeout counted from the last
// push whatever keep-alives were sent, and waits that end when the next of them is due.
#include "chat/silence_clock.hpp"

#include <gtest/gtest.h>

namespace chat {
namespace {

using namespace std::chrono_literals;
using Action = SilenceClock::Action;
const SilenceClock::Clock::time_point t0{};  // the last push, in most cases

TEST(SilenceClock, OneKeepAlivePerIntervalOfSilence) {
  SilenceClock clock(15s, 120s);
  EXPECT_EQ(clock.WaitFrom(t0, t0), 15s);
  EXPECT_EQ(clock.OnTimeout(t0 + 15s, t0), Action::kKeepAlive);
  // The next is due an interval after that keep-alive, not at once.
  EXPECT_EQ(clock.WaitFrom(t0 + 15s, t0), 15s);
  EXPECT_EQ(clock.OnTimeout(t0 + 15s + 1ms, t0), Action::kWaitMore);
  EXPECT_EQ(clock.WaitFrom(t0 + 15s + 1ms, t0), 15s - 1ms);
  EXPECT_EQ(clock.OnTimeout(t0 + 30s, t0), Action::kKeepAlive);
}

TEST(SilenceClock, APushPostponesTheNextKeepAlive) {
  SilenceClock clock(15s, 120s);
  EXPECT_EQ(clock.OnTimeout(t0 + 15s, t0), Action::kKeepAlive);
  const auto push = t0 + 20s;  // went straight to the client while the wait went on
  EXPECT_EQ(clock.OnTimeout(t0 + 30s, push), Action::kWaitMore);
  EXPECT_EQ(clock.WaitFrom(t0 + 30s, push), 5s);
  EXPECT_EQ(clock.OnTimeout(t0 + 35s, push), Action::kKeepAlive);
}

TEST(SilenceClock, TheIdleTimeoutCountsFromTheLastPushDespiteKeepAlives) {
  SilenceClock clock(15s, 40s);
  EXPECT_EQ(clock.OnTimeout(t0 + 15s, t0), Action::kKeepAlive);
  EXPECT_EQ(clock.OnTimeout(t0 + 30s, t0), Action::kKeepAlive);
  EXPECT_EQ(clock.WaitFrom(t0 + 30s, t0), 10s);  // the timeout comes before the next keep-alive
  EXPECT_EQ(clock.OnTimeout(t0 + 40s, t0), Action::kGiveUp);
}

TEST(SilenceClock, NoKeepAlivesWhenOffOrNotShorterThanTheIdleTimeout) {
  for (const auto interval : {0ms, 60000ms, 90000ms}) {
    SilenceClock clock(interval, 60s);
    EXPECT_EQ(clock.WaitFrom(t0, t0), 60s) << interval.count();
    EXPECT_EQ(clock.OnTimeout(t0 + 30s, t0), Action::kWaitMore) << interval.count();
    EXPECT_EQ(clock.OnTimeout(t0 + 60s, t0), Action::kGiveUp) << interval.count();
  }
}

TEST(SilenceClock, AWaitLastsAtLeastAMillisecondAndRoundsUp) {
  SilenceClock clock(1s, 10s);
  EXPECT_EQ(clock.WaitFrom(t0 + 2s, t0), 1ms);  // overdue: a keep-alive is decided on timeout
  EXPECT_EQ(clock.WaitFrom(t0 + 500ms, t0), 500ms);
  EXPECT_EQ(clock.WaitFrom(t0 + 999999us, t0), 1ms);    // 1 µs rounds up
  EXPECT_EQ(clock.WaitFrom(t0 + 400100us, t0), 600ms);  // 599.9 ms rounds up
}

}  // namespace
}  // namespace chat
