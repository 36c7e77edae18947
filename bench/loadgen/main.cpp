// loadgen: drives chat turns through lingma-gateway (HTTP) or straight to lingma-sim (WebSocket)
// and prints one JSON report on stdout; see bench/README.md.
#include <signal.h>
#include <sys/resource.h>

#include <iostream>
#include <string>
#include <vector>

#include "bench/loadgen/driver.hpp"
#include "bench/loadgen/options.hpp"

namespace {

// Thousands of concurrent streams need thousands of sockets: use the hard limit.
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const loadgen::ParsedOptions parsed = loadgen::ParseOptions(args);
  if (parsed.help) {
    std::cout << loadgen::Usage();
    return 0;
  }
  if (!parsed.error.empty()) {
    std::cerr << "loadgen: " << parsed.error << "\n\n" << loadgen::Usage();
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  RaiseFileLimit();
  std::string error;
  const int status = loadgen::RunLoad(parsed.options, error);
  if (!error.empty()) std::cerr << "loadgen: " << error << "\n";
  return status;
}
