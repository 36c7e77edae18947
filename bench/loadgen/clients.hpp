// The two ways to run a chat turn: through the gateway over HTTP, or straight to lingma-sim over
// WebSocket (the baseline). The driver only sees these interfaces; Beast stays in http_client.cpp.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>

#include "bench/loadgen/options.hpp"
#include "bench/loadgen/recorder.hpp"

namespace loadgen {

// What one worker uses for its turns, one after the other (an HTTP keep-alive connection).
class TurnSession {
 public:
  virtual ~TurnSession() = default;
  // Runs one turn and ends `trace` (Finish or Fail) before returning.
  virtual boost::asio::awaitable<void> Run(TurnTrace& trace) = 0;
};

class TurnClient {
 public:
  virtual ~TurnClient() = default;
  // Connects what is shared (direct: the WebSocket connections, `initialize`); false + error.
  virtual boost::asio::awaitable<bool> Start(std::string& error) = 0;
  virtual std::unique_ptr<TurnSession> NewSession(int index) = 0;
  virtual void Stop() = 0;
  // Direct: bytes the simulator sent that this client has not read yet, over its connections
  // (how far behind it is). The gateway mode has no upstream of its own: nullopt.
  virtual std::optional<std::size_t> UnreadUpstreamBytes() const { return std::nullopt; }
};

std::unique_ptr<TurnClient> MakeHttpClient(boost::asio::any_io_executor executor,
                                           const Options& options);
std::unique_ptr<TurnClient> MakeDirectClient(boost::asio::any_io_executor executor,
                                             const Options& options);

}  // namespace loadgen
