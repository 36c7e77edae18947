// Spawning, stopping and reaping child processes (the Lingma instances). At most one live child per
// object; the destructor never leaves a child behind.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace net {

struct SpawnOptions {
  std::filesystem::path program;
  std::vector<std::string> args;           // without argv[0]
  std::filesystem::path cwd;               // empty = inherit
  std::map<std::string, std::string> env;  // the child's whole environment (nothing inherited)
  std::filesystem::path output_file;       // stdout+stderr appended here; empty = /dev/null
};

// Exit status as a short human description: "exited with status 3", "killed by signal 9".
std::string DescribeExitStatus(int wait_status);

class ChildProcess {
 public:
  // Starts the program. The child gets its own process group and dies with the gateway
  // (PR_SET_PDEATHSIG), so a crashed gateway does not leave Lingma processes behind.
  // On failure returns nullptr and sets `error` (e.g. "not executable: /x/Lingma").
  static std::unique_ptr<ChildProcess> Spawn(const SpawnOptions& options, std::string& error);

  ~ChildProcess();  // SIGKILLs and reaps a child that is still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int pid() const { return pid_; }

  // Non-blocking: reaps the child if it has exited. nullopt while it runs.
  std::optional<int> Poll();
  std::optional<int> exit_status() const { return status_; }

  // SIGTERM, wait up to `grace`, then SIGKILL; always reaps. Returns the wait status.
  boost::asio::awaitable<int> Stop(boost::asio::any_io_executor executor,
                                   std::chrono::milliseconds grace);

 private:
  explicit ChildProcess(int pid) : pid_(pid) {}
  int pid_;
  std::optional<int> status_;
};

// Stops a process that is not our child (a daemonized Lingma whose pid came from `.info`):
// SIGTERM, wait up to `grace` for it to vanish, then SIGKILL. `alive` tells whether it still
// runs (the caller's notion, which knows zombies). Returns true if it is gone.
boost::asio::awaitable<bool> StopForeignProcess(boost::asio::any_io_executor executor, int pid,
                                                std::chrono::milliseconds grace,
                                                bool (*alive)(int pid));

// Sleeps on the executor (for polling loops).
boost::asio::awaitable<void> SleepFor(boost::asio::any_io_executor executor,
                                      std::chrono::milliseconds duration);

}  // namespace net
