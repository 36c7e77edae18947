// The observable state of one Lingma instance (plain data, for /ready, stats and metrics).
#pragma once

#include <cstddef>
#include <string>

#include "lingma/chat_shapes.hpp"

namespace lingma {

// stopped → starting → ready → reconnecting → (ready | failed) … → closed
enum class InstanceState { kStopped, kStarting, kReady, kReconnecting, kFailed, kClosed };
const char* ToString(InstanceState state);

struct InstanceSnapshot {
  int index = 0;
  InstanceState state = InstanceState::kStopped;
  int pid = 0;  // the Lingma process (from `.info`), 0 when unknown
  int port = 0;
  std::string last_error;
  AuthState auth;
  int restarts = 0;  // successful re-establishments after the first
  std::size_t active_turns = 0;
};

}  // namespace lingma
