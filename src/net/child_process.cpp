// fork/exec based child processes; see child_process.hpp.
#include "net/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>

namespace net {
namespace asio = boost::asio;

std::string DescribeExitStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended (wait status " + std::to_string(status) + ")";
}

asio::awaitable<void> SleepFor(asio::any_io_executor executor, std::chrono::milliseconds duration) {
  asio::steady_timer timer(executor, duration);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

std::unique_ptr<ChildProcess> ChildProcess::Spawn(const SpawnOptions& options, std::string& error) {
  if (access(options.program.c_str(), X_OK) != 0) {
    error = (errno == ENOENT ? "not found: " : "not executable: ") + options.program.string();
    return nullptr;
  }
  // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
  std::vector<std::string> argv_storage;
  argv_storage.push_back(options.program.string());
  argv_storage.insert(argv_storage.end(), options.args.begin(), options.args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (const auto& [k, v] : options.env) env_storage.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  const std::string output =
      options.output_file.empty() ? "/dev/null" : options.output_file.string();
  const int out_fd = open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (out_fd < 0) {
    error = "cannot open " + output + ": " + std::strerror(errno);
    return nullptr;
  }
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  // A pipe that closes on exec tells the parent whether exec failed, and why.
  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    close(out_fd);
    if (null_fd >= 0) close(null_fd);
    return nullptr;
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    close(out_fd);
    if (null_fd >= 0) close(null_fd);
    close(status_pipe[0]);
    close(status_pipe[1]);
    return nullptr;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
    setpgid(0, 0);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) {
      const int err = errno;
      (void)!write(status_pipe[1], &err, sizeof err);
      _exit(127);
    }
    execve(argv[0], argv.data(), envp.data());
    const int err = errno;
    (void)!write(status_pipe[1], &err, sizeof err);
    _exit(127);
  }
  close(out_fd);
  if (null_fd >= 0) close(null_fd);
  close(status_pipe[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(status_pipe[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close(status_pipe[0]);
  auto child = std::unique_ptr<ChildProcess>(new ChildProcess(pid));
  if (n == sizeof child_errno) {
    child->Poll();
    while (!child->status_) {
      int status = 0;
      if (waitpid(pid, &status, 0) == pid) child->status_ = status;
    }
    error = "cannot start " + options.program.string() + ": " + std::strerror(child_errno);
    return nullptr;
  }
  return child;
}

std::optional<int> ChildProcess::Poll() {
  if (status_) return status_;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) status_ = status;
  if (r < 0 && errno == ECHILD) status_ = 0;  // reaped elsewhere; nothing left to wait for
  return status_;
}

asio::awaitable<int> ChildProcess::Stop(asio::any_io_executor executor,
                                        std::chrono::milliseconds grace) {
  if (Poll()) co_return *status_;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  auto step = std::chrono::milliseconds(5);
  while (!Poll() && std::chrono::steady_clock::now() < deadline) {
    co_await SleepFor(executor, step);
    step = std::min(step * 2, std::chrono::milliseconds(50));
  }
  if (!status_) {
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = status;
  }
  co_return *status_;
}

ChildProcess::~ChildProcess() {
  if (Poll()) return;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

asio::awaitable<bool> StopForeignProcess(asio::any_io_executor executor, int pid,
                                         std::chrono::milliseconds grace, bool (*alive)(int pid)) {
  if (!alive(pid)) co_return true;
  kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (alive(pid) && std::chrono::steady_clock::now() < deadline) {
    co_await SleepFor(executor, std::chrono::milliseconds(20));
  }
  if (alive(pid)) {
    kill(pid, SIGKILL);
    for (int i = 0; i < 50 && alive(pid); ++i) {
      co_await SleepFor(executor, std::chrono::milliseconds(20));
    }
  }
  co_return !alive(pid);
}

}  // namespace net
