// Exponential backoff; see backoff.hpp.
#include "lingma/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace lingma {

std::chrono::milliseconds BackoffDelay(const BackoffPolicy& policy, int attempt,
                                       double unit_random) {
  const double cap = std::max(0.0, static_cast<double>(policy.max.count()));
  const double initial = std::clamp(static_cast<double>(policy.initial.count()), 0.0, cap);
  const double factor = std::isfinite(policy.factor) ? std::max(1.0, policy.factor) : 1.0;
  const double jitter = std::isfinite(policy.jitter) ? std::clamp(policy.jitter, 0.0, 1.0) : 0.0;
  const double unit = std::isfinite(unit_random) ? std::clamp(unit_random, 0.0, 1.0) : 0.5;

  // Multiply step by step and stop at the cap: factor^attempt overflows long before attempt does,
  // and a zero base or a factor of 1 never grows, so the loop ends after a few dozen steps.
  double base = initial;
  if (base > 0.0 && factor > 1.0) {
    for (int i = 0; i < attempt && base < cap; ++i) base *= factor;
  }
  base = std::min(base, cap);

  const double spread = base * (1.0 + jitter * (2.0 * unit - 1.0));
  const double delay = std::clamp(spread, 0.0, cap);
  return std::chrono::milliseconds(static_cast<long long>(std::llround(delay)));
}

}  // namespace lingma
