// lingma-gateway: loads the configuration, finds Lingma (or the simulator), runs the gateway, and
// shuts it down cleanly on SIGTERM/SIGINT (a second signal exits at once).
#include <signal.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <filesystem>
#include <iostream>

#include "app/config.hpp"
#include "app/gateway.hpp"
#include "app/memory.hpp"
#include "lingma/discovery.hpp"
#include "net/event_loop.hpp"
#include "obs/log.hpp"

extern char** environ;

namespace {
namespace asio = boost::asio;
namespace fs = std::filesystem;

constexpr int kExitConfig = 2;
// No Lingma found: `make run` then starts the simulator instead.
constexpr int kExitNoLingma = 3;

fs::path SelfDirectory(const char* argv0) {
  std::error_code ec;
  auto self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) self = fs::absolute(argv0);
  return self.parent_path();
}

}  // namespace

int main(int argc, char** argv) {
  app::TuneAllocator();
  const auto env = app::EnvironmentMap(environ);
  app::LoadResult loaded;
  try {
    loaded = app::LoadConfig(argc, argv, env, app::ReadTextFile);
  } catch (const app::ConfigError& e) {
    std::cerr << "lingma-gateway: " << e.what() << "\n(see lingma-gateway --help)\n";
    return kExitConfig;
  }
  if (loaded.show_help) {
    std::cout << app::HelpText("lingma-gateway");
    return 0;
  }
  if (loaded.show_version) {
    std::cout << "lingma-gateway " LGW_VERSION "\n";
    return 0;
  }
  app::Config config = loaded.config;
  obs::Logger logger =
      obs::Logger::Stderr(obs::ParseLevel(config.log_level).value_or(obs::Level::kInfo));
  for (const auto& warning : loaded.warnings) logger.Warn("config.warning", {{"message", warning}});
  for (const auto& [key, value] : app::Describe(config)) {
    logger.Debug("config", {{"key", key}, {"value", value}});
  }
  if (config.api_keys.empty()) {
    // Safe by default: without keys the gateway never listens beyond this machine.
    if (config.host != "127.0.0.1" && config.host != "localhost" && config.host != "::1") {
      logger.Warn("gateway.loopback_only",
                  {{"message", "API_KEYS is empty, so HOST=" + config.host +
                                   " is ignored and the gateway binds 127.0.0.1 only; set "
                                   "API_KEYS to listen on other addresses"}});
      config.host = "127.0.0.1";
    } else {
      logger.Warn("gateway.no_api_keys",
                  {{"message", "API_KEYS is empty: any local program can use this gateway"}});
    }
  }

  fs::path binary;
  const bool attach = config.lingma_mode == app::LingmaMode::kAttach;
  if (config.simulator) {
    binary = config.simulator_bin.empty() ? SelfDirectory(argv[0]) / "lingma-sim"
                                          : fs::path(config.simulator_bin);
    logger.Warn("gateway.simulator",
                {{"message", "SIMULATOR MODE: answers come from lingma-sim, not from Lingma"},
                 {"binary", binary.string()}});
  } else if (!attach) {
    const auto home = env.contains("HOME") ? env.at("HOME") : std::string();
    auto search = lingma::FindLingmaBinary(config.lingma_bin, home);
    if (!search.found) {
      std::cerr << search.Explain() << "\n";
      return kExitNoLingma;
    }
    binary = *search.found;
  }
  logger.Info("gateway.starting", {{"version", LGW_VERSION},
                                   {"binary", binary.string()},
                                   {"mode", attach ? "attach" : "spawn"},
                                   {"pool_size", config.pool_size}});

  signal(SIGPIPE, SIG_IGN);
  // One thread runs everything (DESIGN.md §3) and nothing else touches the loop: no locking in
  // the scheduler or the reactor. This rules out Asio's threaded name resolution, which the
  // gateway does not use (it connects to Lingma by address), and posting to the loop from any
  // other thread: work handed to a thread pool must come back some other way, or this hint
  // must go back to 1.
  asio::io_context io(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE);
  app::Gateway gateway(io.get_executor(), config, binary, env, logger);
  try {
    gateway.Start();
  } catch (const std::exception& e) {
    logger.Error("gateway.listen_failed",
                 {{"host", config.host},
                  {"port", config.port},
                  {"error", e.what()},
                  {"hint", "stop what uses the port, or pick another with PORT / --port"}});
    return 1;
  }
  logger.Info("gateway.listening", {{"host", config.host}, {"port", gateway.port()}});

  asio::signal_set signals(io, SIGINT, SIGTERM);
  bool stopping = false;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (stopping) {
          logger.Warn("gateway.forced_exit", {{"signal", signo}});
          _exit(130);  // Lingma children die with us (PR_SET_PDEATHSIG)
        }
        stopping = true;
        logger.Info("gateway.stopping", {{"signal", signo}});
        signals.async_wait(on_signal);
        asio::co_spawn(io, gateway.Shutdown(), [&](std::exception_ptr) {
          logger.Info("gateway.stopped");
          signals.cancel();
          io.stop();
        });
      };
  signals.async_wait(on_signal);
  net::RunEventLoop(io, config.busy_poll);
  return 0;
}
