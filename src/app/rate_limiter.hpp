// Per-API-key admission: a limit on concurrent requests and a token-bucket request rate.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace app {

struct RateLimits {
  int max_concurrent = 0;          // per key; 0 = unlimited
  double requests_per_second = 0;  // per key, sustained; 0 = unlimited
  double burst = 0;                // bucket size; 0 = max(1, requests_per_second)
};

class RateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  RateLimiter(RateLimits limits, Clock clock);

  struct Decision {
    bool admitted = true;
    std::string reason;                   // when refused: which limit, for the 429 message
    std::chrono::seconds retry_after{0};  // when refused: when trying again makes sense
  };

  // Admits one request of `key` (counts it as running until Release) or refuses it.
  Decision Admit(std::string_view key);
  void Release(std::string_view key);

  bool enabled() const { return limits_.max_concurrent > 0 || limits_.requests_per_second > 0; }

 private:
  struct KeyState {
    int running = 0;
    double tokens = 0;
    std::chrono::steady_clock::time_point refilled;
  };
  // Keys idle long enough to hold a full bucket and nothing running carry no information.
  void ForgetIdle(std::chrono::steady_clock::time_point now);

  RateLimits limits_;
  Clock clock_;
  std::unordered_map<std::string, KeyState> keys_;
  std::chrono::steady_clock::time_point last_sweep_{};
};

}  // namespace app
