// The pool of Lingma instances: which instance takes a turn (sticky for a continued session,
// otherwise the least busy ready one), a per-instance limit of concurrent turns, and a bounded
// wait for a free slot under load.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <vector>

#include "lingma/error.hpp"
#include "lingma/instance.hpp"

namespace lingma {

struct PoolOptions {
  std::size_t max_turns_per_instance = 16;
  std::chrono::milliseconds acquire_timeout{10000};  // wait for a free slot, then give up (503)
  std::size_t max_waiters = 1024;                    // requests queued for a slot, beyond: 503 now
};

class Pool;

// A reserved turn slot on one instance; released when destroyed.
class Lease {
 public:
  Lease() = default;
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  ~Lease();
  Instance* instance() const { return instance_; }
  int index() const { return index_; }
  explicit operator bool() const { return instance_ != nullptr; }

 private:
  friend class Pool;
  Lease(Pool* pool, Instance* instance, int index)
      : pool_(pool), instance_(instance), index_(index) {}
  void Release();
  Pool* pool_ = nullptr;
  Instance* instance_ = nullptr;
  int index_ = -1;
};

class Pool {
 public:
  Pool(boost::asio::any_io_executor executor, std::vector<Instance*> instances,
       PoolOptions options);

  // A slot on `preferred` when that instance is ready (waiting for its slot if it is full), else
  // on the least busy ready, logged-in instance. Errors: kNotReady (nothing can serve),
  // kOverloaded (no slot within the timeout, or too many waiting).
  boost::asio::awaitable<Result<Lease>> Acquire(std::optional<int> preferred);

  // Wakes waiters; call when an instance changed state.
  void Notify();

  const std::vector<Instance*>& instances() const { return instances_; }
  std::size_t busy(int index) const { return busy_.at(static_cast<std::size_t>(index)); }
  std::size_t waiting() const { return waiting_; }
  // The restart counter of a ready instance (pins cached sessions), nullopt if not usable.
  std::optional<std::uint64_t> Generation(int index) const;

 private:
  friend class Lease;
  bool Usable(int index) const;
  std::optional<int> Choose(std::optional<int> preferred, bool& preferred_full) const;
  void Release(int index);

  boost::asio::any_io_executor executor_;
  std::vector<Instance*> instances_;
  PoolOptions options_;
  std::vector<std::size_t> busy_;
  std::size_t waiting_ = 0;
  // Each waiter sleeps on its own timer; a released slot or a state change cancels them all.
  std::list<boost::asio::steady_timer*> sleepers_;
};

}  // namespace lingma
