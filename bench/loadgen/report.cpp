// Report building; see report.hpp.
#include "bench/loadgen/report.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <cstdio>

namespace loadgen {
namespace {

namespace json = boost::json;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double Round(double x, double unit) { return static_cast<double>(std::llround(x / unit)) * unit; }

json::object ToJson(const Distribution& d) {
  return json::object{{"count", d.count},         {"mean", Round(d.mean, 0.1)},
                      {"p50", Round(d.p50, 0.1)}, {"p90", Round(d.p90, 0.1)},
                      {"p99", Round(d.p99, 0.1)}, {"p999", Round(d.p999, 0.1)},
                      {"max", Round(d.max, 0.1)}};
}

std::string Line(const char* name, const Distribution& d) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "  %-11s n=%-8zu p50 %10.1f  p90 %10.1f  p99 %10.1f  p99.9 %10.1f  max %10.1f us\n",
                name, d.count, d.p50, d.p90, d.p99, d.p999, d.max);
  return buf;
}

}  // namespace

Report BuildReport(const Options& o, Recorder& r, const RunInfo& info) {
  const Distribution latency = Summarize(r.latency_us);
  const Distribution ttft = Summarize(r.ttft_us);
  const Distribution gap = Summarize(r.gap_us);
  const Distribution connect = Summarize(r.connect_us);
  const double wall_s = Seconds(info.ended - info.started);
  const Clock::time_point last = r.last_end > r.measure_from() ? r.last_end : info.ended;
  const double measured_s = std::max(1e-9, Seconds(last - r.measure_from()));
  const double rps = static_cast<double>(r.ok_measured) / measured_s;
  const double cpu_s = info.cpu_user_s + info.cpu_sys_s;
  // A share of a core means nothing over a run too short to measure.
  const double cpu_pct = wall_s >= 0.05 ? 100.0 * cpu_s / wall_s : 0.0;

  json::object kinds, examples;
  for (const auto& [k, n] : r.error_kinds) kinds[k] = n;
  for (const auto& [k, v] : r.error_examples) examples[k] = v;
  json::object out{
      {"label", o.label},
      {"mode", o.mode == Options::Mode::kGateway ? "gateway" : "direct"},
      {"stream", o.stream || o.mode == Options::Mode::kDirect},
      {"concurrency", o.concurrency},
      {"rate", o.rate},
      {"connections", o.connections},
      {"started", r.started},
      {"ok", r.ok},
      {"ok_measured", r.ok_measured},
      {"errors", r.errors},
      {"error_kinds", std::move(kinds)},
      {"error_examples", std::move(examples)},
      {"deltas", r.deltas},
      {"peak_open", r.peak_open},
      {"rate_skipped", info.rate_skipped},
      {"watchdog", info.watchdog},
      {"wall_s", Round(wall_s, 0.001)},
      {"measured_s", Round(measured_s, 0.001)},
      {"rps", Round(rps, 0.1)},
      {"latency_us", ToJson(latency)},
      {"ttft_us", ToJson(ttft)},
      {"gap_us", ToJson(gap)},
      {"connect_us", ToJson(connect)},
      {"cpu", json::object{{"user_s", Round(info.cpu_user_s, 0.001)},
                           {"sys_s", Round(info.cpu_sys_s, 0.001)},
                           {"pct_of_core", Round(cpu_pct, 0.1)},
                           {"us_per_turn", Round(r.started ? 1e6 * cpu_s / r.started : 0, 0.1)}}},
      {"max_rss_kib", info.max_rss_kib},
      {"upstream_unread", json::value_from(info.upstream_unread)},
  };

  Report report;
  report.json = json::serialize(out);
  char head[512];
  std::snprintf(head, sizeof head,
                "loadgen %s%s%s: %llu turns (%llu ok, %llu errors), %.1f req/s over %.2f s "
                "measured, peak open %zu; own CPU %.2f s (%.0f%% of a core)\n",
                o.mode == Options::Mode::kGateway ? "gateway" : "direct",
                o.stream && o.mode == Options::Mode::kGateway ? " stream" : "",
                o.label.empty() ? "" : (" [" + o.label + "]").c_str(),
                static_cast<unsigned long long>(r.started), static_cast<unsigned long long>(r.ok),
                static_cast<unsigned long long>(r.errors), rps, measured_s, r.peak_open, cpu_s,
                cpu_pct);
  report.text = head;
  report.text += Line("latency", latency);
  if (ttft.count) report.text += Line("ttft", ttft);
  if (gap.count) report.text += Line("gap", gap);
  if (connect.count) report.text += Line("connect", connect);
  for (const auto& [k, n] : r.error_kinds) {
    report.text += "  error " + k + ": " + std::to_string(n);
    const auto ex = r.error_examples.find(k);
    if (ex != r.error_examples.end() && !ex->second.empty()) report.text += " (" + ex->second + ")";
    report.text += "\n";
  }
  if (info.watchdog) report.text += "  WATCHDOG: turns still running long after their deadline\n";
  return report;
}

}  // namespace loadgen
