// sse_floor: the least any HTTP gateway can do for a paced stream. It answers every request
// (the load generator sends `POST /v1/chat/completions`) with an OpenAI event stream of N
// content chunks, one every
// --delay-ms (each wait ending on the next --tick-us step, as lingma-sim paces), with no upstream,
// no JSON parsing and one `send` per chunk from a single epoll thread. What the load generator
// measures against it is what fanning the deltas out to that many client sockets costs on this
// machine: the floor under the gateway's added latency (`make bench` prints it beside the
// paced-stream rows).
//
// Plain POSIX on purpose: no Asio, so the floor includes no framework cost.
//
// Usage: sse_floor [--port N] [--deltas N] [--delay-ms N] [--tick-us N] [--content-bytes N]
//                  [--reuse-port 0|1]
// Prints {"port":N} on stdout once listening; runs until SIGINT or SIGTERM.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Settings {
  int port = 0;
  int deltas = 50;
  int delay_ms = 20;
  int tick_us = 1000;
  int content_bytes = 8;
  int reuse_port = 0;  // 1: SO_REUSEPORT, so several processes can share the port (one per core)
};

std::int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The first multiple of `tick_ns` at or after `deadline_ns` (the simulator's pacing).
std::int64_t CeilToTick(std::int64_t deadline_ns, std::int64_t tick_ns) {
  if (tick_ns <= 0) return deadline_ns;
  const std::int64_t rest = deadline_ns % tick_ns;
  return rest == 0 ? deadline_ns : deadline_ns + (tick_ns - rest);
}

// The bytes of one stream, shaped like the gateway's (same chunk sizes, same order).
class StreamText {
 public:
  explicit StreamText(int content_bytes) : content_(static_cast<std::size_t>(content_bytes), 'x') {}

  // The response head and the role chunk with the first content chunk (the gateway holds the
  // role chunk until the first delta).
  void AppendFirst(std::string& out) const {
    out.append(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "Transfer-Encoding: chunked\r\n\r\n");
    std::string body = Event(R"({"role":"assistant","content":""})", "null");
    body.append(Event(ContentDelta(), "null"));
    AppendChunk(out, body);
  }

  void AppendContent(std::string& out) const { AppendChunk(out, Event(ContentDelta(), "null")); }

  void AppendEnd(std::string& out) const {
    std::string body = Event("{}", "\"stop\"");
    body.append("data: [DONE]\n\n");
    AppendChunk(out, body);
    out.append("0\r\n\r\n");
  }

 private:
  std::string ContentDelta() const { return R"({"content":")" + content_ + "\"}"; }

  static std::string Event(std::string_view delta, std::string_view finish) {
    std::string e =
        R"(data: {"id":"chatcmpl-0VPONardSz8mYsAmJTlLaVao","object":"chat.completion.chunk",)"
        R"("created":1795767700,"model":"auto","choices":[{"index":0,"delta":)";
    e.append(delta).append(R"(,"logprobs":null,"finish_reason":)").append(finish).append("}]}\n\n");
    return e;
  }

  static void AppendChunk(std::string& out, std::string_view body) {
    char size[16];
    const auto end = std::to_chars(size, size + sizeof size, body.size(), 16).ptr;
    out.append(size, end).append("\r\n").append(body).append("\r\n");
  }

  std::string content_;
};

struct Conn {
  int fd = -1;
  std::uint64_t generation = 0;  // tells a stale timer entry from the live stream
  std::string in;
  std::string out;  // bytes the socket has not taken yet
  bool want_write = false;
  int sent = -1;  // content chunks sent; -1 while reading a request
};

struct Due {
  std::int64_t at_ns;
  int fd;
  std::uint64_t generation;
  bool operator>(const Due& o) const { return at_ns > o.at_ns; }
};

class Server {
 public:
  Server(const Settings& s) : s_(s), text_(s.content_bytes) {}

  bool Start() {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    epoll_ = epoll_create1(0);
    timer_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    if (listener_ < 0 || epoll_ < 0 || timer_ < 0) {
      std::perror("sse_floor: socket, epoll or timerfd");
      return false;
    }
    const int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (s_.reuse_port != 0) setsockopt(listener_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(s_.port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listener_, 4096) != 0) {
      std::perror("sse_floor: listen");
      return false;
    }
    socklen_t len = sizeof addr;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    Watch(listener_, EPOLLIN, EPOLL_CTL_ADD);
    Watch(timer_, EPOLLIN, EPOLL_CTL_ADD);
    return true;
  }

  int port() const { return port_; }

