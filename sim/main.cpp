// lingma-sim's entry point: the command line (start, version, status), the .info file and
// daemonizing; serving is server.cpp's.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sim/files.hpp"
#include "sim/info_file.hpp"
#include "sim/options.hpp"
#include "sim/server.hpp"

namespace {

constexpr int kUsageError = 2;

void PrintError(const std::string& message) {
  std::fprintf(stderr, "lingma-sim: %s\n", message.c_str());
}

int PrintStatus(const sim::Options& options) {
  const bool logged_in = options.knobs.auth == sim::AuthState::kLoggedIn;
  if (options.output == "json") {
    if (logged_in) {
      std::printf("{\"logged_in\":true,\"username\":\"sim-user\",\"version\":\"%s\"}\n",
                  options.server_version.c_str());
    } else {
      std::printf("{\"logged_in\":false,\"version\":\"%s\"}\n", options.server_version.c_str());
    }
  } else {
    std::printf("logged in: %s\nversion: %s\n", logged_in ? "yes (sim-user)" : "no",
                options.server_version.c_str());
  }
  return 0;
}

// Forks. The parent waits until the child reports that .info is written, then exits 0 (1 if
// the child died first). Returns, in the child only, the pipe end to report readiness on.
int Daemonize(const sim::Options& options) {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    std::perror("lingma-sim: pipe");
    std::exit(1);
  }
  const pid_t child = ::fork();
  if (child < 0) {
    std::perror("lingma-sim: fork");
    std::exit(1);
  }
  if (child > 0) {
    ::close(ready[1]);
    char byte = 0;
    ssize_t n;
    while ((n = ::read(ready[0], &byte, 1)) < 0 && errno == EINTR) {
    }
    if (n == 1) ::_exit(0);
    PrintError("the daemon exited before it was ready; see " + options.work_dir +
               "/logs/lingma-sim.log");
    ::_exit(1);
  }
  ::close(ready[0]);
  ::setsid();
  // A daemon must not hold the launcher's stdout/stderr open (a test reading them would wait
  // for the daemon to exit), so it logs into the workDir like Lingma's logs/lingma.log.
  const std::string log_dir = options.work_dir + "/logs";
  std::error_code ignored;
  std::filesystem::create_directories(log_dir, ignored);
  const int null_fd = ::open("/dev/null", O_RDONLY);
  const int log_fd =
      ::open((log_dir + "/lingma-sim.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
  if (log_fd >= 0) {
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
  }
  if (null_fd > STDERR_FILENO) ::close(null_fd);
  if (log_fd > STDERR_FILENO) ::close(log_fd);
  return ready[1];
}

int Start(const sim::Options& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.work_dir, ec);
  if (ec) {
    PrintError("cannot create --workDir " + options.work_dir + ": " + ec.message());
    return 1;
  }
  if (options.stale_info) {
    std::string error;
    if (!sim::WriteStaleInfoFile(options.work_dir, options.info_format, error)) {
      PrintError("cannot write a stale .info: " + error);
      return 1;
    }
    return 0;
  }
  std::signal(SIGPIPE, SIG_IGN);
  const int ready_fd = options.daemonize ? Daemonize(options) : -1;

  const std::string info_path = sim::InfoFilePath(options.work_dir, options.info_format);
  std::string info_content;
  sim::ServerHooks hooks;
  hooks.on_listening = [&](int port) {
    info_content = sim::InfoFileContent(options.info_format, port, ::getpid());
    std::string error;
    if (!sim::WriteFileAtomically(info_path, info_content, error)) {
      PrintError("cannot write " + info_path + ": " + error);
      info_content.clear();
      return false;
    }
    if (ready_fd >= 0) {
      const char byte = 1;
      [[maybe_unused]] const ssize_t n = ::write(ready_fd, &byte, 1);
      ::close(ready_fd);
    }
    return true;
  };
  hooks.on_clean_exit = [&] {
    if (!info_content.empty()) sim::RemoveInfoFileIfOurs(info_path, info_content);
  };
  return sim::RunServer(options, hooks);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const sim::EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  sim::Options options;
  std::string error;
  if (!sim::ParseOptions(args, env, options, error)) {
    PrintError(error);
    std::fprintf(stderr, "run `lingma-sim --help` for usage\n");
    return kUsageError;
  }
  switch (options.command) {
    case sim::Command::kHelp:
      std::fputs(sim::HelpText().c_str(), stdout);
      return 0;
    case sim::Command::kVersion:
      std::printf("%s\n", options.server_version.c_str());
      return 0;
    case sim::Command::kStatus:
      return PrintStatus(options);
    case sim::Command::kStart:
      return Start(options);
  }
  return kUsageError;
}
