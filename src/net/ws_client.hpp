// A WebSocket client connection to a local Lingma process: text messages in, a coalescing
// write queue out. Beast stays inside ws_client.cpp.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace net {

class WsConnection {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::chrono::milliseconds timeout{5000};  // TCP connect + WebSocket handshake
    std::size_t max_message_bytes = 64 * 1024 * 1024;
    std::size_t max_outbox_bytes = 64 * 1024 * 1024;
  };

  // Connects and completes the WebSocket handshake; on success a writer coroutine runs until
  // Close() or the connection fails.
  static boost::asio::awaitable<std::shared_ptr<WsConnection>> Connect(
      boost::asio::any_io_executor executor, Options options, boost::system::error_code& ec);

  virtual ~WsConnection() = default;

  // kNow: a request, someone waits for its answer; it leaves at once (with whatever was queued
  // before it) unless a write waits for the socket to take more, else with the writer's next one.
  // kBatch: a reply to a push; it may wait a little for more to leave with it (see WriteLoop).
  enum class Urgency { kNow, kBatch };

  // Queues bytes to be sent. Everything queued before they leave is sent as one WebSocket text
  // message (LSP frames may share a message). False if closed, if the outbox is over its limit
  // (the peer stopped reading) or if the send failed; the connection is then closed.
  virtual bool Send(std::string_view bytes, Urgency urgency = Urgency::kNow) = 0;
  // The same for bytes the caller gives up, from `from` on (what is before it is not sent):
  // taken without a copy when nothing else is queued.
  virtual bool SendOwned(std::string bytes, std::size_t from = 0,
                         Urgency urgency = Urgency::kNow) = 0;

  // Reads one WebSocket message. `message` views it inside the connection, valid until the next
  // Read.
  virtual boost::asio::awaitable<boost::system::error_code> Read(std::string_view& message) = 0;

  // Bytes the peer has sent that Read has not handed out yet: waiting in the socket or in the
  // connection's buffer. About zero while the reader keeps up; what a reader that falls behind
  // has yet to catch up on.
  virtual std::size_t unread_bytes() const = 0;

  // Closes the socket; pending reads and writes complete with an error.
  virtual void Close() = 0;
  virtual bool is_open() const = 0;
};

}  // namespace net
