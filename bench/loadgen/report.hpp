// The load generator's report: one JSON object (for scripts) and a short text summary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/loadgen/options.hpp"
#include "bench/loadgen/recorder.hpp"

namespace loadgen {

struct RunInfo {
  Clock::time_point started;             // the driver's start (workers' ramp counts from here)
  Clock::time_point ended;               // every turn ended (or the watchdog fired)
  double cpu_user_s = 0, cpu_sys_s = 0;  // getrusage(RUSAGE_SELF) over the run
  long max_rss_kib = 0;
  std::uint64_t rate_skipped = 0;  // rate mode: ticks skipped because the in-flight cap was hit
  bool watchdog = false;           // turns were still running long after their deadline
  // Direct mode: UnreadUpstreamBytes sampled every 250 ms during the run (empty otherwise).
  std::vector<std::size_t> upstream_unread;
};

struct Report {
  std::string json;  // one line
  std::string text;  // a few lines for humans
};

// Sorts the recorder's samples.
Report BuildReport(const Options& options, Recorder& recorder, const RunInfo& info);

}  // namespace loadgen
