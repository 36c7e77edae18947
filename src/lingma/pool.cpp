// Pool; see pool.hpp.
#include "lingma/pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace lingma {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      instance_(std::exchange(other.instance_, nullptr)),
      index_(std::exchange(other.index_, -1)) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = std::exchange(other.pool_, nullptr);
    instance_ = std::exchange(other.instance_, nullptr);
    index_ = std::exchange(other.index_, -1);
  }
  return *this;
}

Lease::~Lease() { Release(); }

void Lease::Release() {
  if (pool_ && instance_) pool_->Release(index_);
  pool_ = nullptr;
  instance_ = nullptr;
}

Pool::Pool(asio::any_io_executor executor, std::vector<Instance*> instances, PoolOptions options)
    : executor_(executor),
      instances_(std::move(instances)),
      options_(options),
      busy_(instances_.size(), 0) {}

bool Pool::Usable(int index) const {
  const auto snap = instances_[static_cast<std::size_t>(index)]->Snapshot();
  return snap.state == InstanceState::kReady && snap.auth.logged_in;
}

std::optional<std::uint64_t> Pool::Generation(int index) const {
  if (index < 0 || static_cast<std::size_t>(index) >= instances_.size() || !Usable(index)) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(
      instances_[static_cast<std::size_t>(index)]->Snapshot().restarts);
}

std::optional<int> Pool::Choose(std::optional<int> preferred, bool& preferred_full) const {
  preferred_full = false;
  if (preferred && *preferred >= 0 && static_cast<std::size_t>(*preferred) < instances_.size() &&
      Usable(*preferred)) {
    if (busy_[static_cast<std::size_t>(*preferred)] < options_.max_turns_per_instance) {
      return preferred;
    }
    preferred_full = true;  // the session lives there: wait for its slot
    return std::nullopt;
  }
  std::optional<int> best;
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    if (!Usable(static_cast<int>(i)) || busy_[i] >= options_.max_turns_per_instance) continue;
    if (!best || busy_[i] < busy_[static_cast<std::size_t>(*best)]) best = static_cast<int>(i);
  }
  return best;
}

asio::awaitable<Result<Lease>> Pool::Acquire(std::optional<int> preferred) {
  const auto deadline = Clock::now() + options_.acquire_timeout;
  bool counted = false;
  while (true) {
    bool preferred_full = false;
    if (auto index = Choose(preferred, preferred_full)) {
      if (counted) --waiting_;
      ++busy_[static_cast<std::size_t>(*index)];
      co_return Lease(this, instances_[static_cast<std::size_t>(*index)], *index);
    }
    // Waiting makes sense while some instance can serve or is on its way back (a restart takes
    // tens of milliseconds); with every instance failed, closed or logged out, answer now.
    bool worth_waiting = preferred_full;
    for (std::size_t i = 0; i < instances_.size(); ++i) {
      const auto state = instances_[i]->state();
      worth_waiting |= Usable(static_cast<int>(i)) || state == InstanceState::kStarting ||
                       state == InstanceState::kReconnecting;
    }
    if (!worth_waiting) {
      if (counted) --waiting_;
      co_return Error{ErrorKind::kNotReady, "no Lingma instance is ready"};
    }
    if (Clock::now() >= deadline) {
      if (counted) --waiting_;
      co_return Error{ErrorKind::kOverloaded, "every Lingma instance is busy (" +
                                                  std::to_string(options_.max_turns_per_instance) +
                                                  " turns each); retry shortly"};
    }
    if (!counted) {
      if (waiting_ >= options_.max_waiters) {
        co_return Error{ErrorKind::kOverloaded, "too many requests are waiting for Lingma"};
      }
      ++waiting_;
      counted = true;
    }
    asio::steady_timer timer(executor_, deadline);
    auto it = sleepers_.insert(sleepers_.end(), &timer);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    sleepers_.erase(it);
  }
}

void Pool::Notify() {
  // Waking everyone is cheap at these sizes and avoids lost wake-ups; each re-checks.
  for (auto* timer : sleepers_) timer->cancel();
}

void Pool::Release(int index) {
  --busy_[static_cast<std::size_t>(index)];
  Notify();
}

}  // namespace lingma
