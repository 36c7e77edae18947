// When a simulated wait ends. With a tick, every wait ends on the next multiple of the tick on
// the steady clock, the way a model server decodes one token for every running sequence in the
// same step: concurrent turns then send their deltas together instead of each at its own instant.
#pragma once

#include <chrono>

namespace sim {

// `deadline` itself when `tick` is zero (or less), else the first multiple of `tick` (counted
// from the clock's epoch) at or after it.
template <class Clock>
typename Clock::time_point CeilToTick(typename Clock::time_point deadline,
                                      std::chrono::microseconds tick) {
  if (tick.count() <= 0) return deadline;
  const auto since_epoch = deadline.time_since_epoch();
  const auto step = std::chrono::duration_cast<typename Clock::duration>(tick);
  const auto remainder = since_epoch % step;
  if (remainder.count() == 0) return deadline;
  return deadline + (step - remainder);
}

}  // namespace sim
