#include "sim/pacing.hpp"

#include <gtest/gtest.h>

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::microseconds;
using std::chrono::nanoseconds;

Clock::time_point At(nanoseconds since_epoch) { return Clock::time_point(since_epoch); }

TEST(CeilToTick, NoTickKeepsTheDeadline) {
  const auto t = At(nanoseconds(123'456'789));
  EXPECT_EQ(sim::CeilToTick<Clock>(t, microseconds(0)), t);
  EXPECT_EQ(sim::CeilToTick<Clock>(t, microseconds(-5)), t);
}

TEST(CeilToTick, RoundsUpToTheNextMultiple) {
  EXPECT_EQ(sim::CeilToTick<Clock>(At(nanoseconds(1'000'001)), microseconds(1000)),
            At(nanoseconds(2'000'000)));
  EXPECT_EQ(sim::CeilToTick<Clock>(At(nanoseconds(1'999'999)), microseconds(1000)),
            At(nanoseconds(2'000'000)));
  EXPECT_EQ(sim::CeilToTick<Clock>(At(nanoseconds(7)), microseconds(250)),
            At(nanoseconds(250'000)));
}

TEST(CeilToTick, AMultipleStaysPut) {
  EXPECT_EQ(sim::CeilToTick<Clock>(At(nanoseconds(3'000'000)), microseconds(1000)),
            At(nanoseconds(3'000'000)));
}

TEST(CeilToTick, DeadlinesWithinOneTickMeet) {
  // Two turns whose waits end 300 µs apart within one tick send together.
  const auto a = sim::CeilToTick<Clock>(At(nanoseconds(5'100'000)), microseconds(1000));
  const auto b = sim::CeilToTick<Clock>(At(nanoseconds(5'400'000)), microseconds(1000));
  EXPECT_EQ(a, b);
}

}  // namespace
