#include "app/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace app {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  RateLimiter::Clock fn() {
    return [this] { return now; };
  }
};

TEST(RateLimiter, DisabledAdmitsEverything) {
  FakeClock clock;
  RateLimiter limiter({}, clock.fn());
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.Admit("k").admitted);
}

TEST(RateLimiter, ConcurrencyLimitPerKey) {
  FakeClock clock;
  RateLimiter limiter({.max_concurrent = 2}, clock.fn());
  EXPECT_TRUE(limiter.Admit("a").admitted);
  EXPECT_TRUE(limiter.Admit("a").admitted);
  auto refused = limiter.Admit("a");
  EXPECT_FALSE(refused.admitted);
  EXPECT_NE(refused.reason.find("concurrent"), std::string::npos);
  EXPECT_GE(refused.retry_after.count(), 1);
  EXPECT_TRUE(limiter.Admit("b").admitted);  // other keys are not affected
  limiter.Release("a");
  EXPECT_TRUE(limiter.Admit("a").admitted);
}

TEST(RateLimiter, TokenBucketRefillsAtTheConfiguredRate) {
  FakeClock clock;
  RateLimiter limiter({.requests_per_second = 2, .burst = 3}, clock.fn());
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.Admit("a").admitted) << i;
    limiter.Release("a");
  }
  auto refused = limiter.Admit("a");
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.retry_after, 1s);  // half a second to the next token, rounded up
  clock.now += 500ms;
  EXPECT_TRUE(limiter.Admit("a").admitted);
  limiter.Release("a");
  EXPECT_FALSE(limiter.Admit("a").admitted);
  clock.now += 10s;  // the bucket never holds more than the burst
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.Admit("a").admitted) << i;
    limiter.Release("a");
  }
  EXPECT_FALSE(limiter.Admit("a").admitted);
}

TEST(RateLimiter, IdleKeysAreForgotten) {
  FakeClock clock;
  RateLimiter limiter({.requests_per_second = 1, .burst = 1}, clock.fn());
  EXPECT_TRUE(limiter.Admit("a").admitted);
  limiter.Release("a");
  EXPECT_FALSE(limiter.Admit("a").admitted);
  clock.now += 120s;
  EXPECT_TRUE(limiter.Admit("a").admitted);  // a fresh, full bucket
}

}  // namespace
}  // namespace app
