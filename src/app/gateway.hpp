// The running gateway: its Lingma instances, the relay, the HTTP server and the router that
// applies authentication, CORS and request ids before dispatching to the API handlers.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "app/config.hpp"

namespace obs {
class Logger;
}

namespace app {

struct GatewayState;

class Gateway {
 public:
  // `binary`: the Lingma (or lingma-sim) executable; unused in attach mode.
  Gateway(boost::asio::any_io_executor executor, Config config, std::filesystem::path binary,
          const std::map<std::string, std::string>& env, obs::Logger& logger);
  ~Gateway();

  // Starts the instances and listens. Throws when the address cannot be bound.
  void Start();
  std::uint16_t port() const;
  // Stops accepting, stops every Lingma instance (children stopped and reaped).
  boost::asio::awaitable<void> Shutdown();

 private:
  std::unique_ptr<GatewayState> state_;
};

}  // namespace app
