// Command-line parsing; see options.hpp.
#include "bench/loadgen/options.hpp"

#include <charconv>
#include <functional>
#include <map>
#include <string_view>
#include <type_traits>

namespace loadgen {
namespace {

template <class T>
bool ParseNumber(const std::string& text, T& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

}  // namespace

std::string PromptText(int bytes) {
  static constexpr std::string_view kText =
      "Benchmark turn: explain in one sentence why a bounded queue needs backpressure. ";
  std::string out;
  out.reserve(static_cast<std::size_t>(bytes));
  while (out.size() < static_cast<std::size_t>(bytes)) {
    out.append(kText.substr(0, static_cast<std::size_t>(bytes) - out.size()));
  }
  return out;
}

std::string Usage() {
  return R"(Usage: loadgen --mode gateway|direct [OPTION...]

Drives chat turns at a concurrency (closed loop) or a rate (open loop) and prints one JSON
object with latency, time-to-first-token and inter-delta percentiles (microseconds), errors and
its own CPU use (getrusage).

  --mode gateway|direct   gateway: POST /v1/chat/completions over HTTP/1.1 keep-alive;
                          direct: chat/ask over WebSocket to lingma-sim, no gateway (baseline)
  --host HOST             [127.0.0.1]
  --port N                gateway port (required), or the sim's port (direct; default: .info)
  --work-dir DIR          direct: the sim's work dir; line 1 of DIR/.info is its port
  --api-key KEY           gateway: Authorization: Bearer KEY
  --stream                gateway: stream=true, SSE chunks timed as they arrive
  --concurrency N         turns in flight (rate mode: the most in flight at once) [1]
  --rate R                open loop: start R turns per second, latency from the scheduled time
  --requests N            turns to start in all [0 = until --duration-s]
  --duration-s S          stop starting turns after S seconds [5 unless --requests]
  --ramp-ms MS            closed loop: spread the workers' first turns over MS [0]
  --warmup-ms MS          turns starting in the first MS are run but not sampled [0]
  --connections N         direct: WebSocket connections to spread the turns over [1]
  --prompt-bytes N        user message size [64]
  --model NAME            [auto]
  --timeout-ms MS         deadline of one turn [30000]
  --expect-deltas N       a turn with another number of deltas is an error [0 = any]
  --label TEXT            copied into the report
  --quiet                 no summary on stderr
  -h, --help
)";
}

ParsedOptions ParseOptions(const std::vector<std::string>& args) {
  ParsedOptions parsed;
  Options& o = parsed.options;
  bool duration_set = false;
  using Setter = std::function<bool(const std::string&)>;
  auto integer = [](auto& field, long long min, long long max = 1LL << 40) {
    return Setter([&field, min, max](const std::string& v) {
      long long n = 0;
      if (!ParseNumber(v, n) || n < min || n > max) return false;
      field = static_cast<std::remove_reference_t<decltype(field)>>(n);
      return true;
    });
  };
  auto real = [](double& field) {
    return Setter([&field](const std::string& v) {
      double x = 0;
      if (!ParseNumber(v, x) || x < 0) return false;
      field = x;
      return true;
    });
  };
  auto text = [](std::string& field) {
    return Setter([&field](const std::string& v) {
      field = v;
      return true;
    });
  };
  const std::map<std::string, Setter> valued = {
      {"mode",
       [&](const std::string& v) {
         if (v != "gateway" && v != "direct") return false;
         o.mode = v == "gateway" ? Options::Mode::kGateway : Options::Mode::kDirect;
         return true;
       }},
      {"host", text(o.host)},
      {"port", integer(o.port, 0, 65535)},
      {"work-dir", text(o.work_dir)},
      {"api-key", text(o.api_key)},
      {"concurrency", integer(o.concurrency, 1)},
      {"rate", real(o.rate)},
      {"requests", integer(o.requests, 0)},
      {"duration-s",
       [&](const std::string& v) {
         duration_set = true;
         return real(o.duration_s)(v);
       }},
      {"ramp-ms", integer(o.ramp_ms, 0)},
      {"warmup-ms", integer(o.warmup_ms, 0)},
      {"connections", integer(o.connections, 1)},
      {"prompt-bytes", integer(o.prompt_bytes, 1)},
      {"model", text(o.model)},
      {"timeout-ms", integer(o.timeout_ms, 1)},
      {"expect-deltas", integer(o.expect_deltas, 0)},
      {"label", text(o.label)},
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "-h" || arg == "--help") {
      parsed.help = true;
      return parsed;
    }
    if (!arg.starts_with("--")) {
      parsed.error = "unexpected argument " + arg;
      return parsed;
    }
    arg.erase(0, 2);
    std::optional<std::string> value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    }
    if (arg == "stream" || arg == "quiet") {
      const bool on = !value || *value == "true" || *value == "1";
      (arg == "stream" ? o.stream : o.quiet) = on;
      continue;
    }
    auto it = valued.find(arg);
    if (it == valued.end()) {
      parsed.error = "unknown option --" + arg;
      return parsed;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        parsed.error = "--" + arg + " needs a value";
        return parsed;
      }
      value = args[++i];
    }
    if (!it->second(*value)) {
      parsed.error = "bad value for --" + arg + ": " + *value;
      return parsed;
    }
  }
  if (!duration_set && o.requests == 0) o.duration_s = 5;
  if (o.duration_s == 0 && o.requests == 0) {
    parsed.error = "give --requests or a non-zero --duration-s";
  } else if (o.mode == Options::Mode::kGateway && o.port == 0) {
    parsed.error = "--port is required in gateway mode";
  } else if (o.mode == Options::Mode::kDirect && o.port == 0 && o.work_dir.empty()) {
    parsed.error = "direct mode needs --work-dir (or --port)";
  }
  return parsed;
}

}  // namespace loadgen
