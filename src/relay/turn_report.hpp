// What one chat turn did: the relay's report for logs and metrics (plain data).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "chat/model.hpp"
#include "chat/session_cache.hpp"

namespace relay {

// What happened, for logs and metrics.
struct TurnReport {
  int instance = -1;
  chat::SessionOutcome session = chat::SessionOutcome::kOff;
  std::string session_reason;
  std::string outcome;  // "ok", "content_filter", "client_gone", or the failure code
  int http_status = 200;
  std::size_t prompt_bytes = 0;  // bytes of questionText sent upstream
  std::chrono::microseconds time_to_first_token{0};
  chat::Usage usage;
};

}  // namespace relay
