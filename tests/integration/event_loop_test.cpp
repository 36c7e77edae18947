// Tests for net::RunEventLoop: with and without busy polling it runs every handler, I/O and timer,
// ends when stopped or out of work, polls only inside its window and sleeps after it.
#include "net/event_loop.hpp"

#include <gtest/gtest.h>
#include <time.h>

#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <optional>
#include <string>

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// CPU time of the calling thread: what polling burns and sleeping does not.
std::chrono::nanoseconds ThreadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

class EventLoop : public ::testing::TestWithParam<std::chrono::microseconds> {};

TEST_P(EventLoop, RunsHandlersTimersAndSocketIoThenReturnsWhenOutOfWork) {
  asio::io_context io;
  int posted = 0;
  asio::post(io, [&] { ++posted; });
  asio::post(io, [&] { asio::post(io, [&] { ++posted; }); });

  // A reply that comes in a little later, over a real socket: the loop must notice it whether it
  // polls or sleeps at that moment.
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  tcp::socket server(io), client(io);
  asio::steady_timer delay(io);
  std::array<char, 5> got{};
  std::optional<boost::system::error_code> read_result;
  std::string hello = "hello";
  acceptor.async_accept(server, [&](boost::system::error_code ec) {
    ASSERT_FALSE(ec) << ec.message();
    delay.expires_after(20ms);
    delay.async_wait([&](boost::system::error_code) {
      asio::async_write(server, asio::buffer(hello), [](boost::system::error_code, std::size_t) {});
    });
  });
  client.async_connect(acceptor.local_endpoint(), [&](boost::system::error_code ec) {
    ASSERT_FALSE(ec) << ec.message();
    asio::async_read(client, asio::buffer(got),
                     [&](boost::system::error_code e, std::size_t) { read_result = e; });
  });

  net::RunEventLoop(io, GetParam());

  EXPECT_EQ(posted, 2);
  ASSERT_TRUE(read_result.has_value());
  EXPECT_FALSE(*read_result) << read_result->message();
  EXPECT_EQ(std::string(got.data(), got.size()), "hello");
  EXPECT_TRUE(io.stopped());
}

TEST_P(EventLoop, ReturnsWhenStoppedEvenWithWorkLeft) {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);  // work that never ends by itself
  asio::steady_timer timer(io);
  timer.expires_after(10ms);
  bool fired = false;
  timer.async_wait([&](boost::system::error_code) {
    fired = true;
    io.stop();
  });
  net::RunEventLoop(io, GetParam());
  EXPECT_TRUE(fired);
  EXPECT_TRUE(io.stopped());
}

INSTANTIATE_TEST_SUITE_P(BusyPoll, EventLoop, ::testing::Values(0us, 500us, 50'000us),
                         [](const auto& info) {
                           return "busy_poll_" + std::to_string(info.param.count()) + "us";
                         });

// The CPU time the loop takes while it waits for a timer `wait` away.
std::chrono::nanoseconds CpuWhileWaiting(std::chrono::milliseconds wait,
                                         std::chrono::microseconds busy_poll) {
  asio::io_context io;
  asio::steady_timer timer(io);
  timer.expires_after(wait);
  timer.async_wait([](boost::system::error_code) {});
  const auto cpu_before = ThreadCpu();
  net::RunEventLoop(io, busy_poll);
  return ThreadCpu() - cpu_before;
}

// The window is spent polling: the thread is on the CPU while it waits for a timer inside it.
// (Without polling this wait costs next to no CPU; a fifth of the wait leaves room for a busy
// machine, other tests included, taking the CPU away most of the time.)
TEST(EventLoopBusyPoll, PollsThroughTheWindow) { EXPECT_GE(CpuWhileWaiting(300ms, 1s), 60ms); }

// After the window the loop sleeps: a long wait costs next to no CPU.
TEST(EventLoopBusyPoll, SleepsAfterTheWindow) { EXPECT_LT(CpuWhileWaiting(300ms, 1ms), 100ms); }

}  // namespace
