// How long a turn waits for Lingma's next push, and what a wait that ends without one means: a
// keep-alive for the client every `keep_alive_interval` of silence, and the end of the turn
// after `idle_timeout` without a push. Plain time arithmetic, so the relay's loop stays thin.
#pragma once

#include <chrono>

namespace chat {

class SilenceClock {
 public:
  using Clock = std::chrono::steady_clock;
  using milliseconds = std::chrono::milliseconds;

  // `keep_alive_interval` 0 (or not below `idle_timeout`): no keep-alives.
  SilenceClock(milliseconds keep_alive_interval, milliseconds idle_timeout);

  // The wait that starts at `now`: until the next keep-alive is due or the turn times out,
  // whichever comes first; at least 1 ms. A keep-alive is due `keep_alive_interval` after the
  // later of the last push and the last keep-alive.
  milliseconds WaitFrom(Clock::time_point now, Clock::time_point last_push) const;

  enum class Action { kWaitMore, kKeepAlive, kGiveUp };
  // A wait ended at `now` without a push (pushes may have gone to the client another way, which
  // `last_push` shows). kKeepAlive counts as sent.
  Action OnTimeout(Clock::time_point now, Clock::time_point last_push);

 private:
  bool keep_alives() const;

  milliseconds keep_alive_interval_;
  milliseconds idle_timeout_;
  Clock::time_point last_keep_alive_ = Clock::time_point::min();
};

}  // namespace chat