  void Run(const volatile sig_atomic_t& stop) {
    std::vector<epoll_event> events(1024);
    while (!stop) {
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 200);
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == listener_) {
          Accept();
        } else if (fd == timer_) {
          std::uint64_t expirations;
          [[maybe_unused]] auto r = read(timer_, &expirations, sizeof expirations);
        } else {
          if (events[i].events & EPOLLOUT) Flush(fd);
          if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) Read(fd);
        }
      }
      RunDue();
    }
  }

 private:
  void Watch(int fd, std::uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    epoll_ctl(epoll_, op, fd, &ev);
  }

  void Accept() {
    for (;;) {
      const int fd = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
        // Out of descriptors: the listener would stay readable and spin this loop, inflating the
        // floor's CPU. Stop accepting; the clients that wait then fail visibly.
        std::perror("sse_floor: accept (no longer accepting)");
        epoll_ctl(epoll_, EPOLL_CTL_DEL, listener_, nullptr);
        return;
      }
      if (fd < 0) return;
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (static_cast<std::size_t>(fd) >= conns_.size()) conns_.resize(fd + 1024);
      conns_[fd] = std::make_unique<Conn>();
      conns_[fd]->fd = fd;
      conns_[fd]->generation = ++generations_;
      Watch(fd, EPOLLIN, EPOLL_CTL_ADD);
    }
  }

  void Close(int fd) {
    epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns_[fd].reset();
  }

  void Read(int fd) {
    Conn* c = conns_[fd].get();
    if (c == nullptr) return;
    char buf[16384];
    for (;;) {
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        c->in.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        Close(fd);
        return;
      }
      if (errno != EINTR) break;
    }
    if (c->sent < 0 && !MaybeStartStream(*c)) Close(fd);
  }

  // A whole request (head and Content-Length body) starts a stream; its first chunk is due
  // one delay from now. False for a request it cannot read (the caller closes the connection).
  bool MaybeStartStream(Conn& c) {
    const auto head_end = c.in.find("\r\n\r\n");
    if (head_end == std::string::npos) return true;
    std::size_t body = 0;
    const std::string_view head(c.in.data(), head_end);
    for (std::size_t at = 0; at < head.size();) {
      const auto eol = head.find("\r\n", at);
      std::string_view line = head.substr(at, eol == std::string_view::npos ? head.npos : eol - at);
      at = eol == std::string_view::npos ? head.size() : eol + 2;
      constexpr std::string_view kLength = "content-length:";
      if (line.size() > kLength.size() &&
          strncasecmp(line.data(), kLength.data(), kLength.size()) == 0) {
        line.remove_prefix(kLength.size());
        while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), body);
        if (ec != std::errc() || end != line.data() + line.size()) return false;
      }
    }
    if (c.in.size() < head_end + 4 + body) return true;
    c.in.erase(0, head_end + 4 + body);
    c.sent = 0;
    Schedule(c);
    return true;
  }

  void Schedule(Conn& c) {
    const std::int64_t at = CeilToTick(NowNs() + std::int64_t{s_.delay_ms} * 1'000'000,
                                       std::int64_t{s_.tick_us} * 1000);
    due_.push({at, c.fd, c.generation});
    if (due_.top().at_ns == at) ArmTimer(at);
  }

  void ArmTimer(std::int64_t at_ns) {
    itimerspec spec{};
    spec.it_value.tv_sec = at_ns / 1'000'000'000;
    spec.it_value.tv_nsec = at_ns % 1'000'000'000;
    timerfd_settime(timer_, TFD_TIMER_ABSTIME, &spec, nullptr);
  }

  void RunDue() {
    const std::int64_t now = NowNs();
    while (!due_.empty() && due_.top().at_ns <= now) {
      const Due d = due_.top();
      due_.pop();
      Conn* c = conns_[d.fd].get();
      if (c == nullptr || c->generation != d.generation) continue;
      Step(*c);
    }
    if (!due_.empty()) ArmTimer(due_.top().at_ns);
  }

  void Step(Conn& c) {
    if (c.sent == 0) {
      text_.AppendFirst(c.out);
    } else {
      text_.AppendContent(c.out);
    }
    ++c.sent;
    const bool last = c.sent == s_.deltas;
    if (last) text_.AppendEnd(c.out);
    const int fd = c.fd;
    if (!Flush(fd)) return;
    if (last) {
      c.sent = -1;
      if (!MaybeStartStream(c)) Close(fd);  // a request that arrived meanwhile
    } else {
      Schedule(c);
    }
  }

  // Sends what the socket takes; false when the connection was closed.
  bool Flush(int fd) {
    Conn* c = conns_[fd].get();
    if (c == nullptr) return false;
    while (!c->out.empty()) {
      const ssize_t n = send(fd, c->out.data(), c->out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        c->out.erase(0, static_cast<std::size_t>(n));
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      } else if (errno != EINTR) {
        Close(fd);
        return false;
      }
    }
    const bool want = !c->out.empty();
    if (want != c->want_write) {
      c->want_write = want;
      Watch(fd, want ? EPOLLIN | EPOLLOUT : EPOLLIN, EPOLL_CTL_MOD);
    }
    return true;
  }

  Settings s_;
  StreamText text_;
  int listener_ = -1;
  int epoll_ = -1;
  int timer_ = -1;
  int port_ = 0;
  std::uint64_t generations_ = 0;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
};

volatile sig_atomic_t g_stop = 0;

bool ParseInt(const char* text, int& out) {
  const char* end = text + std::strlen(text);
  const auto [ptr, ec] = std::from_chars(text, end, out);
  return ec == std::errc() && ptr == end && out >= 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    int* target = flag == "--port"            ? &s.port
                  : flag == "--deltas"        ? &s.deltas
                  : flag == "--delay-ms"      ? &s.delay_ms
                  : flag == "--tick-us"       ? &s.tick_us
                  : flag == "--content-bytes" ? &s.content_bytes
                  : flag == "--reuse-port"    ? &s.reuse_port
                                              : nullptr;
    if (target == nullptr || i + 1 >= argc || !ParseInt(argv[i + 1], *target)) {
      std::fprintf(stderr,
                   "usage: sse_floor [--port N] [--deltas N] [--delay-ms N] [--tick-us N] "
                   "[--content-bytes N] [--reuse-port 0|1]\n");
      return 2;
    }
    ++i;
  }
  if (s.deltas < 1) s.deltas = 1;
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_stop = 1; };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  Server server(s);
  if (!server.Start()) return 1;
  std::printf("{\"port\":%d}\n", server.port());
  std::fflush(stdout);
  server.Run(g_stop);
  return 0;
}
