// The gateway's Prometheus metrics: what is recorded per request and turn, and the gauges read
// from the instances and the session cache at scrape time. Labels stay low-cardinality.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/session_cache.hpp"
#include "lingma/instance_state.hpp"
#include "obs/metrics.hpp"
#include "relay/turn_report.hpp"

namespace app {

// The fixed set of route labels: every path maps to one of them.
std::string_view RouteLabel(std::string_view path);

class GatewayMetrics {
 public:
  struct Sources {
    std::function<std::vector<lingma::InstanceSnapshot>()> instances;
    std::function<chat::SessionCache::Stats()> cache;
    std::function<std::size_t()> waiting;           // requests waiting for a turn slot
    std::function<std::size_t()> open_connections;  // HTTP client connections
  };

  GatewayMetrics(obs::MetricsRegistry& registry, Sources sources);

  void RequestStarted() { in_flight_.Inc(); }
  void RequestFinished(std::string_view path, int status, std::chrono::microseconds duration);
  void TurnFinished(const relay::TurnReport& report);

 private:
  void Collect();

  obs::MetricsRegistry& registry_;
  Sources sources_;
  obs::Gauge& in_flight_;
  obs::Histogram& ttft_;
  obs::Histogram& prompt_bytes_;
  obs::Counter& prompt_bytes_total_;
  obs::Counter& prompt_tokens_;
  obs::Counter& completion_tokens_;
  // Counters mirrored from cumulative sources at scrape time.
  std::uint64_t seen_restarts_ = 0;
  chat::SessionCache::Stats seen_cache_{};
};

}  // namespace app
