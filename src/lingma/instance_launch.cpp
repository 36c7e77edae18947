// Instance: spawning a Lingma process or attaching to a running one, and stopping it again.
#include <sys/stat.h>

#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <fstream>
#include <string_view>

#include "lingma/instance_core.hpp"
#include "net/ports.hpp"
#include "obs/log.hpp"
#include "text/utf8.hpp"

namespace lingma {
namespace asio = boost::asio;
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

constexpr milliseconds kPollInterval{25};

std::string ReadSmallFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text;
}

// True when `pid` runs a command line that names `work_dir`: a Lingma of ours left behind.
bool IsOurLingma(int pid, const fs::path& work_dir) {
  std::string cmdline = ReadSmallFile("/proc/" + std::to_string(pid) + "/cmdline");
  for (char& c : cmdline) {
    if (c == '\0') c = ' ';
  }
  return cmdline.find(" start") != std::string::npos &&
         cmdline.find(work_dir.string()) != std::string::npos;
}

std::string LogHint(const fs::path& log) { return " (its output is in " + log.string() + ")"; }

// The last non-empty line Lingma wrote (it usually says why it stopped), at most 300 bytes, or "".
std::string LastOutputLine(const fs::path& log) {
  constexpr std::streamoff kTail = 4096;
  std::ifstream in(log, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  in.seekg(size > kTail ? size - kTail : 0);
  std::string tail((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!tail.empty() && std::isspace(static_cast<unsigned char>(tail.back()))) tail.pop_back();
  const std::size_t start = tail.find_last_of('\n');
  std::string_view line = std::string_view(tail).substr(start == std::string::npos ? 0 : start + 1);
  if (line.size() > 300) line = line.substr(0, 300);
  std::string out;
  utf8::AppendRepaired(out, line);  // a line cut mid-character is still well-formed text
  return out;
}

// Why a child stopped before it was ready, with what it said last.
std::string EarlyExitMessage(int status, const fs::path& log) {
  const std::string said = LastOutputLine(log);
  return "Lingma " + net::DescribeExitStatus(status) + " before it was ready" +
         (said.empty() ? "" : ": " + said) + LogHint(log);
}

}  // namespace

asio::awaitable<Result<std::shared_ptr<net::WsConnection>>> InstanceCore::Establish() {
  if (options.mode == LaunchMode::kAttach) {
    auto attached = co_await AttachAndConnect();
    co_return attached;
  }
  auto spawned = co_await SpawnAndConnect();
  co_return spawned;
}

asio::awaitable<void> InstanceCore::RemoveLeftovers() {
  // A Lingma of a previous run that still owns this work dir is stopped; any `.info` left behind
  // (crash, SIGKILL) is removed so it cannot be mistaken for the new process's.
  if (auto info = ReadInfoFile(options.work_dir)) {
    if (IsProcessAlive(info->pid) && IsOurLingma(info->pid, options.work_dir)) {
      logger.Warn("instance.leftover", {{"instance", options.index}, {"pid", info->pid}});
      co_await net::StopForeignProcess(executor, info->pid, options.stop_grace, IsProcessAlive);
    }
  }
  std::error_code ignored;
  fs::remove(options.work_dir / ".info", ignored);
  fs::remove(options.work_dir / ".info.json", ignored);
}

asio::awaitable<Result<std::shared_ptr<net::WsConnection>>> InstanceCore::SpawnAndConnect() {
  // The work dir holds Lingma's login state: only its owner may enter it, and the gateway's own
  // parent dir too when the gateway creates it.
  std::error_code ec;
  const fs::path parent = options.work_dir.parent_path();
  const bool parent_is_new = !parent.empty() && !fs::exists(parent, ec);
  fs::create_directories(options.work_dir, ec);
  if (ec) {
    co_return Error{ErrorKind::kStartup,
                    "cannot create work dir " + options.work_dir.string() + ": " + ec.message()};
  }
  chmod(options.work_dir.c_str(), 0700);
  if (parent_is_new) chmod(parent.c_str(), 0700);
  co_await StopProcesses();  // at most one child per instance, ever
  co_await RemoveLeftovers();
  if (closing) co_return Error{ErrorKind::kCancelled, "shutting down"};

  const int socket_port =
      options.socket_port > 0 ? options.socket_port + options.index : net::PickFreePort();
  const int http_port = net::PickFreePort();
  net::SpawnOptions spawn;
  spawn.program = options.binary;
  spawn.args = {"start",
                "--workDir",
                options.work_dir.string(),
                "--socketPort",
                std::to_string(socket_port),
                "--httpPort",
                std::to_string(http_port)};
  spawn.args.insert(spawn.args.end(), options.extra_args.begin(), options.extra_args.end());
  spawn.cwd = options.work_dir;
  spawn.env = options.child_env;
  spawn.output_file = options.work_dir / "lingma.out.log";
  std::string error;
  child = net::ChildProcess::Spawn(spawn, error);
  if (!child) co_return Error{ErrorKind::kStartup, error};
  logger.Info("instance.spawned", {{"instance", options.index},
                                   {"pid", child->pid()},
                                   {"socket_port", socket_port},
                                   {"work_dir", options.work_dir.string()}});

  // Wait for `.info` without blocking the loop: other instances start meanwhile.
  const auto deadline = Clock::now() + options.startup_timeout;
  std::optional<InfoFile> info;
  while (!closing) {
    info = ReadInfoFile(options.work_dir);
    if (info && IsProcessAlive(info->pid)) break;
    info.reset();
    if (auto status = child->Poll(); status && *status != 0) {
      co_return Error{ErrorKind::kStartup, EarlyExitMessage(*status, spawn.output_file)};
    }
    // A child that exited with 0 daemonized: its daemon writes `.info` later.
    if (Clock::now() >= deadline) {
      co_return Error{ErrorKind::kStartup, "Lingma did not write " +
                                               (options.work_dir / ".info").string() + " within " +
                                               std::to_string(options.startup_timeout.count()) +
                                               " ms" + LogHint(spawn.output_file)};
    }
    co_await net::SleepFor(executor, kPollInterval);
  }
  if (closing) co_return Error{ErrorKind::kCancelled, "shutting down"};
  lingma_pid = info->pid;
  port = info->port;
  auto connected = co_await ConnectUntil(info->port, deadline, true);
  co_return connected;
}

asio::awaitable<Result<std::shared_ptr<net::WsConnection>>> InstanceCore::AttachAndConnect() {
  int target = options.socket_port;
  if (target <= 0) {
    auto info = ReadInfoFile(options.work_dir);
    if (!info) {
      co_return Error{
          ErrorKind::kStartup,
          "no running Lingma found: neither .info.json nor .info in " + options.work_dir.string()};
    }
    if (!IsProcessAlive(info->pid)) {
      co_return Error{ErrorKind::kStartup, "stale " + info->path.string() + ": process " +
                                               std::to_string(info->pid) + " is not running"};
    }
    target = info->port;
    lingma_pid = info->pid;
  }
  port = target;
  auto connected = co_await ConnectUntil(target, Clock::now() + options.rpc_timeout, false);
  co_return connected;
}

asio::awaitable<Result<std::shared_ptr<net::WsConnection>>> InstanceCore::ConnectUntil(
    int target, Clock::time_point deadline, bool watch_child) {
  std::string last;
  while (!closing) {
    net::WsConnection::Options ws;
    ws.port = static_cast<std::uint16_t>(target);
    ws.timeout = std::max(milliseconds(100),
                          std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
    boost::system::error_code ec;
    auto conn = co_await net::WsConnection::Connect(executor, ws, ec);
    if (!ec) co_return conn;
    last = ec.message();
    if (watch_child && child) {
      if (auto status = child->Poll(); status && *status != 0) {
        co_return Error{ErrorKind::kStartup,
                        "Lingma " + net::DescribeExitStatus(*status) + " while connecting"};
      }
    }
    if (lingma_pid > 0 && !IsProcessAlive(lingma_pid)) {
      co_return Error{ErrorKind::kStartup,
                      "Lingma (pid " + std::to_string(lingma_pid) + ") exited while connecting"};
    }
    if (Clock::now() >= deadline) break;
    co_await net::SleepFor(executor, kPollInterval * 2);
  }
  co_return Error{ErrorKind::kStartup,
                  "cannot connect to Lingma on 127.0.0.1:" + std::to_string(target) + ": " + last};
}

asio::awaitable<void> InstanceCore::StopProcesses() {
  if (options.mode == LaunchMode::kAttach) co_return;  // not ours to stop
  const int daemon = lingma_pid;
  if (child) {
    const int status = co_await child->Stop(executor, options.stop_grace);
    logger.Info("instance.stopped", {{"instance", options.index},
                                     {"pid", child->pid()},
                                     {"status", net::DescribeExitStatus(status)}});
    const bool daemonized = daemon > 0 && daemon != child->pid();
    child.reset();
    if (daemonized) {
      co_await net::StopForeignProcess(executor, daemon, options.stop_grace, IsProcessAlive);
    }
  }
  lingma_pid = 0;
}

}  // namespace lingma
