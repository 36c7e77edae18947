// SilenceClock: keep-alive and idle-timeout arithmetic; see silence_clock.hpp.
#include "chat/silence_clock.hpp"

#include <algorithm>

namespace chat {

SilenceClock::SilenceClock(milliseconds keep_alive_interval, milliseconds idle_timeout)
    : keep_alive_interval_(keep_alive_interval), idle_timeout_(idle_timeout) {}

bool SilenceClock::keep_alives() const {
  return keep_alive_interval_.count() > 0 && keep_alive_interval_ < idle_timeout_;
}

SilenceClock::milliseconds SilenceClock::WaitFrom(Clock::time_point now,
                                                  Clock::time_point last_push) const {
  Clock::time_point until = last_push + idle_timeout_;
  if (keep_alives()) {
    until = std::min(until, std::max(last_push, last_keep_alive_) + keep_alive_interval_);
  }
  return std::max(milliseconds(1), std::chrono::ceil<milliseconds>(until - now));
}

SilenceClock::Action SilenceClock::OnTimeout(Clock::time_point now, Clock::time_point last_push) {
  if (now - last_push >= idle_timeout_) return Action::kGiveUp;
  if (keep_alives() && now - std::max(last_push, last_keep_alive_) >= keep_alive_interval_) {
    last_keep_alive_ = now;
    return Action::kKeepAlive;
  }
  return Action::kWaitMore;
}

}  // namespace chat
