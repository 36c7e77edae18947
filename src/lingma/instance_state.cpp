// Names of instance states; see instance_state.hpp.
#include "lingma/instance_state.hpp"

namespace lingma {

const char* ToString(InstanceState state) {
  switch (state) {
    case InstanceState::kStopped:
      return "stopped";
    case InstanceState::kStarting:
      return "starting";
    case InstanceState::kReady:
      return "ready";
    case InstanceState::kReconnecting:
      return "reconnecting";
    case InstanceState::kFailed:
      return "failed";
    case InstanceState::kClosed:
      return "closed";
  }
  return "unknown";
}

}  // namespace lingma
