// What a load run measured: per-turn timings (latency, time to first token, gaps between
// deltas, connect time) gathered into distributions, error counts by kind, open-stream gauge.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen {

using Clock = std::chrono::steady_clock;

// Nearest-rank percentiles of a sample, in the sample's unit.
struct Distribution {
  std::size_t count = 0;
  double mean = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};
// `values` is sorted in place. An empty sample gives all zeros.
Distribution Summarize(std::vector<float>& values);
// The nearest-rank percentile `p` (0 < p <= 100) of sorted `values`; 0 when empty.
double Percentile(const std::vector<float>& values, double p);

class Recorder {
 public:
  // Turns that start before `measure_from` run (and count in the totals) but add no samples:
  // they are the warm-up.
  explicit Recorder(Clock::time_point measure_from) : measure_from_(measure_from) {}

  bool Measured(Clock::time_point start) const { return start >= measure_from_; }
  Clock::time_point measure_from() const { return measure_from_; }

  std::vector<float> latency_us, ttft_us, gap_us, connect_us;
  std::uint64_t started = 0;      // every turn
  std::uint64_t ok = 0;           // every successful turn
  std::uint64_t ok_measured = 0;  // successful turns that started after the warm-up
  std::uint64_t errors = 0;       // every failed turn
  std::uint64_t deltas = 0;       // every non-empty answer delta received (all turns)
  std::map<std::string, std::uint64_t, std::less<>> error_kinds;
  std::map<std::string, std::string, std::less<>> error_examples;  // first detail per kind
  std::size_t open = 0;       // turns whose answer has started and not ended
  std::size_t peak_open = 0;  // the most open at once
  Clock::time_point last_end{};

 private:
  Clock::time_point measure_from_;
};

// One turn's timeline, fed by a client as events arrive. A turn ends once: Finish or Fail.
class TurnTrace {
 public:
  TurnTrace(Recorder& recorder, Clock::time_point start, int expect_deltas);
  ~TurnTrace();  // a turn that never ended counts as an error ("abandoned")

  TurnTrace(const TurnTrace&) = delete;
  TurnTrace& operator=(const TurnTrace&) = delete;

  Clock::time_point start() const { return start_; }
  bool ended() const { return ended_; }
  int deltas() const { return deltas_; }

  // A new connection was needed before the request could be sent.
  void OnConnect(Clock::duration took);
  // The answer has started (HTTP response headers of a stream, chat/ask acknowledged).
  void OnOpen();
  // A non-empty answer delta arrived at `now`.
  void OnDelta(Clock::time_point now);
  // The whole answer arrived at `now`. Fewer deltas than expected make it a failure.
  void Finish(Clock::time_point now);
  void Fail(std::string_view kind, std::string_view detail = {});

 private:
  void Close();

  Recorder& recorder_;
  Clock::time_point start_;
  Clock::time_point last_delta_{};
  int expect_deltas_;
  int deltas_ = 0;
  bool measured_;
  bool opened_ = false;
  bool ended_ = false;
};

}  // namespace loadgen
