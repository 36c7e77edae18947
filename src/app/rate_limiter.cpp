// RateLimiter; see rate_limiter.hpp.
#include "app/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace app {

RateLimiter::RateLimiter(RateLimits limits, Clock clock)
    : limits_(limits), clock_(std::move(clock)) {
  if (limits_.requests_per_second > 0 && limits_.burst <= 0) {
    limits_.burst = std::max(1.0, limits_.requests_per_second);
  }
}

RateLimiter::Decision RateLimiter::Admit(std::string_view key) {
  if (!enabled()) return {};
  const auto now = clock_();
  ForgetIdle(now);
  auto [it, inserted] = keys_.try_emplace(std::string(key));
  KeyState& state = it->second;
  if (inserted) {
    state.tokens = limits_.burst;
    state.refilled = now;
  }
  if (limits_.max_concurrent > 0 && state.running >= limits_.max_concurrent) {
    return {false,
            "too many concurrent requests for this API key (limit " +
                std::to_string(limits_.max_concurrent) + ")",
            std::chrono::seconds(1)};
  }
  if (limits_.requests_per_second > 0) {
    const double elapsed = std::chrono::duration<double>(now - state.refilled).count();
    state.tokens = std::min(limits_.burst, state.tokens + elapsed * limits_.requests_per_second);
    state.refilled = now;
    if (state.tokens < 1.0) {
      const double wait = (1.0 - state.tokens) / limits_.requests_per_second;
      return {false,
              "request rate limit exceeded for this API key (" +
                  std::to_string(limits_.requests_per_second) + " requests/s)",
              std::chrono::seconds(static_cast<long>(std::ceil(wait)))};
    }
    state.tokens -= 1.0;
  }
  ++state.running;
  return {};
}

void RateLimiter::Release(std::string_view key) {
  if (!enabled()) return;
  auto it = keys_.find(std::string(key));
  if (it != keys_.end() && it->second.running > 0) --it->second.running;
}

void RateLimiter::ForgetIdle(std::chrono::steady_clock::time_point now) {
  if (now - last_sweep_ < std::chrono::seconds(60)) return;
  last_sweep_ = now;
  const double refill_seconds =
      limits_.requests_per_second > 0 ? limits_.burst / limits_.requests_per_second : 0;
  for (auto it = keys_.begin(); it != keys_.end();) {
    const double idle = std::chrono::duration<double>(now - it->second.refilled).count();
    if (it->second.running == 0 && idle >= refill_seconds) {
      it = keys_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace app
