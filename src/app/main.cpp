// lingma-gateway: loads the configuration, starts the Lingma instances and the HTTP server, and
// shuts everything down cleanly on SIGTERM/SIGINT.
#include <signal.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <vector>

#include "app/child_env.hpp"
#include "app/config.hpp"
#include "app/readiness.hpp"
#include "lingma/discovery.hpp"
#include "lingma/instance.hpp"
#include "net/http_server.hpp"
#include "obs/log.hpp"

extern char** environ;

namespace {
namespace asio = boost::asio;
namespace fs = std::filesystem;

// Exit status when no Lingma can be found: `make run` then offers the simulator.
constexpr int kExitNoLingma = 3;
constexpr int kExitConfig = 2;

std::string NotFoundBody(std::string_view path) {
  return std::string("{\"error\":{\"message\":\"no route for ") + std::string(path) +
         "\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"not_found\"}}";
}

fs::path SelfDirectory(const char* argv0) {
  std::error_code ec;
  auto self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) self = fs::absolute(argv0);
  return self.parent_path();
}

struct Gateway {
  app::Config config;
  obs::Logger& logger;
  bool simulator = false;
  std::vector<std::unique_ptr<lingma::Instance>> instances;
  std::unique_ptr<net::HttpServer> server;

  std::vector<lingma::InstanceSnapshot> Snapshots() const {
    std::vector<lingma::InstanceSnapshot> out;
    for (const auto& i : instances) out.push_back(i->Snapshot());
    return out;
  }

  asio::awaitable<net::HttpResponse> Handle(const net::HttpRequest& request) {
    net::HttpResponse response;
    if (request.path == "/health" && request.method == "GET") {
      response.body = "{\"status\":\"ok\"}";
    } else if (request.path == "/ready" && request.method == "GET") {
      auto readiness = app::RenderReadiness(Snapshots(), simulator);
      response.status = readiness.http_status;
      response.body = std::move(readiness.body);
      if (response.status != 200) response.headers.emplace_back("Retry-After", "2");
    } else {
      response.status = 404;
      response.body = NotFoundBody(request.path);
    }
    co_return response;
  }

  asio::awaitable<void> Shutdown() {
    logger.Info("gateway.stopping");
    if (server) server->StopAccepting();
    for (auto& instance : instances) co_await instance->Stop();
    logger.Info("gateway.stopped");
  }
};

}  // namespace

int main(int argc, char** argv) {
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
  const app::Config& config = loaded.config;
  obs::Logger logger =
      obs::Logger::Stderr(obs::ParseLevel(config.log_level).value_or(obs::Level::kInfo));
  for (const auto& warning : loaded.warnings) logger.Warn("config.warning", {{"message", warning}});
  for (const auto& [key, value] : app::Describe(config)) {
    logger.Debug("config", {{"key", key}, {"value", value}});
  }

  // Which Lingma to run.
  fs::path binary;
  const bool attach = config.lingma_mode == app::LingmaMode::kAttach;
  if (config.simulator) {
    binary = config.simulator_bin.empty() ? SelfDirectory(argv[0]) / "lingma-sim"
                                          : fs::path(config.simulator_bin);
    logger.Warn("gateway.simulator",
                {{"message", "SIMULATOR MODE: answers come from lingma-sim, not from Lingma"},
                 {"binary", binary.string()}});
  } else if (!attach) {
    const auto home = env.contains("HOME") ? env.at("HOME") : std::string("/root");
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

  asio::io_context io(1);
  Gateway gateway{config, logger, config.simulator, {}, nullptr};
  const auto child_env = app::ChildEnvironment(env);
  for (int i = 0; i < config.pool_size; ++i) {
    lingma::InstanceOptions options;
    options.index = i;
    options.mode = attach ? lingma::LaunchMode::kAttach : lingma::LaunchMode::kSpawn;
    options.binary = binary;
    options.work_dir = attach ? fs::path(config.work_dir)
                              : fs::path(config.work_dir) / ("inst-" + std::to_string(i));
    options.socket_port = config.socket_port;
    options.child_env = child_env;
    options.startup_timeout = config.startup_timeout;
    options.rpc_timeout = config.rpc_timeout;
    options.heartbeat_interval = config.heartbeat_interval;
    options.backoff.initial = config.reconnect_initial;
    options.backoff.max = config.reconnect_max;
    options.client_version = LGW_VERSION;
    gateway.instances.push_back(
        std::make_unique<lingma::Instance>(io.get_executor(), std::move(options), logger));
  }
  for (auto& instance : gateway.instances) instance->Start();

  net::HttpServerOptions http;
  http.host = config.host;
  http.port = static_cast<std::uint16_t>(config.port);
  try {
    gateway.server =
        net::HttpServer::Start(io.get_executor(), http,
                               [&gateway](const net::HttpRequest& r) { return gateway.Handle(r); });
  } catch (const std::exception& e) {
    logger.Error("gateway.listen_failed",
                 {{"host", config.host}, {"port", config.port}, {"error", e.what()}});
    gateway.instances.clear();  // stops and reaps the children
    return 1;
  }
  logger.Info("gateway.listening", {{"host", config.host}, {"port", gateway.server->port()}});

  // First SIGTERM/SIGINT: graceful stop. A second one: exit at once (children die with us).
  asio::signal_set signals(io, SIGINT, SIGTERM);
  bool stopping = false;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (stopping) {
          logger.Warn("gateway.forced_exit", {{"signal", signo}});
          _exit(130);
        }
        stopping = true;
        signals.async_wait(on_signal);
        asio::co_spawn(io, gateway.Shutdown(), [&](std::exception_ptr) {
          signals.cancel();
          io.stop();
        });
      };
  signals.async_wait(on_signal);
  signal(SIGPIPE, SIG_IGN);

  io.run();
  gateway.server.reset();
  gateway.instances.clear();
  return 0;
}
