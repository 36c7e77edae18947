// The load generator's command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loadgen {

struct Options {
  enum class Mode { kGateway, kDirect };
  Mode mode = Mode::kGateway;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;      // gateway: required; direct: 0 = from <work-dir>/.info
  std::string work_dir;        // direct: the simulator's work dir (its .info names port and pid)
  std::string api_key;         // gateway: sent as a Bearer token when set
  bool stream = false;         // gateway: stream=true (SSE); direct turns always stream pushes
  int concurrency = 1;         // closed loop: turns in flight; rate mode: the in-flight cap
  double rate = 0;             // open loop: turns started per second; 0 = closed loop
  std::uint64_t requests = 0;  // turns to start in all; 0 = until the duration is over
  double duration_s = 0;       // stop starting turns after this; 0 = until `requests` started
  int ramp_ms = 0;             // closed loop: worker i starts at i * ramp / concurrency
  int warmup_ms = 0;           // turns starting in the first warmup_ms add no samples
  int connections = 1;         // direct: WebSocket connections the turns are spread over
  int prompt_bytes = 64;       // size of the user message / questionText
  std::string model = "auto";
  int timeout_ms = 30000;  // one turn, from start to the end of the answer
  int expect_deltas = 0;   // > 0: a stream with another number of deltas is an error
  std::string label;       // copied into the JSON report
  bool quiet = false;      // no human-readable summary on stderr
};

struct ParsedOptions {
  Options options;
  bool help = false;
  std::string error;  // non-empty: bad command line
};

ParsedOptions ParseOptions(const std::vector<std::string>& args);
std::string Usage();

// The user message of every turn: ASCII text of exactly `bytes` bytes.
std::string PromptText(int bytes);

}  // namespace loadgen
