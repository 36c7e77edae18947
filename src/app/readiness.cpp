// Rendering of /ready; see readiness.hpp.
#include "app/readiness.hpp"

#include <boost/json.hpp>

namespace app {
namespace json = boost::json;

namespace {

bool CanServe(const lingma::InstanceSnapshot& s) {
  return s.state == lingma::InstanceState::kReady && s.auth.logged_in;
}

std::string Advice(const std::vector<lingma::InstanceSnapshot>& instances) {
  bool any_ready = false, any_starting = false;
  std::string error;
  for (const auto& s : instances) {
    any_ready |= s.state == lingma::InstanceState::kReady;
    any_starting |= s.state == lingma::InstanceState::kStarting ||
                    s.state == lingma::InstanceState::kReconnecting;
    if (error.empty()) error = s.last_error;
  }
  if (any_ready) {
    return "Lingma is running but not logged in: open the Lingma IDE plugin (or run `Lingma` "
           "once) and sign in with your Alibaba Cloud account, then the gateway picks it up.";
  }
  if (any_starting) return "Lingma is starting; retry in a few seconds.";
  return "No Lingma instance is available" + (error.empty() ? std::string(".") : ": " + error);
}

}  // namespace

Readiness RenderReadiness(const std::vector<lingma::InstanceSnapshot>& instances,
                          bool using_simulator) {
  json::array list;
  bool ready = false;
  for (const auto& s : instances) {
    ready |= CanServe(s);
    json::object item{{"index", s.index},
                      {"state", lingma::ToString(s.state)},
                      {"pid", s.pid},
                      {"port", s.port},
                      {"logged_in", s.auth.logged_in},
                      {"auth_status", s.auth.status},
                      {"restarts", s.restarts},
                      {"active_turns", s.active_turns}};
    if (!s.last_error.empty()) item["last_error"] = s.last_error;
    list.push_back(std::move(item));
  }
  json::object body{{"status", ready ? "ready" : "unavailable"},
                    {"simulator", using_simulator},
                    {"instances", std::move(list)}};
  if (!ready) body["message"] = Advice(instances);
  return Readiness{ready ? 200 : 503, json::serialize(body)};
}

}  // namespace app
