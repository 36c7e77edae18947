#include "net/event_loop.hpp"

namespace net {

void RunEventLoop(boost::asio::io_context& io, std::chrono::microseconds busy_poll) {
  if (busy_poll <= std::chrono::microseconds::zero()) {
    io.run();
    return;
  }
  using Clock = std::chrono::steady_clock;
  auto last_work = Clock::now();
  // io.poll() returns 0 both when nothing is ready and when no work is left; in the second case
  // the io_context has stopped itself, and so has run_one() below, which then returns 0.
  while (!io.stopped()) {
    if (io.poll() > 0) {
      last_work = Clock::now();
    } else if (Clock::now() - last_work >= busy_poll) {
      if (io.run_one() == 0) break;  // sleeps until something is ready
      last_work = Clock::now();
    }
  }
}

}  // namespace net
