// net::HttpServer against real sockets. Streamed responses: chunks arrive whole and in order,
// also for a client that stops reading for a while, also when the handler writes nothing more
// until the client has everything (nothing is held back for a later write), and for many streams
// written in the same turn of the event loop. Whole responses: framing that keeps a kept-alive
// connection usable (HEAD, 204) and a large body to a slow reader. Request bodies: large, small,
// in parts and chunked, arrive whole.
#include "net/http_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/child_process.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
  co_await net::SleepFor(co_await asio::this_coro::executor, d);
}

// Lets the event loop run the handlers that are ready once.
asio::awaitable<void> Yield() {
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
}

// Chunk `i` of a stream: distinct bytes, so a lost, doubled or reordered chunk shows.
std::string ChunkText(int stream, int i, std::size_t size) {
  // Appended, not joined with `+`: GCC 12 at -O3 reports a false -Wrestrict on `"<" + string`.
  std::string text = "<";
  text.append(std::to_string(stream)).append(":").append(std::to_string(i)).append(">");
  while (text.size() < size) text.push_back(static_cast<char>('a' + (i + text.size()) % 26));
  text.resize(size);
  return text;
}

// This process's end of the TCP connection between the two ports, or -1. The tests' server runs
// in-process, so a test can shrink the buffers of the socket the server writes to.
int ServerSideSocket(std::uint16_t server_port, std::uint16_t client_port) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    sockaddr_in local{}, peer{};
    socklen_t local_size = sizeof local, peer_size = sizeof peer;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) != 0) continue;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0) continue;
    if (local.sin_family == AF_INET && ntohs(local.sin_port) == server_port &&
        ntohs(peer.sin_port) == client_port) {
      return fd;
    }
  }
  return -1;
}

