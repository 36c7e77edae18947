// A bounded single-consumer queue for one io_context thread: producers push without blocking,
// the consumer awaits the next item with a deadline.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <deque>
#include <optional>

namespace net {

template <class T>
class AsyncQueue {
 public:
  AsyncQueue(boost::asio::any_io_executor executor, std::size_t capacity)
      : timer_(executor), capacity_(capacity) {}

  // False when the queue is full or closed; the item is then dropped (the caller decides what a
  // full queue means: a slow consumer is cut off rather than buffered without bound).
  bool Push(T item) {
    if (closed_ || items_.size() >= capacity_) return false;
    items_.push_back(std::move(item));
    timer_.cancel();
    return true;
  }

  // No more items will come; a waiting consumer wakes up and drains what is left.
  void Close() {
    closed_ = true;
    timer_.cancel();
  }

  bool closed() const { return closed_; }
  std::size_t size() const { return items_.size(); }

  enum class PopStatus { kItem, kTimeout, kClosed };

  // Waits until an item is available, the queue is closed and empty, or `timeout` passes.
  boost::asio::awaitable<PopStatus> Pop(T& out, std::chrono::steady_clock::duration timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (items_.empty()) {
      if (closed_) co_return PopStatus::kClosed;
      if (std::chrono::steady_clock::now() >= deadline) co_return PopStatus::kTimeout;
      timer_.expires_at(deadline);
      co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    out = std::move(items_.front());
    items_.pop_front();
    co_return PopStatus::kItem;
  }

 private:
  boost::asio::steady_timer timer_;
  std::deque<T> items_;
  std::size_t capacity_;
  bool closed_ = false;
};

}  // namespace net
