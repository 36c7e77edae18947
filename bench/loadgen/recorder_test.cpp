#include "bench/loadgen/recorder.hpp"

#include <gtest/gtest.h>

namespace loadgen {
namespace {

using std::chrono::microseconds;

TEST(RecorderTest, NearestRankPercentiles) {
  std::vector<float> v;
  for (int i = 100; i >= 1; --i) v.push_back(static_cast<float>(i));
  const Distribution d = Summarize(v);
  EXPECT_EQ(d.count, 100u);
  EXPECT_DOUBLE_EQ(d.p50, 50);
  EXPECT_DOUBLE_EQ(d.p90, 90);
  EXPECT_DOUBLE_EQ(d.p99, 99);
  EXPECT_DOUBLE_EQ(d.max, 100);
  EXPECT_DOUBLE_EQ(d.mean, 50.5);
  std::vector<float> empty;
  EXPECT_EQ(Summarize(empty).count, 0u);
}

TEST(RecorderTest, TraceRecordsTtftGapsAndLatency) {
  const auto t0 = Clock::now();
  Recorder recorder(t0);
  {
    TurnTrace trace(recorder, t0, 3);
    trace.OnDelta(t0 + microseconds(100));
    EXPECT_EQ(recorder.open, 1u);
    trace.OnDelta(t0 + microseconds(150));
    trace.OnDelta(t0 + microseconds(170));
    trace.Finish(t0 + microseconds(200));
  }
  EXPECT_EQ(recorder.ok, 1u);
  EXPECT_EQ(recorder.open, 0u);
  EXPECT_EQ(recorder.peak_open, 1u);
  ASSERT_EQ(recorder.ttft_us.size(), 1u);
  EXPECT_NEAR(recorder.ttft_us[0], 100, 0.01);
  ASSERT_EQ(recorder.gap_us.size(), 2u);
  EXPECT_NEAR(recorder.gap_us[0], 50, 0.01);
  EXPECT_NEAR(recorder.gap_us[1], 20, 0.01);
  ASSERT_EQ(recorder.latency_us.size(), 1u);
  EXPECT_NEAR(recorder.latency_us[0], 200, 0.01);
}

TEST(RecorderTest, WarmUpTurnsCountButAddNoSamples) {
  const auto t0 = Clock::now();
  Recorder recorder(t0 + std::chrono::seconds(1));
  TurnTrace trace(recorder, t0, 0);
  trace.OnDelta(t0 + microseconds(10));
  trace.Finish(t0 + microseconds(20));
  EXPECT_EQ(recorder.ok, 1u);
  EXPECT_EQ(recorder.ok_measured, 0u);
  EXPECT_EQ(recorder.deltas, 1u);
  EXPECT_TRUE(recorder.latency_us.empty());
  EXPECT_TRUE(recorder.ttft_us.empty());
}

TEST(RecorderTest, ShortStreamsAndAbandonedTurnsAreErrors) {
  const auto t0 = Clock::now();
  Recorder recorder(t0);
  {
    TurnTrace trace(recorder, t0, 2);
    trace.OnDelta(t0);
    trace.Finish(t0);
  }
  { TurnTrace trace(recorder, t0, 0); }
  EXPECT_EQ(recorder.ok, 0u);
  EXPECT_EQ(recorder.errors, 2u);
  EXPECT_EQ(recorder.error_kinds["wrong_delta_count"], 1u);
  EXPECT_EQ(recorder.error_kinds["abandoned"], 1u);
  EXPECT_EQ(recorder.open, 0u);
}

}  // namespace
}  // namespace loadgen
