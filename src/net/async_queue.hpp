// A bounded single-consumer queue for one io_context thread: producers push without blocking,
// the consumer awaits the next item with a deadline.
#pragma once

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace net {

template <class T>
class AsyncQueue {
 public:
  using Clock = std::chrono::steady_clock;

  AsyncQueue(boost::asio::any_io_executor executor, std::size_t capacity)
      : timers_(std::make_shared<Timers>(executor)), capacity_(capacity) {}

  AsyncQueue(const AsyncQueue&) = delete;
  AsyncQueue& operator=(const AsyncQueue&) = delete;

  // False when the queue is full or closed; the item is then dropped (the caller decides what a
  // full queue means: a slow consumer is cut off rather than buffered without bound).
  // `bounded` false takes the item whatever the queue holds, and it does not count against the
  // capacity while it waits: for items that arrive before the consumer could have taken any,
  // which say nothing about its speed (they must all come before the bounded ones).
  bool Push(T item, bool bounded = true) {
    if (closed_ || (bounded && size_ - unbounded_ >= capacity_)) return false;
    if (size_ == slots_.size()) Grow();
    slots_[(head_ + size_) % slots_.size()] = std::move(item);
    ++size_;
    if (!bounded) ++unbounded_;
    timers_->wake.cancel();
    return true;
  }

  // No more items will come; a waiting consumer wakes up and drains what is left.
  void Close() {
    closed_ = true;
    timers_->wake.cancel();
  }

  bool closed() const { return closed_; }
  std::size_t size() const { return size_; }
  // A consumer waits in Pop and nothing is queued: an item handed to it some other way now
  // cannot overtake a queued one.
  bool consumer_idle() const { return waiting_ && size_ == 0 && !closed_; }

  enum class PopStatus { kItem, kTimeout, kClosed };

  // Waits until an item is available, the queue is closed and empty, or `timeout` passes.
  //
  // Items usually come much faster than the timeout, so a wait must not cost a timer deadline
  // each: the consumer sleeps on a wake timer that never expires (Push cancels it), and one
  // deadline timer stays armed across waits. It is re-armed only for an earlier deadline, or
  // once it has fired (it then wakes the consumer, who checks its own deadline).
  boost::asio::awaitable<PopStatus> Pop(T& out, Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    while (size_ == 0) {
      if (closed_) co_return PopStatus::kClosed;
      if (Clock::now() >= deadline) co_return PopStatus::kTimeout;
      ArmDeadline(deadline);
      timers_->wake.expires_at(Clock::time_point::max());
      waiting_ = true;
      co_await timers_->wake.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      waiting_ = false;
    }
    out = std::move(slots_[head_]);
    head_ = (head_ + 1) % slots_.size();
    --size_;
    if (unbounded_ > 0) --unbounded_;  // they are the first ones
    // A backlog's ring is given back once drained: a turn that once buffered thousands of
    // pushes does not keep their slots for the rest of its answer.
    if (size_ == 0 && slots_.size() > kKeptSlots) {
      slots_ = std::vector<T>();
      head_ = 0;
    }
    co_return PopStatus::kItem;
  }

 private:
  // Shared with the deadline timer's handler, which may run after the queue is gone.
  struct Timers {
    explicit Timers(const boost::asio::any_io_executor& executor)
        : wake(executor), deadline(executor) {}
    boost::asio::steady_timer wake;      // the consumer waits on it; cancelled to wake it
    boost::asio::steady_timer deadline;  // wakes the consumer when its deadline may have passed
    std::optional<Clock::time_point> armed_for;  // the deadline timer's expiry while it waits
  };

  void ArmDeadline(Clock::time_point deadline) {
    Timers& t = *timers_;
    if (t.armed_for && *t.armed_for <= deadline) return;  // it fires early enough already
    t.armed_for = deadline;
    t.deadline.expires_at(deadline);  // cancels an earlier wait, whose handler then does nothing
    t.deadline.async_wait([weak = std::weak_ptr<Timers>(timers_)](boost::system::error_code ec) {
      if (ec == boost::asio::error::operation_aborted) return;
      const std::shared_ptr<Timers> timers = weak.lock();
      if (!timers) return;
      timers->armed_for.reset();
      timers->wake.cancel();
    });
  }

  static constexpr std::size_t kKeptSlots = 64;

  // A full ring doubles (up to the capacity) and keeps its size while it holds items (up to
  // kKeptSlots also when empty): a queue that carries a stream of items allocates while it
  // grows, not per item. It starts at two slots: a slow stream, which holds one push at a time,
  // costs two (10,000 of them wait at once in the benchmarks).
  void Grow() {
    const std::size_t limit = std::max(capacity_ + unbounded_, size_ + 1);
    const std::size_t slots = std::min(limit, std::max<std::size_t>(2, 2 * slots_.size()));
    std::vector<T> bigger;
    bigger.reserve(slots);
    for (std::size_t i = 0; i < size_; ++i) {
      bigger.push_back(std::move(slots_[(head_ + i) % slots_.size()]));
    }
    bigger.resize(slots);
    slots_ = std::move(bigger);
    head_ = 0;
  }

  std::shared_ptr<Timers> timers_;
  std::vector<T> slots_;  // a ring: size_ items from head_
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::size_t capacity_;
  std::size_t unbounded_ = 0;  // queued items that came by an unbounded push (at the front)
  bool closed_ = false;
  bool waiting_ = false;  // a Pop is suspended
};

}  // namespace net
