// Tests for net::AsyncQueue on a real io_context: items, close, timeouts, and that a deadline
// armed by an earlier wait never makes a later wait time out early or late.
#include "net/async_queue.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "harness.hpp"
#include "net/child_process.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Queue = net::AsyncQueue<int>;
using Clock = std::chrono::steady_clock;

asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
  co_await net::SleepFor(co_await asio::this_coro::executor, d);
}

TEST(AsyncQueue, ItemsArriveInOrderAndCloseDrainsFirst) {
  asio::io_context io;
  Queue queue(io.get_executor(), 10);
  std::vector<int> got;
  Queue::PopStatus last = Queue::PopStatus::kItem;
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        while (true) {
          int item = 0;
          const auto status = co_await queue.Pop(item, 5s);
          if (status != Queue::PopStatus::kItem) {
            last = status;
            done = true;
            co_return;
          }
          got.push_back(item);
        }
      },
      asio::detached);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        EXPECT_TRUE(queue.Push(1));
        co_await Sleep(5ms);
        EXPECT_TRUE(queue.Push(2));
        EXPECT_TRUE(queue.Push(3));
        queue.Close();
        EXPECT_FALSE(queue.Push(4));  // closed
      },
      asio::detached);
  ASSERT_TRUE(itest::RunUntil(
      io, [&] { return done; }, 5s));
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(last, Queue::PopStatus::kClosed);
}

TEST(AsyncQueue, ItsConsumerIsIdleOnlyWhileAPopWaitsWithNothingQueued) {
  // consumer_idle() lets a producer hand an item over some other way; it must never be true
  // while an item is queued (it would overtake it) or while no Pop waits.
  asio::io_context io;
  Queue queue(io.get_executor(), 10);
  EXPECT_FALSE(queue.consumer_idle());  // nobody waits yet
  std::vector<int> got;
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        int item = 0;
        while (co_await queue.Pop(item, 5s) == Queue::PopStatus::kItem) got.push_back(item);
        done = true;
      },
      asio::detached);
  std::vector<bool> idle;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await Sleep(5ms);
        idle.push_back(queue.consumer_idle());  // waits on an empty queue
        queue.Push(1);
        idle.push_back(queue.consumer_idle());  // still suspended, but 1 is queued
        co_await Sleep(5ms);
        idle.push_back(queue.consumer_idle());  // took 1 and waits again
        queue.Close();
        idle.push_back(queue.consumer_idle());  // closed: nothing more may come
      },
      asio::detached);
  ASSERT_TRUE(itest::RunUntil(
      io, [&] { return done; }, 5s));
  EXPECT_EQ(idle, (std::vector<bool>{true, false, true, false}));
  EXPECT_EQ(got, (std::vector<int>{1}));
}

TEST(AsyncQueue, AFullQueueRefuses) {
  asio::io_context io;
  Queue queue(io.get_executor(), 2);
  EXPECT_TRUE(queue.Push(1));
  EXPECT_TRUE(queue.Push(2));
  EXPECT_FALSE(queue.Push(3));
  EXPECT_EQ(queue.size(), 2u);
}

TEST(AsyncQueue, AnUnboundedPushGoesPastTheCapacityAndKeepsOrder) {
  asio::io_context io;
  Queue queue(io.get_executor(), 2);
  for (int i = 1; i <= 5; ++i) EXPECT_TRUE(queue.Push(i, /*bounded=*/false));
  EXPECT_EQ(queue.size(), 5u);
  // They do not count: the capacity is still there for what comes after them.
  EXPECT_TRUE(queue.Push(6));
  EXPECT_TRUE(queue.Push(7));
  EXPECT_FALSE(queue.Push(8)) << "a bounded push sees its own capacity";
  std::vector<int> got;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 7; ++i) {
          int item = 0;
          const auto status = co_await queue.Pop(item, 5s);
          if (status == Queue::PopStatus::kItem) got.push_back(item);
        }
      },
      asio::detached);
  io.run();
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_TRUE(queue.Push(9));
  EXPECT_TRUE(queue.Push(10));
  EXPECT_FALSE(queue.Push(11)) << "drained: the plain capacity again";
}

