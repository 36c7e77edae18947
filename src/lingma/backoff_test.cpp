// Tests for backoff growth, cap and jitter bounds.
#include "lingma/backoff.hpp"

#include <gtest/gtest.h>

#include <climits>

namespace lingma {
namespace {

using std::chrono::milliseconds;

TEST(BackoffDelay, GrowsExponentiallyWithoutJitterAtMidpoint) {
  const BackoffPolicy p;  // 200 ms, ×2, cap 10 s
  EXPECT_EQ(BackoffDelay(p, 0, 0.5), milliseconds(200));
  EXPECT_EQ(BackoffDelay(p, 1, 0.5), milliseconds(400));
  EXPECT_EQ(BackoffDelay(p, 2, 0.5), milliseconds(800));
  EXPECT_EQ(BackoffDelay(p, 5, 0.5), milliseconds(6400));
}

TEST(BackoffDelay, CapsAtMax) {
  const BackoffPolicy p;
  EXPECT_EQ(BackoffDelay(p, 6, 0.5), milliseconds(10000));  // 12.8 s capped
  EXPECT_EQ(BackoffDelay(p, 60, 0.5), milliseconds(10000));
  EXPECT_EQ(BackoffDelay(p, INT_MAX, 0.5), milliseconds(10000));
  for (double u : {0.0, 0.25, 0.999999}) {
    EXPECT_LE(BackoffDelay(p, 100, u), milliseconds(10000)) << u;
  }
}

TEST(BackoffDelay, JitterStaysWithinBounds) {
  const BackoffPolicy p;                                       // ±20 %
  EXPECT_EQ(BackoffDelay(p, 2, 0.0), milliseconds(640));       // 800 · 0.8
  EXPECT_EQ(BackoffDelay(p, 2, 0.999999), milliseconds(960));  // → 800 · 1.2
  for (int attempt = 0; attempt < 8; ++attempt) {
    const double base = std::min(200.0 * (1 << attempt), 10000.0);
    for (int i = 0; i < 100; ++i) {
      const double u = i / 100.0;
      const auto d = BackoffDelay(p, attempt, u).count();
      EXPECT_GE(d, static_cast<long long>(base * 0.8) - 1) << attempt << " " << u;
      EXPECT_LE(d, std::min(static_cast<long long>(base * 1.2) + 1, 10000LL))
          << attempt << " " << u;
    }
  }
  // At the cap the jitter can only shorten the delay.
  EXPECT_EQ(BackoffDelay(p, 20, 0.0), milliseconds(8000));
}

TEST(BackoffDelay, JitterActuallySpreads) {
  const BackoffPolicy p;
  EXPECT_LT(BackoffDelay(p, 3, 0.1), BackoffDelay(p, 3, 0.9));
}

TEST(BackoffDelay, ClampsOddInputs) {
  BackoffPolicy p;
  EXPECT_EQ(BackoffDelay(p, -5, 0.5), milliseconds(200));
  EXPECT_EQ(BackoffDelay(p, 0, -3.0), milliseconds(160));
  EXPECT_EQ(BackoffDelay(p, 0, 7.0), milliseconds(240));

  p.jitter = 0.0;
  EXPECT_EQ(BackoffDelay(p, 3, 0.0), milliseconds(1600));
  EXPECT_EQ(BackoffDelay(p, 3, 0.99), milliseconds(1600));

  p.factor = 0.5;  // never shrinks below initial
  EXPECT_EQ(BackoffDelay(p, 4, 0.5), milliseconds(200));

  p = BackoffPolicy{};
  p.initial = milliseconds(0);
  EXPECT_EQ(BackoffDelay(p, INT_MAX, 0.5), milliseconds(0));

  p = BackoffPolicy{};
  p.initial = milliseconds(50000);  // initial above the cap
  EXPECT_EQ(BackoffDelay(p, 0, 0.5), milliseconds(10000));

  p = BackoffPolicy{};
  p.jitter = 5.0;  // clamped to 1: never negative
  EXPECT_EQ(BackoffDelay(p, 0, 0.0), milliseconds(0));
}

}  // namespace
}  // namespace lingma
