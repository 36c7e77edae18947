// net::WsConnection against a scripted server on a raw socket: the opening handshake (checked,
// and refused when the server's answer is wrong), bytes the server sends right behind its 101,
// masked frames from the client, pings answered with pongs, fragmented messages, a close, and a
// frame no server may send.
#include "net/ws_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>
#include <functional>
#include <string>
#include <thread>

#include "harness.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using itest::RunFor;

struct ClientFrame {
  std::uint8_t first = 0;  // FIN and opcode
  bool masked = false;
  std::string payload;  // unmasked
};

// The server's side of one connection, on blocking calls with a receive timeout.
class ServerSide {
 public:
  explicit ServerSide(int fd) : fd_(fd) {
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }

  // The upgrade request's Sec-WebSocket-Key, or "" if the request did not arrive.
  std::string ReadUpgradeRequest() {
    while (buffer_.find("\r\n\r\n") == std::string::npos) {
      if (!ReadMore()) return {};
    }
    const std::string head = buffer_.substr(0, buffer_.find("\r\n\r\n") + 4);
    buffer_.erase(0, head.size());
    const std::string name = "Sec-WebSocket-Key: ";
    const auto at = head.find(name);
    if (at == std::string::npos) return {};
    return head.substr(at + name.size(), head.find("\r\n", at) - at - name.size());
  }

  void Send(const std::string& bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }

  // Reads what the client sends until it closes the connection (or the receive timeout).
  void DrainUntilClosed() {
    ClientFrame ignored;
    while (ReadFrame(ignored)) {
    }
  }

  bool ReadFrame(ClientFrame& frame) {
    if (!Have(2)) return false;
    frame.first = static_cast<std::uint8_t>(buffer_[0]);
    frame.masked = (buffer_[1] & 0x80) != 0;
    std::size_t length = buffer_[1] & 0x7F;
    std::size_t header = 2;
    if (length == 126) {
      if (!Have(4)) return false;
      length = (static_cast<std::uint8_t>(buffer_[2]) << 8) | static_cast<std::uint8_t>(buffer_[3]);
      header = 4;
    }
    if (length == 127) return false;  // not needed here
    const std::size_t key_at = header;
    if (frame.masked) header += 4;
    if (!Have(header + length)) return false;
    frame.payload = buffer_.substr(header, length);
    if (frame.masked) {
      for (std::size_t i = 0; i < length; ++i) frame.payload[i] ^= buffer_[key_at + i % 4];
    }
    buffer_.erase(0, header + length);
    return true;
  }