// A blocking HTTP/1.1 client on a raw socket: the test decides when it reads.
class RawClient {
 public:
  RawClient(std::uint16_t port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    timeval timeout{10, 0};  // a test that would hang fails instead
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawClient() { ::close(fd_); }

  bool connected() const { return connected_; }

  std::uint16_t local_port() const {
    sockaddr_in address{};
    socklen_t size = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    return ntohs(address.sin_port);
  }

  void SendRequest(const std::string& path, const std::string& method = "GET") {
    const std::string request = method + " " + path + " HTTP/1.1\r\nHost: test\r\n\r\n";
    ASSERT_EQ(::send(fd_, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  }

  // Sends `bytes` as they are, in one send or, with `pause`, in two halves with a pause between.
  void SendRaw(const std::string& bytes, std::chrono::milliseconds pause = 0ms) {
    const std::size_t first = pause.count() > 0 ? bytes.size() / 2 : bytes.size();
    ASSERT_TRUE(SendAll(std::string_view(bytes).substr(0, first)));
    if (first == bytes.size()) return;
    std::this_thread::sleep_for(pause);
    ASSERT_TRUE(SendAll(std::string_view(bytes).substr(first)));
  }

  // Reads one response that is not chunked: its head, then Content-Length bytes of body, or no
  // body when `expect_body` is false (a HEAD request, a 204). False on a read error or timeout.
  bool ReadWhole(bool expect_body) {
    head_.clear();
    body_.clear();
    while (raw_.find("\r\n\r\n") == std::string::npos) {
      if (!ReadMore()) return false;
    }
    const auto end = raw_.find("\r\n\r\n") + 4;
    head_ = raw_.substr(0, end);
    raw_.erase(0, end);
    std::size_t length = 0;
    const auto at = head_.find("Content-Length: ");
    if (at != std::string::npos) length = std::stoul(head_.substr(at + 16));
    if (!expect_body) return true;
    while (raw_.size() < length) {
      if (!ReadMore()) return false;
    }
    body_ = raw_.substr(0, length);
    raw_.erase(0, length);
    return true;
  }

  const std::string& head() const { return head_; }
  // Bytes received after the last response read.
  const std::string& unread() const { return raw_; }

  // Reads until `body_bytes` of chunk data have arrived (or the response ended); false on a
  // read error or timeout.
  bool ReadBody(std::size_t body_bytes) {
    while (body_.size() < body_bytes && !ended_) {
      if (!Parse()) continue;
      if (!ReadMore()) return false;
    }
    return true;
  }

  // Reads to the terminating chunk.
  bool ReadToEnd() {
    while (!ended_) {
      if (!Parse()) continue;
      if (!ReadMore()) return false;
    }
    return true;
  }

  const std::string& body() const { return body_; }
  bool ended() const { return ended_; }

  // After a response was read to its end: reads the next one on the same connection.
  void ExpectNextResponse() {
    head_done_ = false;
    ended_ = false;
    body_.clear();
  }

 private:
  bool SendAll(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  bool ReadMore() {
    char buffer[65536];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    raw_.append(buffer, static_cast<std::size_t>(n));
    return true;
  }

  // Consumes what it can of raw_; true when it needs more bytes.
  bool Parse() {
    if (!head_done_) {
      const auto end = raw_.find("\r\n\r\n");
      if (end == std::string::npos) return true;
      EXPECT_NE(raw_.find("Transfer-Encoding: chunked"), std::string::npos) << raw_.substr(0, end);
      head_ = raw_.substr(0, end + 4);
      raw_.erase(0, end + 4);
      head_done_ = true;
    }
    const auto line_end = raw_.find("\r\n");
    if (line_end == std::string::npos) return true;
    const std::size_t size = std::stoul(raw_.substr(0, line_end), nullptr, 16);
    if (raw_.size() < line_end + 2 + size + 2) return true;
    EXPECT_EQ(raw_.substr(line_end + 2 + size, 2), "\r\n");
    body_.append(raw_, line_end + 2, size);
    raw_.erase(0, line_end + 2 + size + 2);
    if (size == 0) ended_ = true;
    return false;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool head_done_ = false;
  bool ended_ = false;
  std::string raw_;
  std::string head_;
  std::string body_;
};

// A server on its own io_context whose handler the test supplies; run() serves until `done`.
struct Fixture {
  asio::io_context io;
  std::unique_ptr<net::HttpServer> server;

  explicit Fixture(net::HttpHandler handler, std::size_t max_body_bytes = 16 * 1024 * 1024) {
    net::HttpServerOptions options;
    options.write_timeout = 20s;
    options.max_body_bytes = max_body_bytes;
    server = net::HttpServer::Start(io.get_executor(), options, std::move(handler));
  }

  void RunUntil(const std::atomic<bool>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!done && std::chrono::steady_clock::now() < deadline) io.run_for(10ms);
  }
};

// A request with a body, with Content-Length or, when `chunk_size` is not 0, chunked.
std::string PostRequest(const std::string& body, std::size_t chunk_size = 0) {
  std::string request = "POST /echo HTTP/1.1\r\nHost: test\r\n";
  if (chunk_size == 0) {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return request;
  }
  request += "Transfer-Encoding: chunked\r\n\r\n";
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t at = 0; at < body.size(); at += chunk_size) {
    const std::string_view piece = std::string_view(body).substr(at, chunk_size);
    std::string size;
    for (std::size_t n = piece.size(); n > 0; n >>= 4) size.insert(size.begin(), kHex[n & 0xf]);
    request.append(size).append("\r\n").append(piece).append("\r\n");
  }
  return request + "0\r\n\r\n";
}

// A client with the kernel's smallest receive buffer that reads nothing for 300 ms, then reads
// `bytes` of body, says so in `has_all`, and reads to the end of the response.
struct LateReader {
  std::atomic<int> port = 0;          // its local port, once connected
  std::atomic<bool> has_all = false;  // it read `bytes` of body
  std::atomic<bool> done = false;
  bool ended_early = true;  // the response ended before it had `bytes`
  std::string body;
  std::thread thread;

  void Start(std::uint16_t server_port, std::size_t bytes) {
    thread = std::thread([this, server_port, bytes] {
      RawClient c(server_port, 1);
      if (c.connected()) {
        port = c.local_port();
        c.SendRequest("/stream");
        std::this_thread::sleep_for(300ms);
        if (c.ReadBody(bytes)) {
          ended_early = c.ended();
          has_all = true;
          c.ReadToEnd();
        }
        body = c.body();
      }
      done = true;
    });
  }
  void Join() {
    if (thread.joinable()) thread.join();
  }
  ~LateReader() { Join(); }
};

// In a handler: waits until `flag` is set, at most 15 s; false if it never was.
asio::awaitable<bool> WaitFor(const std::atomic<bool>& flag) {
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (!flag && std::chrono::steady_clock::now() < deadline) co_await Sleep(5ms);
  co_return flag.load();
}

TEST(HttpStream, AClientThatPausesReadingGetsEveryChunkInOrder) {
  constexpr int kChunks = 256;
  constexpr std::size_t kChunkBytes = 32 * 1024;  // 8 MiB in all: far more than socket buffers
  std::string expected;
  for (int i = 0; i < kChunks; ++i) expected += ChunkText(0, i, kChunkBytes);
  bool all_written = true;
  Fixture fixture([&](const net::HttpRequest&,
                      net::ResponseStream& stream) -> asio::awaitable<net::HttpResponse> {
    stream.Begin(200, {}, "application/octet-stream");
    for (int i = 0; i < kChunks; ++i) {
      const bool ok = co_await stream.Write(ChunkText(0, i, kChunkBytes));
      all_written = all_written && ok;
      if (i % 4 == 0) co_await Yield();  // some writes back to back, some after other work
    }
    co_await stream.End();
    co_return net::HttpResponse{};
  });
  std::atomic<bool> done = false;
  std::string body;
  bool read_ok = false;
  std::thread client([&] {
    RawClient c(fixture.server->port(), 16 * 1024);
    if (c.connected()) {
      c.SendRequest("/stream");
      std::this_thread::sleep_for(300ms);  // the server's socket fills up meanwhile
      read_ok = c.ReadToEnd();
      body = c.body();
    }
    done = true;
  });
  fixture.RunUntil(done);
  client.join();
  EXPECT_TRUE(read_ok);
  EXPECT_TRUE(all_written);
  ASSERT_EQ(body.size(), expected.size());
  EXPECT_TRUE(body == expected) << "chunks lost, doubled or out of order";
}

TEST(HttpStream, ChunksLeaveWithoutAnotherWriteOrEnd) {
  // The handler writes, then waits for the client to have everything before it ends the
  // response: what it wrote must go out on its own, also what a socket that was full (the
  // client reads nothing at first and has a small receive buffer) did not take at once.
  constexpr int kChunks = 8;
  constexpr std::size_t kChunkBytes = 30 * 1024;
  std::string expected;
  for (int i = 0; i < kChunks; ++i) expected += ChunkText(0, i, kChunkBytes);
  LateReader client;
  bool waited_out = false;
  Fixture fixture([&](const net::HttpRequest&,
                      net::ResponseStream& stream) -> asio::awaitable<net::HttpResponse> {
    stream.Begin(200, {}, "application/octet-stream");
    for (int i = 0; i < kChunks; ++i) {
      co_await stream.Write(ChunkText(0, i, kChunkBytes));
      co_await Yield();
    }
    waited_out = !co_await WaitFor(client.has_all);
    co_await stream.End();
    co_return net::HttpResponse{};
  });
  client.Start(fixture.server->port(), expected.size());
  fixture.RunUntil(client.done);
  client.Join();
  EXPECT_FALSE(waited_out) << "the last chunks were held back until End";
  EXPECT_FALSE(client.ended_early);
  EXPECT_TRUE(client.body == expected);
}

TEST(HttpStream, WhatTheSocketDidNotTakeLeavesOnceTheClientReads) {
  // A chunk queued for the batch meets a full socket: the server's send buffer is shrunk to a few
  // KiB and the client has the smallest receive buffer and reads nothing yet. The handler then
  // writes nothing more until the client has the whole chunk, so the rest must leave by itself.
  const std::string first = "first";
  const std::string big = ChunkText(0, 1, 48 * 1024);
  std::uint16_t server_port = 0;  // set once the server listens, before any request
  LateReader client;
  bool shrunk = false;
  bool waited_out = false;
  Fixture fixture([&](const net::HttpRequest&,
                      net::ResponseStream& stream) -> asio::awaitable<net::HttpResponse> {
    const int fd = ServerSideSocket(server_port, static_cast<std::uint16_t>(client.port.load()));
    int bytes = 4096;
    shrunk = fd >= 0 && ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes) == 0;
    stream.Begin(200, {}, "application/octet-stream");
    co_await stream.Write(first);  // the first chunk goes at once
    co_await stream.Write(big);    // queued; the flush finds the socket full
    waited_out = !co_await WaitFor(client.has_all);
    co_await stream.End();
    co_return net::HttpResponse{};
  });
  server_port = fixture.server->port();
  client.Start(server_port, first.size() + big.size());
  fixture.RunUntil(client.done);
  client.Join();
  EXPECT_TRUE(shrunk) << "the server's socket was not found";
  EXPECT_FALSE(waited_out) << "the rest of the chunk stayed queued until End";
  EXPECT_TRUE(client.body == first + big);
}

TEST(HttpStream, QueueTakesChunksOnlyWhileNoWaitIsNeeded) {
  // can_queue() is false before the head left (the first chunk goes with it, at once) and once
  // the socket is full (what it did not take waits for the client); Queue()d chunks arrive in
  // order with the written ones.
  std::uint16_t server_port = 0;  // set once the server listens, before any request
  std::atomic<int> client_port = 0;
  std::vector<bool> can;  // before Begin, after Begin, after the first Write, with two queued
  bool full_refused = false;
  std::string expected = "first" + std::string("second") + "third";
  Fixture fixture([&](const net::HttpRequest&,
                      net::ResponseStream& stream) -> asio::awaitable<net::HttpResponse> {
    const int fd = ServerSideSocket(server_port, static_cast<std::uint16_t>(client_port.load()));
    int bytes = 4096;
    if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
    can.push_back(stream.can_queue());
    stream.Begin(200, {}, "application/octet-stream");
    can.push_back(stream.can_queue());
    co_await stream.Write("first");
    can.push_back(stream.can_queue());
    stream.Queue("second");
    stream.Queue("third");
    can.push_back(stream.can_queue());
    co_await Yield();  // the batch writes them
    for (int i = 0; i < 64 && stream.can_queue(); ++i) {
      const std::string big = ChunkText(0, 2 + i, 16 * 1024);  // distinct: order shows
      stream.Queue(big);
      expected += big;
      co_await Yield();
    }
    full_refused = !stream.can_queue();
    co_await stream.End();  // waits for the client to read the rest
    co_return net::HttpResponse{};
  });
  server_port = fixture.server->port();
  std::atomic<bool> done = false;
  std::string body;
  std::thread client([&] {
    RawClient c(server_port, 1);
    if (c.connected()) {
      client_port = c.local_port();
      c.SendRequest("/stream");
      std::this_thread::sleep_for(300ms);  // the server's socket fills up meanwhile
      c.ReadToEnd();
      body = c.body();
    }
    done = true;
  });
  fixture.RunUntil(done);
  client.join();
  // Before Begin: no; after it: yes (the head waits for the first chunk, queued or written).
  EXPECT_EQ(can, (std::vector<bool>{false, true, true, true}));
  EXPECT_TRUE(full_refused) << "a full socket still took chunks without waiting";
  EXPECT_EQ(body.size(), expected.size());
  EXPECT_TRUE(body == expected) << "queued chunks lost, doubled or out of order";
}

TEST(HttpStream, TheFirstChunkQueuedAfterBeginLeavesAtOnceWithTheHead) {
  // What the SSE sink does with a turn's first delta: Begin and Queue, no awaited write. A client
  // waits for its first token, not for the other streams' chunks of the same burst: the head and
  // the chunk leave before the event loop runs again (the handler holds it until the client has
  // them), and the response ends normally.
  std::atomic<bool> first_arrived = false;
  bool arrived_before_the_loop_ran = false;
  Fixture fixture([&](const net::HttpRequest&,
                      net::ResponseStream& stream) -> asio::awaitable<net::HttpResponse> {
    stream.Begin(200, {{"X-First", "yes"}}, "text/event-stream");
    if (stream.can_queue()) stream.Queue("data: one\n\n");
    for (int i = 0; i < 300 && !first_arrived; ++i) std::this_thread::sleep_for(10ms);
    arrived_before_the_loop_ran = first_arrived;
    co_await Yield();
    co_await stream.Write("data: two\n\n");
    co_await stream.End();
    co_return net::HttpResponse{};
  });
  std::atomic<bool> done = false;
  std::string head, body;
  bool read_ok = false;
  std::thread client([&] {
    RawClient c(fixture.server->port());
    if (c.connected()) {
      c.SendRequest("/stream");
      first_arrived = c.ReadBody(std::string_view("data: one\n\n").size()) && !c.ended();
      read_ok = c.ReadToEnd();
      head = c.head();
      body = c.body();
    }
    done = true;
  });
  fixture.RunUntil(done);
  client.join();
  EXPECT_TRUE(arrived_before_the_loop_ran) << "the first chunk waited for the batch";
  EXPECT_TRUE(read_ok);
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("X-First: yes\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << head;
  EXPECT_EQ(body, "data: one\n\ndata: two\n\n");
}

TEST(HttpStream, AStreamEndedWhileItsRestWaitsForTheClientKeepsTheConnection) {
  // The first response ends (End drains) while the writable watcher still waits for the client to
  // read what the socket did not take: both wait on the same socket. Once the client has read
  // everything, the connection must serve its next request, without a watcher of the old stream
  // interfering with the new one.
  const std::string first = "first";
  const std::string big = ChunkText(0, 1, 48 * 1024);
  const std::string second = ChunkText(1, 0, 3000);
  std::uint16_t server_port = 0;
  std::atomic<int> client_port = 0;
  bool shrunk = false;
  bool first_ended = false;
  int served = 0;
  Fixture fixture([&](const net::HttpRequest& request,
                      net::ResponseStream& stream) -> asio::awaitable<net::HttpResponse> {
    ++served;
    if (request.path == "/1") {
      const int fd = ServerSideSocket(server_port, static_cast<std::uint16_t>(client_port.load()));
      int bytes = 4096;
      shrunk = fd >= 0 && ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes) == 0;
      stream.Begin(200, {}, "application/octet-stream");
      co_await stream.Write(first);  // at once
      co_await stream.Write(big);    // queued; the flush leaves most of it to the watcher
      co_await Yield();              // the flush runs and arms the watcher
      co_await stream.End();
      first_ended = true;
    } else {
      stream.Begin(200, {}, "text/plain");
      co_await stream.Write(second);
      co_await stream.End();
    }
    co_return net::HttpResponse{};
  });
  server_port = fixture.server->port();
  std::atomic<bool> done = false;
  std::string body1;
  std::string body2;
  bool read1 = false;
  bool read2 = false;
  std::thread client([&] {
    RawClient c(server_port, 1);
    if (c.connected()) {
      client_port = c.local_port();
      c.SendRequest("/1");
      std::this_thread::sleep_for(300ms);  // End waits for the client meanwhile
      read1 = c.ReadToEnd();
      body1 = c.body();
      c.ExpectNextResponse();
      c.SendRequest("/2");
      read2 = c.ReadToEnd();
      body2 = c.body();
    }
    done = true;
  });
  fixture.RunUntil(done);
  client.join();
  EXPECT_TRUE(shrunk) << "the server's socket was not found";
  EXPECT_TRUE(first_ended);
  EXPECT_TRUE(read1);
  EXPECT_TRUE(body1 == first + big);
  EXPECT_TRUE(read2) << "the kept-alive connection did not answer its second request";
  EXPECT_TRUE(body2 == second);
  EXPECT_EQ(served, 2);
}

TEST(HttpStream, StreamsWrittenInOneTurnEachGetTheirOwnChunks) {
  constexpr int kStreams = 40;
  constexpr int kRounds = 20;
  // Every handler writes its chunk of a round in the same turn of the event loop (they all wait
  // for the same round), the way one WebSocket message from Lingma feeds many turns.
  asio::io_context* io = nullptr;
  int round = 0;
  int waiting = 0;
  std::vector<std::string> expected(kStreams);
  for (int s = 0; s < kStreams; ++s) {
    for (int r = 0; r < kRounds; ++r) expected[s] += ChunkText(s, r, 100 + 37 * s);
  }
  std::optional<Fixture> fixture;
  fixture.emplace([&](const net::HttpRequest& request,
                      net::ResponseStream& stream) -> asio::awaitable<net::HttpResponse> {
    const int s = std::stoi(request.path.substr(1));
    stream.Begin(200, {}, "text/plain");
    for (int r = 0; r < kRounds; ++r) {
      ++waiting;
      while (round <= r) co_await Sleep(1ms);
      --waiting;
      co_await stream.Write(ChunkText(s, r, 100 + 37 * s));
    }
    co_await stream.End();
    co_return net::HttpResponse{};
  });
  io = &fixture->io;
  std::atomic<bool> done = false;
  std::vector<std::string> bodies(kStreams);
  std::atomic<int> finished = 0;
  std::vector<std::thread> clients;
  for (int s = 0; s < kStreams; ++s) {
    clients.emplace_back([&, s] {
      RawClient c(fixture->server->port());
      if (c.connected()) {
        c.SendRequest(std::string("/").append(std::to_string(s)));
        c.ReadToEnd();
        bodies[s] = c.body();
      }
      if (++finished == kStreams) done = true;
    });
  }
  // Rounds advance once every stream waits for them: all chunks of a round in one turn.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    io->run_for(2ms);
    if (waiting == kStreams && round < kRounds) ++round;
  }
  for (auto& t : clients) t.join();
  for (int s = 0; s < kStreams; ++s) {
    EXPECT_TRUE(bodies[s] == expected[s]) << "stream " << s;
  }
}

TEST(HttpStream, AHandlerThatReturnsWithAChunkQueuedEndsTheConnection) {
  // The stream is gone before the batch's flush runs: its queued chunk is dropped with it and
  // the connection is closed without the last chunk, so the client sees a cut-off response.
  int served = 0;
  Fixture fixture([&](const net::HttpRequest&,
                      net::ResponseStream& stream) -> asio::awaitable<net::HttpResponse> {
    ++served;
    stream.Begin(200, {}, "text/plain");
    co_await stream.Write("first");   // at once
    co_await stream.Write("second");  // queued; the handler returns before the flush
    co_return net::HttpResponse{};
  });
  std::atomic<bool> done = false;
  std::string body;
  bool ended = true;
  std::string second_body;
  std::thread client([&] {
    {
      RawClient c(fixture.server->port());
      if (c.connected()) {
        c.SendRequest("/stream");
        c.ReadToEnd();  // false at the close
        body = c.body();
        ended = c.ended();
      }
    }
    RawClient again(fixture.server->port());  // the server goes on serving
    if (again.connected()) {
      again.SendRequest("/stream");
      again.ReadToEnd();
      second_body = again.body();
    }
    done = true;
  });
  fixture.RunUntil(done);
  client.join();
  EXPECT_EQ(body, "first");
  EXPECT_FALSE(ended);
  EXPECT_EQ(second_body, "first");
  EXPECT_EQ(served, 2);
}

TEST(HttpStream, AClientThatLeavesMidStreamFailsTheNextWrites) {
  std::atomic<bool> client_left = false;
  bool later_write_failed = false;
  bool handler_done = false;
  Fixture fixture([&](const net::HttpRequest&,
                      net::ResponseStream& stream) -> asio::awaitable<net::HttpResponse> {
    stream.Begin(200, {}, "text/plain");
    co_await stream.Write("first");
    while (!client_left) co_await Sleep(2ms);
    // Written while the close is on its way; the stream then notices the client left.
    bool ok = true;
    for (int i = 0; i < 200 && ok; ++i) {
      ok = co_await stream.Write(std::string(1024, 'x'));
      co_await Sleep(2ms);
    }
    later_write_failed = !ok;
    handler_done = true;
    co_return net::HttpResponse{};
  });
  std::atomic<bool> done = false;
  std::thread client([&] {
    {
      RawClient c(fixture.server->port());
      if (c.connected()) {
        c.SendRequest("/stream");
        c.ReadBody(5);
      }
    }  // closed
    client_left = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!handler_done && std::chrono::steady_clock::now() < deadline) fixture.io.run_for(10ms);
  client.join();
  EXPECT_TRUE(handler_done);
  EXPECT_TRUE(later_write_failed);
}

// ---------------------------------------------------------------------------- whole responses

// A handler that answers every request whole, with `status` and `body`, and counts them.
struct WholeFixture {
  int status = 200;
  std::string body;
  int served = 0;
  bool begin_refused = false;  // set when the handler tried to stream a no-body status
  Fixture fixture{[this](const net::HttpRequest&,
                         net::ResponseStream& stream) -> asio::awaitable<net::HttpResponse> {
    ++served;
    if (status == 204) begin_refused = !stream.Begin(204, {}, "text/plain");
    net::HttpResponse response;
    response.status = status;
    response.content_type = "text/plain";
    response.body = body;
    co_return response;
  }};
};

TEST(HttpWhole, AHeadResponseCarriesNoBodyAndTheConnectionServesTheNextRequest) {
  WholeFixture whole;
  whole.body = "hello body";
  std::atomic<bool> done = false;
  std::string head1, head2, body2, leftover;
  bool read1 = false, read2 = false;
  std::thread client([&] {
    RawClient c(whole.fixture.server->port());
    if (c.connected()) {
      c.SendRequest("/x", "HEAD");
      read1 = c.ReadWhole(/*expect_body=*/false);
      head1 = c.head();
      c.SendRequest("/y");
      read2 = c.ReadWhole(/*expect_body=*/true);
      head2 = c.head();
      body2 = c.body();
      leftover = c.unread();
    }
    done = true;
  });
  whole.fixture.RunUntil(done);
  client.join();
  ASSERT_TRUE(read1);
  EXPECT_EQ(head1.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head1;
  EXPECT_NE(head1.find("Content-Length: 10\r\n"), std::string::npos) << head1;
  ASSERT_TRUE(read2);
  EXPECT_EQ(head2.rfind("HTTP/1.1 200 OK\r\n", 0), 0u)
      << "the HEAD response's body was sent: " << head2;
  EXPECT_EQ(body2, "hello body");
  EXPECT_EQ(leftover, "");
  EXPECT_EQ(whole.served, 2);
}

TEST(HttpWhole, A204HasNoFramingNoBodyAndCannotBeStreamed) {
  WholeFixture whole;
  whole.status = 204;
  whole.body = "ignored";
  std::atomic<bool> done = false;
  std::string head1, head2;
  bool read1 = false, read2 = false;
  std::thread client([&] {
    RawClient c(whole.fixture.server->port());
    if (c.connected()) {
      c.SendRequest("/x", "OPTIONS");
      read1 = c.ReadWhole(/*expect_body=*/false);
      head1 = c.head();
      c.SendRequest("/y", "OPTIONS");
      read2 = c.ReadWhole(/*expect_body=*/false);
      head2 = c.head();
    }
    done = true;
  });
  whole.fixture.RunUntil(done);
  client.join();
  EXPECT_TRUE(whole.begin_refused);
  ASSERT_TRUE(read1);
  EXPECT_EQ(head1.rfind("HTTP/1.1 204 No Content\r\n", 0), 0u) << head1;
  EXPECT_EQ(head1.find("Content-Length"), std::string::npos) << head1;
  EXPECT_EQ(head1.find("Transfer-Encoding"), std::string::npos) << head1;
  ASSERT_TRUE(read2) << "the connection did not serve its second request";
  EXPECT_EQ(head2.rfind("HTTP/1.1 204 No Content\r\n", 0), 0u)
      << "the first 204 carried bytes: " << head2;
  EXPECT_EQ(whole.served, 2);
}

// ---------------------------------------------------------------------------- request bodies

// Answers every request with the size of its body, and keeps the bodies.
struct BodyFixture {
  explicit BodyFixture(std::size_t max_body_bytes = 16 * 1024 * 1024)
      : fixture(Handler(), max_body_bytes) {}

  std::vector<std::string> bodies;
  Fixture fixture;

  net::HttpHandler Handler() {
    return [this](const net::HttpRequest& request,
                  net::ResponseStream&) -> asio::awaitable<net::HttpResponse> {
      bodies.push_back(request.body);
      net::HttpResponse response;
      response.content_type = "text/plain";
      response.body = std::to_string(request.body.size());
      co_return response;
    };
  }

  // Sends `bytes` in one write (or in two halves `pause` apart) and reads `responses` whole
  // responses on the same connection into `read` (each head and body). False if one did not
  // come.
  bool SendAndRead(const std::string& bytes, int responses, std::chrono::milliseconds pause,
                   std::vector<std::string>& read) {
    std::atomic<bool> done = false;
    bool all_read = false;
    std::thread client([&] {
      RawClient c(fixture.server->port());
      all_read = c.connected();
      if (all_read) c.SendRaw(bytes, pause);
      for (int i = 0; all_read && i < responses; ++i) {
        all_read = c.ReadWhole(/*expect_body=*/true);
        if (all_read) read.push_back(c.head() + c.body());
      }
      done = true;
    });
    fixture.RunUntil(done);
    client.join();
    return all_read;
  }

  // Sends each request on one connection and reads each response; false if one did not come.
  bool Exchange(const std::vector<std::string>& requests, std::chrono::milliseconds pause) {
    std::atomic<bool> done = false;
    bool all_read = false;
    std::thread client([&] {
      RawClient c(fixture.server->port());
      all_read = c.connected();
      for (const std::string& request : requests) {
        if (!all_read) break;
        c.SendRaw(request, pause);
        all_read = c.ReadWhole(/*expect_body=*/true);
      }
      done = true;
    });
    fixture.RunUntil(done);
    client.join();
    return all_read;
  }
};

std::string BodyText(std::size_t size) {
  std::string body;
  for (int i = 0; body.size() < size; ++i) body += ChunkText(1, i, 1000);
  body.resize(size);
  return body;
}

struct BodySpec {
  std::size_t size;
  std::size_t chunk_size = 0;  // sent chunked in pieces of this size, unless 0
};

// Sends a request with each body on one connection (each in two halves `pause` apart, if given)
// and checks that every body reached the handler unchanged.
void ExpectBodiesArriveWhole(const std::vector<BodySpec>& bodies, std::chrono::milliseconds pause) {
  std::vector<std::string> requests;
  for (const BodySpec& b : bodies) requests.push_back(PostRequest(BodyText(b.size), b.chunk_size));
  BodyFixture fixture;
  ASSERT_TRUE(fixture.Exchange(requests, pause));
  ASSERT_EQ(fixture.bodies.size(), bodies.size());
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_TRUE(fixture.bodies[i] == BodyText(bodies[i].size))
        << "body " << i << " of " << bodies[i].size << " bytes arrived changed";
  }
}

TEST(HttpRequestBody, BodiesOfEverySizeArriveWholeOnOneConnection) {
  // Larger than the most read at a time, one near it, small ones between them (the server's
  // buffer grows for a large body and is given back after it).
  ExpectBodiesArriveWhole({{300 * 1024 + 7}, {10}, {64 * 1024}, {1}, {1024 * 1024 + 1}, {600}},
                          0ms);
}

TEST(HttpRequestBody, ABodyThatArrivesInPartsAfterAPauseArrivesWhole) {
  ExpectBodiesArriveWhole({{200 * 1024}, {3000}}, 50ms);
}

TEST(HttpRequestBody, AChunkedBodyArrivesWhole) {
  // No Content-Length: the server cannot know the size ahead.
  ExpectBodiesArriveWhole({{150 * 1024, 7000}, {100, 9}}, 20ms);
}

TEST(HttpRequestBody, PipelinedRequestsSentInOneWriteEachGetTheirOwnBody) {
  // The bodies come with their heads, and the next request follows each in the same bytes: the
  // server parses each body from what it has buffered and stops where the next request starts.
  const std::string first = BodyText(700), second = BodyText(5000), third = BodyText(3);
  BodyFixture fixture;
  std::vector<std::string> responses;
  ASSERT_TRUE(fixture.SendAndRead(
      PostRequest(first) + PostRequest(second, 999) + PostRequest(third), 3, 0ms, responses));
  ASSERT_EQ(fixture.bodies.size(), 3u);
  EXPECT_TRUE(fixture.bodies[0] == first);
  EXPECT_TRUE(fixture.bodies[1] == second);
  EXPECT_TRUE(fixture.bodies[2] == third);
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_NE(responses[2].find("\r\n\r\n3"), std::string::npos) << responses[2];
}

// A bad body is answered whether it came with its head or after it.
class HttpBadBody : public ::testing::TestWithParam<std::chrono::milliseconds> {};

TEST_P(HttpBadBody, BrokenChunkFramingIsA400) {
  BodyFixture fixture;
  std::vector<std::string> responses;
  const std::string request =
      "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
      "zz\r\nabc\r\n0\r\n\r\n";
  ASSERT_TRUE(fixture.SendAndRead(request, 1, GetParam(), responses));
  EXPECT_EQ(responses[0].rfind("HTTP/1.1 400 ", 0), 0u) << responses[0];
  EXPECT_NE(responses[0].find("malformed HTTP request body"), std::string::npos) << responses[0];
  EXPECT_TRUE(fixture.bodies.empty()) << "the handler saw a broken request";
}

TEST_P(HttpBadBody, AChunkedBodyOverTheLimitIsA413) {
  BodyFixture fixture(/*max_body_bytes=*/1000);
  std::vector<std::string> responses;
  ASSERT_TRUE(fixture.SendAndRead(PostRequest(BodyText(1500), 100), 1, GetParam(), responses));
  EXPECT_EQ(responses[0].rfind("HTTP/1.1 413 ", 0), 0u) << responses[0];
  EXPECT_TRUE(fixture.bodies.empty()) << "the handler saw a body over the limit";
}

INSTANTIATE_TEST_SUITE_P(WithItsHeadOrLater, HttpBadBody, ::testing::Values(0ms, 50ms),
                         [](const auto& info) {
                           return info.param.count() == 0 ? std::string("WithItsHead")
                                                          : std::string("AfterAPause");
                         });

TEST(HttpWhole, ALargeBodyReachesAClientThatReadsLate) {
  WholeFixture whole;
  for (int i = 0; whole.body.size() < 3 * 1024 * 1024; ++i) whole.body += ChunkText(0, i, 4096);
  std::atomic<bool> done = false;
  std::string body;
  bool read = false;
  std::thread client([&] {
    RawClient c(whole.fixture.server->port(), 16 * 1024);
    if (c.connected()) {
      c.SendRequest("/big");
      std::this_thread::sleep_for(300ms);  // the server's write waits for the socket meanwhile
      read = c.ReadWhole(/*expect_body=*/true);
      body = c.body();
    }
    done = true;
  });
  whole.fixture.RunUntil(done);
  client.join();
  ASSERT_TRUE(read);
  ASSERT_EQ(body.size(), whole.body.size());
  EXPECT_TRUE(body == whole.body) << "bytes lost, doubled or out of order";
}

}  // namespace
