// GatewayMetrics; see gateway_metrics.hpp.
#include "app/gateway_metrics.hpp"

#include <array>

namespace app {
namespace {

constexpr std::string_view kPrefix = "lingma_gateway_";

std::string Name(std::string_view suffix) { return std::string(kPrefix) + std::string(suffix); }

std::vector<double> PromptByteBuckets() {
  return {256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304};
}

}  // namespace

std::string_view RouteLabel(std::string_view path) {
  static constexpr std::array<std::string_view, 6> kExact = {
      "/v1/chat/completions", "/v1/models", "/health", "/ready", "/metrics", "/internal/stats"};
  for (auto route : kExact) {
    if (path == route) return route;
  }
  if (path.starts_with("/v1/models/")) return "/v1/models/{id}";
  if (path.starts_with("/internal/")) return "/internal/other";
  return "other";
}

GatewayMetrics::GatewayMetrics(obs::MetricsRegistry& registry, Sources sources)
    : registry_(registry),
      sources_(std::move(sources)),
      in_flight_(registry.GetGauge(Name("http_requests_in_flight"),
                                   "HTTP requests being served right now.")),
      ttft_(registry.GetHistogram(Name("time_to_first_token_seconds"),
                                  "Time from the request to the first answer token.",
                                  obs::LatencyBuckets())),
      prompt_bytes_(registry.GetHistogram(Name("upstream_prompt_bytes"),
                                          "Bytes of prompt sent to Lingma per turn.",
                                          PromptByteBuckets())),
      prompt_bytes_total_(registry.GetCounter(Name("upstream_prompt_bytes_total"),
                                              "Bytes of prompt sent to Lingma.")),
      prompt_tokens_(registry.GetCounter(Name("tokens_total"),
                                         "Estimated tokens (see README: usage estimate).",
                                         {{"kind", "prompt"}})),
      completion_tokens_(registry.GetCounter(Name("tokens_total"),
                                             "Estimated tokens (see README: usage estimate).",
                                             {{"kind", "completion"}})) {
  registry_.AddCollector([this](obs::MetricsRegistry&) { Collect(); });
}

void GatewayMetrics::RequestFinished(std::string_view path, int status,
                                     std::chrono::microseconds duration) {
  in_flight_.Dec();
  const std::string route(RouteLabel(path));
  registry_
      .GetCounter(Name("http_requests_total"), "HTTP requests by route and status.",
                  {{"route", route}, {"status", std::to_string(status)}})
      .Inc();
  registry_
      .GetHistogram(Name("http_request_duration_seconds"), "HTTP request duration by route.",
                    obs::LatencyBuckets(), {{"route", route}})
      .Observe(static_cast<double>(duration.count()) / 1e6);
}

void GatewayMetrics::TurnFinished(const relay::TurnReport& report) {
  registry_
      .GetCounter(Name("turns_total"), "Chat turns by outcome and session-reuse result.",
                  {{"outcome", report.outcome}, {"session", chat::ToString(report.session)}})
      .Inc();
  if (report.instance < 0) return;  // never reached Lingma
  prompt_bytes_.Observe(static_cast<double>(report.prompt_bytes));
  prompt_bytes_total_.Inc(static_cast<double>(report.prompt_bytes));
  if (report.time_to_first_token.count() > 0) {
    ttft_.Observe(static_cast<double>(report.time_to_first_token.count()) / 1e6);
  }
  prompt_tokens_.Inc(static_cast<double>(report.usage.prompt_tokens));
  completion_tokens_.Inc(static_cast<double>(report.usage.completion_tokens));
}

void GatewayMetrics::Collect() {
  if (sources_.instances) {
    static constexpr std::array<lingma::InstanceState, 6> kStates = {
        lingma::InstanceState::kStopped, lingma::InstanceState::kStarting,
        lingma::InstanceState::kReady,   lingma::InstanceState::kReconnecting,
        lingma::InstanceState::kFailed,  lingma::InstanceState::kClosed};
    std::array<int, 6> counts{};
    std::uint64_t restarts = 0;
    int logged_out = 0;
    for (const auto& snap : sources_.instances()) {
      ++counts[static_cast<std::size_t>(snap.state)];
      restarts += static_cast<std::uint64_t>(snap.restarts);
      logged_out += snap.state == lingma::InstanceState::kReady && !snap.auth.logged_in;
    }
    for (std::size_t i = 0; i < kStates.size(); ++i) {
      registry_
          .GetGauge(Name("instances"), "Lingma instances by state.",
                    {{"state", lingma::ToString(kStates[i])}})
          .Set(counts[i]);
    }
    registry_.GetGauge(Name("instances_logged_out"), "Ready Lingma instances not logged in.")
        .Set(logged_out);
    auto& restart_counter =
        registry_.GetCounter(Name("instance_restarts_total"), "Lingma instance re-establishments.");
    if (restarts > seen_restarts_)
      restart_counter.Inc(static_cast<double>(restarts - seen_restarts_));
    seen_restarts_ = std::max(seen_restarts_, restarts);
  }
  if (sources_.cache) {
    const auto stats = sources_.cache();
    auto mirror = [&](std::string_view name, std::string_view help, std::uint64_t now,
                      std::uint64_t& seen) {
      auto& counter = registry_.GetCounter(Name(name), help);
      if (now > seen) counter.Inc(static_cast<double>(now - seen));
      seen = std::max(seen, now);
    };
    mirror("session_cache_hits_total", "Turns that continued a cached Lingma session.", stats.hits,
           seen_cache_.hits);
    mirror("session_cache_misses_total", "Turns with no cached session to continue.", stats.misses,
           seen_cache_.misses);
    mirror("session_cache_forks_total",
           "Turns whose history diverged from the cached session (or raced another turn).",
           stats.forks, seen_cache_.forks);
    mirror("session_cache_evictions_total", "Cached sessions evicted over the size bound.",
           stats.evictions, seen_cache_.evictions);
    mirror("session_cache_expirations_total", "Cached sessions dropped after the TTL.",
           stats.expirations, seen_cache_.expirations);
    registry_.GetGauge(Name("session_cache_entries"), "Conversations in the session cache.")
        .Set(static_cast<double>(stats.entries));
  }
  if (sources_.waiting) {
    registry_.GetGauge(Name("requests_waiting"), "Requests waiting for a free Lingma turn slot.")
        .Set(static_cast<double>(sources_.waiting()));
  }
  if (sources_.open_connections) {
    registry_.GetGauge(Name("http_open_connections"), "Client connections open right now.")
        .Set(static_cast<double>(sources_.open_connections()));
  }
}

}  // namespace app
