// GET /health and GET /ready: what the gateway tells load balancers and operators about itself.
#pragma once

#include <string>
#include <vector>

#include "lingma/instance_state.hpp"

namespace app {

struct Readiness {
  int http_status = 503;  // 200 when at least one instance can take a chat turn
  std::string body;       // JSON
};

// An instance can serve when it is connected and its Lingma is logged in. The body lists every
// instance's state (never account names or tokens: /ready is open without an API key) and, when
// nothing can serve, one sentence telling the operator what to do.
Readiness RenderReadiness(const std::vector<lingma::InstanceSnapshot>& instances,
                          bool using_simulator);

}  // namespace app
