// The sim's network side: a WebSocket server on 127.0.0.1 speaking Lingma's framed JSON-RPC,
// with chat turns streamed as coroutines on one io_context thread.
#pragma once

#include <functional>

#include "sim/options.hpp"

namespace sim {

struct ServerHooks {
  // Called once the server listens, with the bound port. Returning false aborts start-up
  // (exit code 1), e.g. when .info cannot be written.
  std::function<bool(int port)> on_listening;
  // Called on a clean exit (SIGINT, SIGTERM, the `exit` notification) before RunServer
  // returns; not called by the exit-after-deltas crash, which leaves .info stale on purpose.
  std::function<void()> on_clean_exit;
};

// Serves until a clean exit (returns 0) or a start-up failure (returns 1, after logging why).
// The crash fault never returns: it calls _exit(3).
int RunServer(const Options& options, const ServerHooks& hooks);

}  // namespace sim
