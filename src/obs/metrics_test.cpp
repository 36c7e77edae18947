// Tests for the metrics registry and its Prometheus text exposition.
#include "obs/metrics.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace obs {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(MetricsFormatTest, Integers) {
  EXPECT_EQ(FormatSampleValue(0), "0");
  EXPECT_EQ(FormatSampleValue(-0.0), "0");
  EXPECT_EQ(FormatSampleValue(1), "1");
  EXPECT_EQ(FormatSampleValue(-42), "-42");
  EXPECT_EQ(FormatSampleValue(123456789012.0), "123456789012");
  EXPECT_EQ(FormatSampleValue(9007199254740992.0), "9007199254740992");  // 2^53
}

TEST(MetricsFormatTest, FractionsAndLargeValuesRoundTrip) {
  EXPECT_EQ(FormatSampleValue(0.5), "0.5");
  EXPECT_EQ(FormatSampleValue(1e-3), "0.001");
  EXPECT_EQ(FormatSampleValue(0.0025), "0.0025");
  EXPECT_EQ(FormatSampleValue(2.5), "2.5");
  EXPECT_EQ(FormatSampleValue(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatSampleValue(1e-7), "1e-07");
  EXPECT_EQ(FormatSampleValue(1e20), "1e+20");
}

TEST(MetricsFormatTest, SpecialValues) {
  EXPECT_EQ(FormatSampleValue(kInf), "+Inf");
  EXPECT_EQ(FormatSampleValue(-kInf), "-Inf");
  EXPECT_EQ(FormatSampleValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(MetricsRegistryTest, EmptyRegistryRendersNothing) {
  MetricsRegistry registry;
  EXPECT_EQ(registry.Render(), "");
}

TEST(MetricsRegistryTest, RendersCounter) {
  MetricsRegistry registry;
  Counter& counter = registry.GetCounter("lgw_requests_total", "HTTP requests received.");
  counter.Inc();
  counter.Inc(2);
  EXPECT_EQ(counter.value(), 3);
  EXPECT_EQ(registry.Render(),
            "# HELP lgw_requests_total HTTP requests received.\n"
            "# TYPE lgw_requests_total counter\n"
            "lgw_requests_total 3\n");
}

TEST(MetricsRegistryTest, RendersLabelledCounterWithEscaping) {
  MetricsRegistry registry;
  registry
      .GetCounter("lgw_http_responses_total", "Responses by route\nand \"status\" \\ code.",
                  {{"route", "/v1/chat"}, {"status", "200"}})
      .Inc(5);
  registry
      .GetCounter("lgw_http_responses_total", "Responses by route\nand \"status\" \\ code.",
                  {{"route", "a\"b\\c\nd"}, {"status", "500"}})
      .Inc();
  EXPECT_EQ(registry.Render(),
            "# HELP lgw_http_responses_total Responses by route\\nand \"status\" \\\\ code.\n"
            "# TYPE lgw_http_responses_total counter\n"
            "lgw_http_responses_total{route=\"/v1/chat\",status=\"200\"} 5\n"
            "lgw_http_responses_total{route=\"a\\\"b\\\\c\\nd\",status=\"500\"} 1\n");
}

TEST(MetricsRegistryTest, RendersGauge) {
  MetricsRegistry registry;
  Gauge& gauge = registry.GetGauge("lgw_in_flight_requests", "Requests being served.");
  gauge.Set(10);
  gauge.Inc();
  gauge.Dec(2.5);
  EXPECT_EQ(gauge.value(), 8.5);
  EXPECT_EQ(registry.Render(),
            "# HELP lgw_in_flight_requests Requests being served.\n"
            "# TYPE lgw_in_flight_requests gauge\n"
            "lgw_in_flight_requests 8.5\n");
}

TEST(MetricsRegistryTest, RendersHistogramCumulatively) {
  MetricsRegistry registry;
  Histogram& histogram =
      registry.GetHistogram("lgw_turn_seconds", "Turn latency.", {0.25, 1, 10}, {{"model", "q"}});
  // Binary-exact values, so the sum is exact too.
  histogram.Observe(0.125);
  histogram.Observe(0.25);  // upper bounds are inclusive
  histogram.Observe(0.5);
  histogram.Observe(20);
  EXPECT_EQ(histogram.count(), 4u);
  EXPECT_EQ(histogram.bucket_counts(), (std::vector<std::uint64_t>{2, 1, 0, 1}));
  EXPECT_EQ(registry.Render(),
            "# HELP lgw_turn_seconds Turn latency.\n"
            "# TYPE lgw_turn_seconds histogram\n"
            "lgw_turn_seconds_bucket{model=\"q\",le=\"0.25\"} 2\n"
            "lgw_turn_seconds_bucket{model=\"q\",le=\"1\"} 3\n"
            "lgw_turn_seconds_bucket{model=\"q\",le=\"10\"} 3\n"
            "lgw_turn_seconds_bucket{model=\"q\",le=\"+Inf\"} 4\n"
            "lgw_turn_seconds_sum{model=\"q\"} 20.875\n"
            "lgw_turn_seconds_count{model=\"q\"} 4\n");
}

TEST(MetricsRegistryTest, RendersUnlabelledHistogramAndDropsExplicitInf) {
  MetricsRegistry registry;
  Histogram& histogram = registry.GetHistogram("lgw_size_bytes", "Sizes.", {1, 2, kInf});
  EXPECT_EQ(histogram.upper_bounds(), (std::vector<double>{1, 2}));
  histogram.Observe(1.5);
  EXPECT_EQ(registry.Render(),
            "# HELP lgw_size_bytes Sizes.\n"
            "# TYPE lgw_size_bytes histogram\n"
            "lgw_size_bytes_bucket{le=\"1\"} 0\n"
            "lgw_size_bytes_bucket{le=\"2\"} 1\n"
            "lgw_size_bytes_bucket{le=\"+Inf\"} 1\n"
            "lgw_size_bytes_sum 1.5\n"
            "lgw_size_bytes_count 1\n");
}

TEST(MetricsRegistryTest, HistogramNanGoesToInfBucket) {
  Histogram histogram({1});
  histogram.Observe(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(histogram.bucket_counts(), (std::vector<std::uint64_t>{0, 1}));
  EXPECT_EQ(FormatSampleValue(histogram.sum()), "NaN");
}

TEST(MetricsRegistryTest, RejectsBadBuckets) {
  EXPECT_THROW(Histogram({1, 1}), std::logic_error);
  EXPECT_THROW(Histogram({2, 1}), std::logic_error);
  EXPECT_THROW(Histogram({std::numeric_limits<double>::quiet_NaN()}), std::logic_error);
  EXPECT_THROW(Histogram({-kInf, 1}), std::logic_error);
  EXPECT_NO_THROW(Histogram({}));
}

TEST(MetricsRegistryTest, RefetchReturnsSameChild) {
  MetricsRegistry registry;
  Counter& a = registry.GetCounter("x_total", "X.", {{"k", "1"}});
  Counter& b = registry.GetCounter("x_total", "X.", {{"k", "2"}});
  // Enough children to make a growing container reallocate, had it been a vector.
  for (int i = 3; i < 100; ++i) registry.GetCounter("x_total", "X.", {{"k", std::to_string(i)}});
  EXPECT_EQ(&registry.GetCounter("x_total", "X.", {{"k", "1"}}), &a);
  EXPECT_EQ(&registry.GetCounter("x_total", "X.", {{"k", "2"}}), &b);
  EXPECT_NE(&a, &b);
  Histogram& h = registry.GetHistogram("h_seconds", "H.", LatencyBuckets());
  EXPECT_EQ(&registry.GetHistogram("h_seconds", "H.", LatencyBuckets()), &h);
}

TEST(MetricsRegistryTest, ReferencesSurviveMove) {
  MetricsRegistry registry;
  Gauge& gauge = registry.GetGauge("g", "G.");
  MetricsRegistry moved = std::move(registry);
  EXPECT_EQ(&moved.GetGauge("g", "G."), &gauge);
}

TEST(MetricsRegistryTest, FamiliesInRegistrationOrderChildrenInCreationOrder) {
  MetricsRegistry registry;
  registry.GetGauge("b", "B.", {{"k", "z"}});
  registry.GetGauge("a", "A.");
  registry.GetGauge("b", "B.", {{"k", "y"}});
  EXPECT_EQ(registry.Render(),
            "# HELP b B.\n# TYPE b gauge\nb{k=\"z\"} 0\nb{k=\"y\"} 0\n"
            "# HELP a A.\n# TYPE a gauge\na 0\n");
}

TEST(MetricsRegistryTest, MismatchedRefetchThrows) {
  MetricsRegistry registry;
  registry.GetCounter("c_total", "C.", {{"a", "1"}, {"b", "2"}});
  registry.GetHistogram("h", "H.", {1, 2});
  EXPECT_THROW(registry.GetGauge("c_total", "C."), std::logic_error);
  EXPECT_THROW(registry.GetCounter("c_total", "Other help.", {{"a", "1"}, {"b", "2"}}),
               std::logic_error);
  EXPECT_THROW(registry.GetCounter("c_total", "C."), std::logic_error);
  EXPECT_THROW(registry.GetCounter("c_total", "C.", {{"a", "1"}}), std::logic_error);
  EXPECT_THROW(registry.GetCounter("c_total", "C.", {{"b", "2"}, {"a", "1"}}), std::logic_error);
  EXPECT_THROW(registry.GetCounter("c_total", "C.", {{"a", "1"}, {"c", "2"}}), std::logic_error);
  EXPECT_THROW(registry.GetHistogram("h", "H.", {1, 3}), std::logic_error);
  EXPECT_NO_THROW(registry.GetHistogram("h", "H.", {1, 2, kInf}));
}

TEST(MetricsRegistryTest, RejectsInvalidNames) {
  MetricsRegistry registry;
  EXPECT_THROW(registry.GetGauge("", "H."), std::logic_error);
  EXPECT_THROW(registry.GetGauge("1abc", "H."), std::logic_error);
  EXPECT_THROW(registry.GetGauge("a-b", "H."), std::logic_error);
  EXPECT_THROW(registry.GetGauge("g", ""), std::logic_error);
  EXPECT_THROW(registry.GetGauge("g", "H.", {{"a:b", "1"}}), std::logic_error);
  EXPECT_THROW(registry.GetGauge("g", "H.", {{"9a", "1"}}), std::logic_error);
  EXPECT_THROW(registry.GetGauge("g", "H.", {{"__name__", "1"}}), std::logic_error);
  EXPECT_THROW(registry.GetGauge("g", "H.", {{"a", "1"}, {"a", "2"}}), std::logic_error);
  EXPECT_THROW(registry.GetHistogram("h", "H.", {1}, {{"le", "1"}}), std::logic_error);
  EXPECT_NO_THROW(registry.GetGauge("_ns:sub_g", "H.", {{"_a9", "1"}}));
  EXPECT_EQ(registry.Render(),
            "# HELP _ns:sub_g H.\n# TYPE _ns:sub_g gauge\n_ns:sub_g{_a9=\"1\"} 0\n");
}

TEST(MetricsRegistryTest, EnforcesSuffixConventions) {
  MetricsRegistry registry;
  EXPECT_THROW(registry.GetCounter("requests", "H."), std::logic_error);
  EXPECT_THROW(registry.GetGauge("requests_total", "H."), std::logic_error);
  EXPECT_THROW(registry.GetHistogram("latency_total", "H.", {1}), std::logic_error);
  EXPECT_THROW(registry.GetGauge("x_count", "H."), std::logic_error);
  EXPECT_THROW(registry.GetGauge("x_sum", "H."), std::logic_error);
  EXPECT_THROW(registry.GetCounter("x_bucket", "H."), std::logic_error);
  // Nothing was registered by the failed calls.
  EXPECT_EQ(registry.Render(), "");
}

TEST(MetricsRegistryTest, CounterRejectsNegativeIncrement) {
  Counter counter;
  EXPECT_THROW(counter.Inc(-1), std::logic_error);
  EXPECT_THROW(counter.Inc(std::numeric_limits<double>::quiet_NaN()), std::logic_error);
  counter.Inc(0);
  EXPECT_EQ(counter.value(), 0);
}

TEST(MetricsRegistryTest, CollectorsRunAtEachRender) {
  MetricsRegistry registry;
  int renders = 0;
  registry.AddCollector([&renders](MetricsRegistry& r) {
    ++renders;
    r.GetGauge("lgw_instances", "Instances by state.", {{"state", "ready"}}).Set(renders);
  });
  EXPECT_EQ(renders, 0);
  EXPECT_EQ(registry.Render(),
            "# HELP lgw_instances Instances by state.\n"
            "# TYPE lgw_instances gauge\n"
            "lgw_instances{state=\"ready\"} 1\n");
  EXPECT_EQ(registry.Render(),
            "# HELP lgw_instances Instances by state.\n"
            "# TYPE lgw_instances gauge\n"
            "lgw_instances{state=\"ready\"} 2\n");
}

TEST(MetricsRegistryTest, RendersSpecialValuesAndLargeCounters) {
  MetricsRegistry registry;
  registry.GetGauge("g", "G.", {{"k", "inf"}}).Set(kInf);
  registry.GetGauge("g", "G.", {{"k", "ninf"}}).Set(-kInf);
  registry.GetGauge("g", "G.", {{"k", "nan"}}).Set(std::numeric_limits<double>::quiet_NaN());
  registry.GetCounter("bytes_total", "B.").Inc(10'000'000'000.0);
  EXPECT_EQ(registry.Render(),
            "# HELP g G.\n# TYPE g gauge\n"
            "g{k=\"inf\"} +Inf\ng{k=\"ninf\"} -Inf\ng{k=\"nan\"} NaN\n"
            "# HELP bytes_total B.\n# TYPE bytes_total counter\nbytes_total 10000000000\n");
}

TEST(MetricsRegistryTest, LatencyBucketsAreUsable) {
  const std::vector<double> buckets = LatencyBuckets();
  ASSERT_FALSE(buckets.empty());
  EXPECT_EQ(buckets.front(), 0.001);
  EXPECT_EQ(buckets.back(), 120);
  EXPECT_NO_THROW(Histogram{buckets});
}

}  // namespace
}  // namespace obs