TEST(AsyncQueue, KeepsOrderWhileItsRingWrapsAndGrows) {
  // Pushes and pops interleaved so that the ring wraps around before it grows, grows while
  // wrapped, reaches its capacity, drains (and is given back) and fills again: every item comes
  // out once, in order, and the queue keeps no copy of a popped item.
  asio::io_context io;
  net::AsyncQueue<std::shared_ptr<int>> queue(io.get_executor(), 100);
  std::vector<int> got;
  std::vector<long> owners_after_pop;
  int next = 0;
  bool done = false;
  bool refused_at_capacity = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        const auto pop = [&]() -> asio::awaitable<void> {
          std::shared_ptr<int> item;
          const auto status = co_await queue.Pop(item, 5s);
          EXPECT_EQ(status, net::AsyncQueue<std::shared_ptr<int>>::PopStatus::kItem);
          if (!item) co_return;
          got.push_back(*item);
          owners_after_pop.push_back(item.use_count());  // 1: the queue kept no copy
        };
        for (int round = 0; round < 6; ++round) {
          for (int i = 0; i < 5 + 3 * round; ++i) {
            EXPECT_TRUE(queue.Push(std::make_shared<int>(next++)));
          }
          for (int i = 0; i < 3 + 2 * round; ++i) co_await pop();
        }
        while (queue.size() < 100) EXPECT_TRUE(queue.Push(std::make_shared<int>(next++)));
        refused_at_capacity = !queue.Push(std::make_shared<int>(-1));
        while (queue.size() > 0) co_await pop();
        for (int i = 0; i < 12; ++i) EXPECT_TRUE(queue.Push(std::make_shared<int>(next++)));
        while (queue.size() > 0) co_await pop();
        done = true;
      },
      asio::detached);
  ASSERT_TRUE(itest::RunUntil(
      io, [&] { return done; }, 5s));
  EXPECT_TRUE(refused_at_capacity);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(next));
  for (int i = 0; i < next; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], i);
  for (const long owners : owners_after_pop) EXPECT_EQ(owners, 1);
}

TEST(AsyncQueue, TimesOutAfterItsOwnTimeoutEvenWithAnEarlierLongerWait) {
  asio::io_context io;
  Queue queue(io.get_executor(), 10);
  Queue::PopStatus first = Queue::PopStatus::kTimeout;
  Queue::PopStatus second = Queue::PopStatus::kItem;
  Clock::duration waited{};
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        int item = 0;
        first = co_await queue.Pop(item, 10s);  // arms a deadline 10 s away; an item ends it
        const auto start = Clock::now();
        second = co_await queue.Pop(item, 100ms);  // must not wait for the 10 s deadline
        waited = Clock::now() - start;
        done = true;
      },
      asio::detached);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await Sleep(10ms);
        queue.Push(7);
      },
      asio::detached);
  ASSERT_TRUE(itest::RunUntil(
      io, [&] { return done; }, 5s));
  EXPECT_EQ(first, Queue::PopStatus::kItem);
  EXPECT_EQ(second, Queue::PopStatus::kTimeout);
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, 3s);
}

TEST(AsyncQueue, ALaterDeadlineIsHonouredAfterAnEarlierOneFires) {
  // The first wait arms a short deadline that is still pending when the second wait, with a
  // longer timeout, begins: the early firing must not end the second wait.
  asio::io_context io;
  Queue queue(io.get_executor(), 10);
  Queue::PopStatus second = Queue::PopStatus::kTimeout;
  int item = 0;
  Clock::duration waited{};
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await queue.Pop(item, 50ms);  // an item comes at 10 ms; the 50 ms deadline stays armed
        const auto start = Clock::now();
        second = co_await queue.Pop(item, 300ms);  // the item comes at 200 ms
        waited = Clock::now() - start;
        done = true;
      },
      asio::detached);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await Sleep(10ms);
        queue.Push(1);
        co_await Sleep(190ms);
        queue.Push(2);
      },
      asio::detached);
  ASSERT_TRUE(itest::RunUntil(
      io, [&] { return done; }, 5s));
  EXPECT_EQ(second, Queue::PopStatus::kItem);
  EXPECT_EQ(item, 2);
  EXPECT_GE(waited, 150ms);
}

TEST(AsyncQueue, DestroyedWithItsDeadlineArmed) {
  // The deadline timer's handler may run after the queue is gone; it must do nothing.
  asio::io_context io;
  auto queue = std::make_unique<Queue>(io.get_executor(), 10);
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        queue->Push(1);
        int item = 0;
        co_await queue->Pop(item, 20ms);
        queue->Push(2);
        co_await queue->Pop(item, 20ms);  // returns at once; the deadline stays armed
        queue.reset();
        co_await Sleep(50ms);  // the deadline would have fired by now
        done = true;
      },
      asio::detached);
  ASSERT_TRUE(itest::RunUntil(
      io, [&] { return done; }, 5s));
  io.run_for(50ms);  // whatever the gone queue left behind runs now
  EXPECT_EQ(queue, nullptr);
}

}  // namespace
