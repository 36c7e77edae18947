// Reconnect/respawn delays: exponential backoff with a cap and proportional jitter.
#pragma once

#include <chrono>

namespace lingma {

struct BackoffPolicy {
  std::chrono::milliseconds initial{200};
  std::chrono::milliseconds max{10000};
  double factor = 2.0;
  double jitter = 0.2;  // ± fraction of the delay, 0..1
};

// Delay before retry number `attempt` (0-based): base = min(max, initial · factor^attempt),
// then spread uniformly over base · [1 − jitter, 1 + jitter) by `unit_random` ∈ [0, 1) (0.5 gives
// exactly base), and finally clamped to `max`, so no delay ever exceeds the cap. The jitter keeps
// a pool of instances that failed together from retrying in lockstep. The caller supplies the
// randomness, so tests are exact. Out-of-range inputs are clamped (negative attempt → 0,
// factor < 1 → 1, jitter to 0..1, unit_random to [0, 1]).
std::chrono::milliseconds BackoffDelay(const BackoffPolicy& policy, int attempt,
                                       double unit_random);

}  // namespace lingma
