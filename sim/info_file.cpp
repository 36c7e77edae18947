// The .info discovery file; see info_file.hpp.
#include "sim/info_file.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "sim/files.hpp"

namespace sim {

std::string InfoFilePath(const std::string& work_dir, InfoFormat format) {
  std::string path = work_dir;
  if (!path.empty() && path.back() != '/') path.push_back('/');
  path.append(format == InfoFormat::kJson ? ".info.json" : ".info");
  return path;
}

std::string InfoFileContent(InfoFormat format, int port, long pid) {
  if (format == InfoFormat::kJson) {
    return "{\"websocketPort\":" + std::to_string(port) + ",\"pid\":" + std::to_string(pid) +
           ",\"ipcServerPath\":\"\"}";
  }
  return std::to_string(port) + "\n" + std::to_string(pid);
}

void RemoveInfoFileIfOurs(const std::string& path, const std::string& content) {
  std::optional<std::string> current = ReadSmallFile(path);
  if (current && *current == content) std::remove(path.c_str());
}

namespace {

// A loopback port that was free a moment ago and has no listener now.
int ClosedPort(std::string& error) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  } else {
    error = std::string("bind: ") + std::strerror(errno);
  }
  ::close(fd);
  return port;
}

// The pid of a child that has exited and been reaped: no process has it (until pids wrap).
long DeadPid(std::string& error) {
  const pid_t child = ::fork();
  if (child < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    return -1;
  }
  if (child == 0) ::_exit(0);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return child;
}

}  // namespace

bool WriteStaleInfoFile(const std::string& work_dir, InfoFormat format, std::string& error) {
  const int port = ClosedPort(error);
  if (port < 0) return false;
  const long pid = DeadPid(error);
  if (pid < 0) return false;
  return WriteFileAtomically(InfoFilePath(work_dir, format), InfoFileContent(format, port, pid),
                             error);
}

}  // namespace sim