 private:
  bool Have(std::size_t n) {
    while (buffer_.size() < n) {
      if (!ReadMore()) return false;
    }
    return true;
  }
  bool ReadMore() {
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_;
  std::string buffer_;
};

// A server frame (never masked) of up to 125 bytes.
std::string ServerFrame(std::uint8_t first, const std::string& payload) {
  std::string frame{static_cast<char>(first), static_cast<char>(payload.size())};
  return frame + payload;
}

std::string Accept(const std::string& key) {
  boost::beast::websocket::detail::sec_ws_accept_type accept;
  boost::beast::websocket::detail::make_sec_ws_accept(accept, key);
  return std::string(accept.data(), accept.size());
}

std::string SwitchingProtocols(const std::string& accept) {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: " +
         accept + "\r\n\r\n";
}

// Reads the upgrade request and switches protocols; false if the request did not arrive.
bool AcceptUpgrade(ServerSide& side) {
  const std::string key = side.ReadUpgradeRequest();
  if (key.empty()) return false;
  side.Send(SwitchingProtocols(Accept(key)));
  return true;
}

// Accepts one connection on a free loopback port and runs `script` on it in a thread.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<void(ServerSide&)> script) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listener_, 1);
    socklen_t size = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this, script = std::move(script)] {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      ServerSide side(fd);
      script(side);
      ::close(fd);
    });
  }
  ~ScriptedServer() {
    Join();
    ::close(listener_);
  }
  // Waits for the script to end (what it recorded may be read after this).
  void Join() {
    ::shutdown(listener_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

std::shared_ptr<net::WsConnection> Connect(asio::io_context& io, std::uint16_t port,
                                           boost::system::error_code& ec) {
  net::WsConnection::Options options;
  options.port = port;
  options.timeout = 3000ms;
  return RunFor(io, net::WsConnection::Connect(io.get_executor(), options, ec));
}

asio::awaitable<std::string> ReadOne(std::shared_ptr<net::WsConnection> connection,
                                     boost::system::error_code& ec) {
  std::string_view message;
  ec = co_await connection->Read(message);
  co_return std::string(message);
}

TEST(WsClient, HandshakeFramesPingsFragmentsAndClose) {
  ClientFrame hello, pong, close_reply;
  ScriptedServer server([&](ServerSide& side) {
    const std::string key = side.ReadUpgradeRequest();
    if (key.empty()) return;
    // A message right behind the 101, in the same packet.
    side.Send(SwitchingProtocols(Accept(key)) + ServerFrame(0x81, "early"));
    if (!side.ReadFrame(hello)) return;
    side.Send(ServerFrame(0x89, "p1"));  // a ping
    if (!side.ReadFrame(pong)) return;
    // "frag" + "ment" with a pong between its fragments, then a close.
    side.Send(ServerFrame(0x01, "frag") + ServerFrame(0x8A, "") + ServerFrame(0x80, "ment") +
              ServerFrame(0x88, std::string("\x03\xe9", 2)));
    side.ReadFrame(close_reply);
  });
  asio::io_context io;
  boost::system::error_code ec;
  auto connection = Connect(io, server.port(), ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(connection);

  EXPECT_EQ(RunFor(io, ReadOne(connection, ec)), "early");
  EXPECT_FALSE(ec) << ec.message();

  ASSERT_TRUE(connection->Send("hello"));
  // The next read answers the ping on its way to the fragmented message.
  EXPECT_EQ(RunFor(io, ReadOne(connection, ec)), "fragment");
  EXPECT_FALSE(ec) << ec.message();
  io.run_for(50ms);  // the pong's write completes: a close frame can follow it

  RunFor(io, ReadOne(connection, ec));
  EXPECT_TRUE(ec) << "a close frame ends the connection";
  EXPECT_FALSE(connection->is_open());
  EXPECT_FALSE(connection->Send("late"));
  server.Join();
  EXPECT_EQ(hello.first, 0x81);  // FIN, text
  EXPECT_TRUE(hello.masked);
  EXPECT_EQ(hello.payload, "hello");
  EXPECT_EQ(pong.first, 0x8A);  // FIN, pong
  EXPECT_TRUE(pong.masked);
  EXPECT_EQ(pong.payload, "p1");
  EXPECT_EQ(close_reply.first, 0x88);  // answered with a close echoing the code (1001)
  EXPECT_TRUE(close_reply.masked);
  EXPECT_EQ(close_reply.payload, std::string("\x03\xe9", 2));
}

// What the server sent counts as unread until Read hands it out, whether it waits in the socket
// or in the connection's buffer behind a message already read.
TEST(WsClient, UnreadBytesCountWhatReadHasNotHandedOut) {
  ScriptedServer server([&](ServerSide& side) {
    if (!AcceptUpgrade(side)) return;
    side.Send(ServerFrame(0x81, "first") + ServerFrame(0x81, "second"));
    side.DrainUntilClosed();
  });
  asio::io_context io;
  boost::system::error_code ec;
  auto connection = Connect(io, server.port(), ec);
  ASSERT_FALSE(ec) << ec.message();
  const std::size_t both = 2 * 2 + 5 + 6;  // two frame headers and the payloads
  for (int i = 0; i < 100 && connection->unread_bytes() < both; ++i) io.run_for(10ms);
  EXPECT_EQ(connection->unread_bytes(), both);
  EXPECT_EQ(RunFor(io, ReadOne(connection, ec)), "first");
  EXPECT_EQ(connection->unread_bytes(), 2u + 6u) << "the second message is still unread";
  EXPECT_EQ(RunFor(io, ReadOne(connection, ec)), "second");
  EXPECT_EQ(connection->unread_bytes(), 0u);
  connection->Close();
  server.Join();
}

TEST(WsClient, OnlyTheLatestOfSeveralPingsIsAnswered) {
  ClientFrame first, second;
  ScriptedServer server([&](ServerSide& side) {
    if (!AcceptUpgrade(side)) return;
    side.Send(ServerFrame(0x89, "a") + ServerFrame(0x89, "b") + ServerFrame(0x89, "c") +
              ServerFrame(0x81, "x"));
    if (!side.ReadFrame(first)) return;
    if (!side.ReadFrame(second)) return;
    side.DrainUntilClosed();
  });
  asio::io_context io;
  boost::system::error_code ec;
  auto connection = Connect(io, server.port(), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(RunFor(io, ReadOne(connection, ec)), "x");
  io.run_for(50ms);  // the writer sends the pong
  ASSERT_TRUE(connection->Send("y"));
  io.run_for(50ms);
  connection->Close();
  server.Join();
  EXPECT_EQ(first.first, 0x8A);
  EXPECT_EQ(first.payload, "c");
  EXPECT_EQ(second.first, 0x81) << "a pong for an older ping was sent too";
  EXPECT_EQ(second.payload, "y");
}

// A request framed in a buffer with room in front (rpc::FrameRequest) is sent from its start,
// whether it leaves at once or with the writer, alone or behind other queued bytes.
TEST(WsClient, OwnedBytesAreSentFromWhereTheCallerSays) {
  ClientFrame now, batched, last;
  ScriptedServer server([&](ServerSide& side) {
    if (!AcceptUpgrade(side)) return;
    if (!side.ReadFrame(now)) return;
    if (!side.ReadFrame(batched)) return;
    side.ReadFrame(last);  // the close: nothing was sent for the owned bytes with nothing to send
  });
  asio::io_context io;
  boost::system::error_code ec;
  auto connection = Connect(io, server.port(), ec);
  ASSERT_FALSE(ec) << ec.message();
  const std::string big(20'000, 'b');
  ASSERT_TRUE(connection->SendOwned("room|" + big, 5));  // a request: leaves at once
  ASSERT_TRUE(connection->SendOwned("xx|second", 3, net::WsConnection::Urgency::kBatch));
  ASSERT_TRUE(connection->SendOwned("yyy|third", 4, net::WsConnection::Urgency::kBatch));
  ASSERT_TRUE(connection->SendOwned("nothing", 7, net::WsConnection::Urgency::kBatch));
  io.run_for(100ms);
  connection->Close();
  server.Join();
  EXPECT_EQ(now.first, 0x81);
  EXPECT_TRUE(now.payload == big) << now.payload.size() << " bytes";
  EXPECT_EQ(batched.first, 0x81);
  EXPECT_EQ(batched.payload, "secondthird");
  EXPECT_EQ(last.first, 0x88);
}

// A request leaves from Send itself, with the replies queued before it, and so does the next
// one: neither waits for the event loop to run the writer (the turn's first token would wait).
TEST(WsClient, RequestsLeaveAtOnceWithTheRepliesQueuedBeforeThem) {
  ClientFrame first, second;
  ScriptedServer server([&](ServerSide& side) {
    if (!AcceptUpgrade(side)) return;
    if (!side.ReadFrame(first)) return;
    side.ReadFrame(second);
  });
  asio::io_context io;
  boost::system::error_code ec;
  auto connection = Connect(io, server.port(), ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(connection->Send("reply|", net::WsConnection::Urgency::kBatch));
  ASSERT_TRUE(connection->Send("ask-1"));
  ASSERT_TRUE(connection->Send("ask-2"));
  server.Join();  // the event loop has not run since: what the server read was sent from Send
  EXPECT_EQ(first.first, 0x81);
  EXPECT_EQ(first.payload, "reply|ask-1");
  EXPECT_EQ(second.first, 0x81);
  EXPECT_EQ(second.payload, "ask-2");
  connection->Close();
}

// Connects to a server that answers the upgrade request with `answer(key)`; the connection
// must be refused.
void ExpectRefused(std::function<std::string(const std::string& key)> answer) {
  ScriptedServer server([&](ServerSide& side) {
    const std::string key = side.ReadUpgradeRequest();
    if (!key.empty()) side.Send(answer(key));
  });
  asio::io_context io;
  boost::system::error_code ec;
  auto connection = Connect(io, server.port(), ec);
  EXPECT_TRUE(ec);
  EXPECT_FALSE(connection);
}

TEST(WsClient, AServerThatDoesNotSwitchProtocolsIsRefused) {
  ExpectRefused([](const std::string&) { return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"; });
}

TEST(WsClient, AWrongAcceptKeyIsRefused) {
  ExpectRefused([](const std::string&) {
    return SwitchingProtocols(Accept("AAAAAAAAAAAAAAAAAAAAAA=="));  // another key's
  });
}

TEST(WsClient, AnExtensionTheClientDidNotOfferIsRefused) {
  ExpectRefused([](const std::string& key) {
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Extensions: permessage-deflate\r\nSec-WebSocket-Accept: " +
           Accept(key) + "\r\n\r\n";
  });
}

TEST(WsClient, AMaskedFrameFromTheServerEndsTheConnection) {
  ClientFrame close_reply;
  ScriptedServer server([&](ServerSide& side) {
    const std::string key = side.ReadUpgradeRequest();
    if (key.empty()) return;
    side.Send(SwitchingProtocols(Accept(key)) + ServerFrame(0x81, "ok") +
              std::string("\x81\x82\x01\x02\x03\x04\x69\x6b", 8));  // masked "hi"
    side.ReadFrame(close_reply);
  });
  asio::io_context io;
  boost::system::error_code ec;
  auto connection = Connect(io, server.port(), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(RunFor(io, ReadOne(connection, ec)), "ok");
  EXPECT_FALSE(ec);
  RunFor(io, ReadOne(connection, ec));
  EXPECT_TRUE(ec);
  EXPECT_FALSE(connection->is_open());
  server.Join();
  EXPECT_EQ(close_reply.first, 0x88);  // a close with 1002, protocol error
  EXPECT_EQ(close_reply.payload, std::string("\x03\xea", 2));
}

}  // namespace
