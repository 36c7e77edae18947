// GET /internal/stats: a JSON snapshot of the gateway for operators.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "chat/session_cache.hpp"
#include "lingma/instance_state.hpp"

namespace app {

struct StatsInput {
  std::vector<lingma::InstanceSnapshot> instances;
  std::vector<std::size_t> in_flight;     // turn slots taken, per instance
  std::vector<std::size_t> unread_bytes;  // per instance: Lingma's bytes not read yet
  std::size_t waiting = 0;
  std::size_t open_connections = 0;  // HTTP client connections
  chat::SessionCache::Stats cache;
  bool session_reuse = true;
  std::chrono::seconds uptime{0};
  std::string version;
  bool simulator = false;
};

// Instances with state, pid, port, in-flight turns, restarts, login state and last error; cache
// counters; uptime; version. No account names or tokens.
std::string RenderStats(const StatsInput& input);

}  // namespace app
