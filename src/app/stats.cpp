// RenderStats; see stats.hpp.
#include "app/stats.hpp"

#include <boost/json.hpp>

namespace app {
namespace json = boost::json;

std::string RenderStats(const StatsInput& in) {
  json::array instances;
  for (std::size_t i = 0; i < in.instances.size(); ++i) {
    const auto& s = in.instances[i];
    instances.push_back(json::object{
        {"index", s.index},
        {"state", lingma::ToString(s.state)},
        {"pid", s.pid},
        {"port", s.port},
        {"in_flight", i < in.in_flight.size() ? in.in_flight[i] : 0},
        {"active_turns", s.active_turns},
        {"unread_bytes", i < in.unread_bytes.size() ? in.unread_bytes[i] : 0},
        {"restarts", s.restarts},
        {"logged_in", s.auth.logged_in},
        {"last_error", s.last_error.empty() ? json::value(nullptr) : json::value(s.last_error)},
    });
  }
  const auto& c = in.cache;
  json::object body{
      {"version", in.version},
      {"uptime_seconds", in.uptime.count()},
      {"simulator", in.simulator},
      {"instances", std::move(instances)},
      {"requests_waiting", in.waiting},
      {"open_connections", in.open_connections},
      {"session_cache",
       {{"enabled", in.session_reuse},
        {"entries", c.entries},
        {"in_flight", c.in_flight},
        {"hits", c.hits},
        {"misses", c.misses},
        {"forks", c.forks},
        {"evictions", c.evictions},
        {"expirations", c.expirations}}},
  };
  return json::serialize(body);
}

}  // namespace app
