// The metrics registry (counters, gauges, histograms) and its Prometheus text exposition (0.0.4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace obs {

// Label name → value. A family's label names and their order are fixed by its first use; later
// uses must pass the same names in the same order (only the values differ between children).
using Labels = std::vector<std::pair<std::string, std::string>>;

// Threading: none of these types lock or use atomics. All metrics live on the gateway's single
// event-loop thread (DESIGN.md §3), so a plain double add is the whole cost of an increment.
// A second thread must not touch them; hand its numbers to the loop instead.

// Monotonically increasing. Callers keep the reference returned by the registry, so Inc is inline.
class Counter {
 public:
  // Negative or NaN increments would make rate() meaningless: they are programming errors and
  // throw std::logic_error.
  void Inc(double v = 1) {
    if (!(v >= 0)) ThrowBadIncrement(v);
    value_ += v;
  }
  double value() const { return value_; }

 private:
  [[noreturn]] static void ThrowBadIncrement(double v);
  double value_ = 0;
};

class Gauge {
 public:
  void Set(double v) { value_ = v; }
  void Inc(double v = 1) { value_ += v; }
  void Dec(double v = 1) { value_ -= v; }
  double value() const { return value_; }

 private:
  double value_ = 0;
};

// Counts observations into buckets with inclusive upper bounds (v <= bound), as Prometheus does.
// Counts are kept per bucket and made cumulative only when rendered, so Observe touches one slot.
class Histogram {
 public:
  // `upper_bounds` must be strictly increasing and not NaN; a trailing +Inf is dropped because the
  // +Inf bucket is always present. Throws std::logic_error otherwise.
  explicit Histogram(std::vector<double> upper_bounds);

  // NaN lands only in the +Inf bucket (it compares false with every bound) and makes sum NaN.
  void Observe(double v);

  // Finite upper bounds, without the implicit +Inf.
  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  // Non-cumulative counts, one per upper bound plus a last one for +Inf.
  const std::vector<std::uint64_t>& bucket_counts() const { return counts_; }
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> upper_bounds_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

// Owns every metric of the process. Not a global: it is created by the app and passed by reference
// to whoever records or renders metrics, so tests get a fresh one each.
//
// Names are checked on first use, and every violation throws std::logic_error (these are
// programming errors, caught by the first test that touches the metric):
//   - metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* and do not
//     start with "__" (reserved by Prometheus); histograms may not use the label "le";
//   - counters end in "_total" and nothing else does; only histograms' samples end in
//     "_bucket"/"_sum"/"_count", so no two families can render a sample of the same name and
//     `promtool check metrics` finds nothing to lint about suffixes;
//   - help text is non-empty;
//   - a name used again must have the same type, help, label names (and buckets).
class MetricsRegistry {
 public:
  using Collector = std::function<void(MetricsRegistry&)>;

  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;
  // Moving keeps every returned reference valid: families live on the heap.
  MetricsRegistry(MetricsRegistry&&) noexcept;
  MetricsRegistry& operator=(MetricsRegistry&&) noexcept;

  // Return the child for `labels`, creating the family and the child on first use. References stay
  // valid for the registry's lifetime; keep them on hot paths. The lookup itself is a map search
  // for the family plus a linear scan of its children: fine for collectors and start-up, not meant
  // for per-byte paths.
  Counter& GetCounter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& GetGauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& GetHistogram(std::string_view name, std::string_view help,
                          const std::vector<double>& buckets, const Labels& labels = {});

  // Collectors run, in the order added, at the start of every Render: owners of state (instances,
  // the session cache, in-flight requests) set gauges from it there instead of tracking every
  // change. A collector may create metrics; an exception it throws propagates out of Render.
  void AddCollector(Collector collector);

  // Prometheus text format 0.0.4: per family "# HELP", "# TYPE", then its samples; families in
  // registration order, children in creation order. Histograms render cumulative
  // name_bucket{...,le="..."} lines ending with le="+Inf", then name_sum and name_count.
  // Returns "" for an empty registry.
  std::string Render();

 private:
  struct Family;
  struct Child;
  enum class Type { kCounter, kGauge, kHistogram };

  Child& GetChild(Type type, std::string_view name, std::string_view help, const Labels& labels,
                  const std::vector<double>* buckets);

  std::vector<std::unique_ptr<Family>> families_;  // registration order
  std::map<std::string, Family*, std::less<>> families_by_name_;
  std::vector<Collector> collectors_;
};

// Formats a sample value as Prometheus parses it: "NaN", "+Inf", "-Inf"; integral values up to
// 2^53 as plain digits (a double counts exactly up to there, and "1e+06" reads badly in a byte
// counter); anything else as the shortest text that round-trips ("0.5", "0.001", "1e+20").
std::string FormatSampleValue(double v);

// Upper bounds in seconds for request and upstream latencies: 1 ms to 2 min, roughly 1-2.5-5 per
// decade, because chat turns span sub-millisecond cache hits to minute-long generations.
std::vector<double> LatencyBuckets();

}  // namespace obs
