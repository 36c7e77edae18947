// Running the one event loop (DESIGN.md §3), optionally polling before it sleeps.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>

namespace net {

// Runs `io` until it is stopped or has no work left, like io_context::run().
//
// With busy_poll > 0 the loop does not go to sleep the moment it runs out of ready handlers: it
// keeps checking for I/O without blocking (epoll with a zero timeout) until busy_poll has passed
// since the last handler ran, and only then blocks. A thread woken from a blocking epoll_wait
// starts tens of microseconds late on a virtual machine, and a request behind the gateway waits
// for two such wakeups (the client's request, Lingma's answer); a reply that lands inside the
// window is handled without one. The price is CPU burnt while a window lasts: an idle gateway
// sleeps as before, a busy one polls through its gaps.
void RunEventLoop(boost::asio::io_context& io, std::chrono::microseconds busy_poll);

}  // namespace net
