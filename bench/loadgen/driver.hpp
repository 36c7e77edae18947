// Runs a load: closed loop (N workers, each one turn after the other) or open loop (turns
// started at a fixed rate, latency counted from the scheduled start), then reports.
#pragma once

#include <string>

#include "bench/loadgen/options.hpp"

namespace loadgen {

// Runs the whole load on one io_context thread and prints the report (JSON on stdout, the text
// summary on stderr unless quiet). Returns the exit status: 0 ran (turn failures are in the
// report), 1 the client could not start (no gateway, no simulator; `error` says why), 3 turns
// were still running long after their deadline (the report is printed, then the process exits
// at once: their coroutines still point at the run's state).
int RunLoad(const Options& options, std::string& error);

}  // namespace loadgen
