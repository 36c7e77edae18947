// Recorder and TurnTrace; see recorder.hpp.
#include "bench/loadgen/recorder.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace loadgen {
namespace {

float Micros(Clock::duration d) {
  return static_cast<float>(std::chrono::duration<double, std::micro>(d).count());
}

}  // namespace

double Percentile(const std::vector<float>& values, double p) {
  if (values.empty()) return 0;
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  const std::size_t index = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  return values[std::min(index, values.size() - 1)];
}

Distribution Summarize(std::vector<float>& values) {
  Distribution d;
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  d.count = values.size();
  d.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(d.count);
  d.p50 = Percentile(values, 50);
  d.p90 = Percentile(values, 90);
  d.p99 = Percentile(values, 99);
  d.p999 = Percentile(values, 99.9);
  d.max = values.back();
  return d;
}

TurnTrace::TurnTrace(Recorder& recorder, Clock::time_point start, int expect_deltas)
    : recorder_(recorder),
      start_(start),
      expect_deltas_(expect_deltas),
      measured_(recorder.Measured(start)) {
  recorder_.started += 1;
}

TurnTrace::~TurnTrace() {
  if (!ended_) Fail("abandoned");
}

void TurnTrace::OnConnect(Clock::duration took) {
  if (measured_) recorder_.connect_us.push_back(Micros(took));
}

void TurnTrace::OnOpen() {
  if (opened_ || ended_) return;
  opened_ = true;
  recorder_.open += 1;
  recorder_.peak_open = std::max(recorder_.peak_open, recorder_.open);
}

void TurnTrace::OnDelta(Clock::time_point now) {
  if (ended_) return;
  OnOpen();
  recorder_.deltas += 1;
  if (measured_) {
    if (deltas_ == 0) {
      recorder_.ttft_us.push_back(Micros(now - start_));
    } else {
      recorder_.gap_us.push_back(Micros(now - last_delta_));
    }
  }
  last_delta_ = now;
  deltas_ += 1;
}

void TurnTrace::Finish(Clock::time_point now) {
  if (ended_) return;
  if (expect_deltas_ > 0 && deltas_ != expect_deltas_) {
    Fail("wrong_delta_count",
         std::to_string(deltas_) + " deltas, expected " + std::to_string(expect_deltas_));
    return;
  }
  Close();
  recorder_.ok += 1;
  recorder_.last_end = std::max(recorder_.last_end, now);
  if (measured_) {
    recorder_.ok_measured += 1;
    recorder_.latency_us.push_back(Micros(now - start_));
  }
}

void TurnTrace::Fail(std::string_view kind, std::string_view detail) {
  if (ended_) return;
  Close();
  recorder_.errors += 1;
  recorder_.last_end = std::max(recorder_.last_end, Clock::now());
  auto it = recorder_.error_kinds.find(kind);
  if (it == recorder_.error_kinds.end()) {
    recorder_.error_kinds.emplace(std::string(kind), 1);
    recorder_.error_examples.emplace(std::string(kind), std::string(detail.substr(0, 300)));
  } else {
    it->second += 1;
  }
}

void TurnTrace::Close() {
  ended_ = true;
  if (opened_) recorder_.open -= 1;
}

}  // namespace loadgen
