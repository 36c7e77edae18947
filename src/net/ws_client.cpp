// WsConnection over a plain TCP socket; see ws_client.hpp. Beast's HTTP code does the opening
// handshake; the frames are ws_frame's (text/ws_frame.hpp).
//
// Not Beast's websocket stream: it reads one message per operation, in at least two reads through
// the event loop's queue (the first 1536 bytes, then the rest), so a peer that sends many messages
// a millisecond could be read no faster than the loop turns, whatever else was queued in between.
// Here a read takes everything the socket holds (up to kReadBytes) and every message in it is
// handed out without waiting again.
#include "net/ws_client.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>
#include <boost/beast/websocket/error.hpp>
#include <cstring>
#include <random>
#include <utility>

#include "text/ws_frame.hpp"

namespace net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// Yields of the writer to the reader before a write (see WriteLoop).
constexpr int kMaxCoalescingRounds = 8;
// What one read may take from the socket; a frame larger than this grows the buffer to fit.
constexpr std::size_t kReadBytes = 64 * 1024;
// Close codes (RFC 6455 7.4.1).
constexpr std::uint16_t kCloseNormal = 1000;
constexpr std::uint16_t kCloseProtocolError = 1002;

class TcpWsConnection final : public WsConnection,
                              public std::enable_shared_from_this<TcpWsConnection> {
 public:
  TcpWsConnection(asio::any_io_executor executor, const Options& options)
      : socket_(executor),
        wake_(executor),
        options_(options),
        reader_(options.max_message_bytes),
        random_(std::random_device{}()) {}

  asio::awaitable<boost::system::error_code> Open() {
    beast::tcp_stream stream(socket_.get_executor());
    stream.expires_after(options_.timeout);  // connect and handshake together
    tcp::endpoint endpoint(asio::ip::make_address(options_.host), options_.port);
    auto [ec] = co_await stream.async_connect(endpoint, kUseTuple);
    if (ec) co_return ec;
    stream.socket().set_option(tcp::no_delay(true), ec);
    ec = co_await Handshake(stream);
    if (ec) co_return ec;
    // Liveness is the owner's business (JSON-RPC ping): no timeouts on an established stream.
    socket_ = stream.release_socket();
    socket_.non_blocking(true, ec);  // WriteNow's send must not wait
    if (ec) co_return ec;
    open_ = true;
    asio::co_spawn(socket_.get_executor(), WriteLoop(shared_from_this()), asio::detached);
    co_return ec;
  }

  bool Send(std::string_view bytes, Urgency urgency) override {
    if (!Admit(bytes.size())) return false;
    outbox_.append(bytes);
    return Wake(urgency);
  }

  bool SendOwned(std::string bytes, std::size_t from, Urgency urgency) override {
    if (!outbox_.empty() || from >= bytes.size()) {
      return Send(std::string_view(bytes).substr(std::min(from, bytes.size())), urgency);
    }
    if (!Admit(bytes.size() - from)) return false;
    outbox_.swap(bytes);  // the outbox's old buffer goes with `bytes`
    outbox_from_ = from;
    return Wake(urgency);
  }

  // Returns without waiting while the buffer holds a whole message: a burst of messages is
  // handled in one go, and the socket is read again only when the buffer runs dry.
  asio::awaitable<boost::system::error_code> Read(std::string_view& message) override {
    message = {};
    while (true) {
      if (closed_) co_return failure_ ? failure_ : asio::error::operation_aborted;
      std::size_t consumed = 0;
      std::string_view payload;
      const auto status = reader_.Next(Unread(), consumed, payload);
      read_start_ += consumed;
      switch (status) {
        case ws_frame::ServerFrameReader::Status::kMessage:
          message = payload;
          co_return boost::system::error_code{};
        case ws_frame::ServerFrameReader::Status::kPing:
          QueuePong(payload);
          continue;
        case ws_frame::ServerFrameReader::Status::kPong:
          continue;
        case ws_frame::ServerFrameReader::Status::kClose:
          // Answered with a close of our own (its status code echoed), then the connection is
          // dropped: the owner reconnects either way, and nothing more is awaited from it.
          CloseWith(payload.size() >= 2 ? payload.substr(0, 2) : std::string_view(),
                    websocket::error::closed);
          co_return failure_;
        case ws_frame::ServerFrameReader::Status::kError:
          CloseWith(ws_frame::ClosePayload(kCloseProtocolError),
                    boost::system::errc::make_error_code(boost::system::errc::protocol_error));
          co_return failure_;
        case ws_frame::ServerFrameReader::Status::kNeedMore:
          break;
      }
      MakeRoom(reader_.needed());
      auto [ec, n] = co_await socket_.async_read_some(
          asio::buffer(in_.data() + read_end_, in_.size() - read_end_), kUseTuple);
      if (ec) {
        Fail(ec);  // frees the socket and ends the writer, whoever noticed the loss first
        co_return ec;
      }
      read_end_ += n;
    }
  }

  // A close frame goes first when nothing else is being written (a frame cut in two cannot be
  // followed by another).
  void Close() override { CloseWith(ws_frame::ClosePayload(kCloseNormal), {}); }

  bool is_open() const override { return open_; }

  std::size_t unread_bytes() const override {
    boost::system::error_code ec;
    const std::size_t queued = open_ ? socket_.available(ec) : 0;
    return (ec ? 0 : queued) + Unread().size();
  }

 private:
  // Whether a frame may be sent from here, past the writer: it has no write in flight and no
  // earlier bytes wait to go first, so nothing can interleave with a frame already started.
  bool can_write_now() const { return !write_in_flight_ && unsent_.empty(); }

  bool has_bytes_to_send() const { return !unsent_.empty() || !outbox_.empty() || pong_pending_; }

  // Ends the connection after a best-effort close frame; `reason` is what Read reports.
  void CloseWith(std::string_view close_payload, boost::system::error_code reason) {
    if (closed_) return;
    if (open_ && can_write_now()) {
      std::string frame;
      std::uint8_t key[4];
      NextMaskKey(key);
      ws_frame::AppendClientFrame(frame, ws_frame::Opcode::kClose, close_payload, key);
      boost::system::error_code ignored;
      socket_.write_some(asio::buffer(frame), ignored);
    }
    Fail(reason);
  }

  // Ends the connection without a close frame (the socket failed, or one was sent); the first
  // reason given is what later Reads report.
  void Fail(boost::system::error_code reason) {
    if (closed_) return;
    closed_ = true;
    open_ = false;
    failure_ = reason;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    wake_.cancel();
  }

  // The RFC 6455 opening handshake over Beast's HTTP code. Bytes the server sent after its
  // response (a message may follow at once) stay in the read buffer.
  asio::awaitable<boost::system::error_code> Handshake(beast::tcp_stream& stream) {
    websocket::detail::sec_ws_key_type key_bytes;
    websocket::detail::make_sec_ws_key(key_bytes);
    const std::string_view key(key_bytes.data(), key_bytes.size());
    http::request<http::empty_body> request{http::verb::get, "/", 11};
    request.set(http::field::host, options_.host + ":" + std::to_string(options_.port));
    request.set(http::field::upgrade, "websocket");
    request.set(http::field::connection, "Upgrade");
    request.set(http::field::sec_websocket_key, key);
    request.set(http::field::sec_websocket_version, "13");
    request.set(http::field::user_agent, "lingma-gateway/" LGW_VERSION);
    auto [ec, written] = co_await http::async_write(stream, request, kUseTuple);
    if (ec) co_return ec;

    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> parser;
    parser.header_limit(16 * 1024);
    std::size_t read = 0;
    std::tie(ec, read) = co_await http::async_read(stream, buffer, parser, kUseTuple);
    if (ec) co_return ec;
    const auto& response = parser.get();
    if (response.result() != http::status::switching_protocols) {
      co_return websocket::error::upgrade_declined;
    }
    if (!beast::iequals(response[http::field::upgrade], "websocket")) {
      co_return websocket::error::no_upgrade_websocket;
    }
    // None was offered, so none may be chosen (RFC 6455 4.1).
    if (!response[http::field::sec_websocket_extensions].empty() ||
        !response[http::field::sec_websocket_protocol].empty()) {
      co_return websocket::error::upgrade_declined;
    }
    if (!http::token_list{response[http::field::connection]}.exists("upgrade")) {
      co_return websocket::error::no_connection_upgrade;
    }
    websocket::detail::sec_ws_accept_type accept;
    websocket::detail::make_sec_ws_accept(accept, key);
    if (response[http::field::sec_websocket_accept] !=
        std::string_view(accept.data(), accept.size())) {
      co_return websocket::error::bad_sec_accept;
    }
    const auto early = buffer.cdata();
    in_.resize(std::max(kReadBytes, early.size()));
    std::memcpy(in_.data(), early.data(), early.size());
    read_end_ = early.size();
    co_return ec;
  }

  std::string_view Outbox() const { return std::string_view(outbox_).substr(outbox_from_); }

  std::string_view Unread() const {
    return std::string_view(in_.data() + read_start_, read_end_ - read_start_);
  }

  // Moves the unread bytes to the front (the messages handed out before are done with: Read
  // was called again) and leaves room for a read of kReadBytes, or for the whole frame the reader
  // waits for if that is larger.
  void MakeRoom(std::size_t frame_bytes) {
    const std::size_t unread = read_end_ - read_start_;
    if (read_start_ > 0) {
      if (unread > 0) std::memmove(in_.data(), in_.data() + read_start_, unread);
      read_start_ = 0;
      read_end_ = unread;
    }
    const std::size_t wanted = std::max(unread + kReadBytes, frame_bytes);
    if (in_.size() < wanted) {
      in_.resize(wanted);
    } else if (in_.size() > 4 * kReadBytes && wanted <= kReadBytes) {
      // A large message has gone: give its room back.
      std::string smaller(kReadBytes, '\0');
      std::memcpy(smaller.data(), in_.data(), unread);
      in_.swap(smaller);
    }
  }

  // False (and the connection closed when over the limit) if `size` more bytes may not be
  // queued.
  bool Admit(std::size_t size) {
    if (!open_) return false;
    if (Outbox().size() + size > options_.max_outbox_bytes) {
      Close();
      return false;
    }
    return true;
  }

  // A request leaves at once unless a write of the writer waits for the socket: one
  // non-blocking send from here, taking the replies gathered so far with it, instead of a wait
  // for the writer's turn in the event loop (under load a whole turn of it, which the turn's
  // first token would wait for: Lingma paces the answer from when it reads the chat/ask).
  // Replies wait for the writer, which gathers them. False if the connection failed.
  bool Wake(Urgency urgency) {
    if (urgency == Urgency::kNow) urgent_ = true;
    if (urgent_ && can_write_now()) {
      WriteNow();
      if (!open_) return false;
      if (unsent_.empty()) return true;
    }
    wake_.cancel();
    return true;
  }

  // Frames the control frames and the outbox and sends what the socket takes now; the rest (the
  // socket's buffer is full: rare) waits in unsent_ for the writer, ahead of anything newer.
  void WriteNow() {
    std::string& head = now_head_;
    head.clear();
    const std::string_view payload = FrameMessage(head, outbox_, outbox_from_);
    const std::array<asio::const_buffer, 2> frames{asio::buffer(head), asio::buffer(payload)};
    boost::system::error_code ec;
    std::size_t sent = socket_.write_some(frames, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      sent = 0;
    }
    if (ec) {
      Fail(ec);
      return;
    }
    if (sent < head.size()) {
      unsent_.append(head, sent, std::string::npos);
      unsent_.append(payload);
    } else {
      unsent_.append(payload.substr(sent - head.size()));
    }
    outbox_.clear();
    outbox_from_ = 0;
    urgent_ = false;
  }

  // A pong answers the latest ping only (RFC 6455 5.5.3 allows it), so pings cost at most one
  // pending pong. It goes out ahead of the next data frame (data frames are never fragmented
  // here, so one can go between any two), with the writer's next write.
  void QueuePong(std::string_view payload) {
    if (!open_) return;
    pong_.assign(payload);
    pong_pending_ = true;
    Wake(Urgency::kBatch);
  }

  // Appends the pending pong and the header of a data frame for `buffer` from `from` on to
  // `head`, masks that payload in place and returns it (empty: no data frame).
  std::string_view FrameMessage(std::string& head, std::string& buffer, std::size_t from) {
    AppendPong(head);
    const std::size_t size = buffer.size() - from;
    if (size == 0) return {};
    std::uint8_t key[4];
    NextMaskKey(key);
    ws_frame::AppendClientHeader(head, ws_frame::Opcode::kText, size, key);
    ws_frame::Mask(buffer.data() + from, size, key);
    return std::string_view(buffer).substr(from);
  }

  void AppendPong(std::string& out) {
    if (!pong_pending_) return;
    std::uint8_t key[4];
    NextMaskKey(key);
    ws_frame::AppendClientFrame(out, ws_frame::Opcode::kPong, pong_, key);
    pong_pending_ = false;
  }

  // A client masks every frame with a fresh key (RFC 6455 5.3).
  void NextMaskKey(std::uint8_t (&key)[4]) {
    const std::uint32_t bits = static_cast<std::uint32_t>(random_());
    std::memcpy(key, &bits, 4);
  }

  static asio::awaitable<void> WriteLoop(std::shared_ptr<TcpWsConnection> self) {
    std::string waiting;  // what the socket did not take, while the writer waits for it to
    while (self->open_) {
      if (!self->has_bytes_to_send()) {
        self->wake_.expires_at(asio::steady_timer::time_point::max());
        co_await self->wake_.async_wait(kUseTuple);
        continue;
      }
      // Lingma's pushes often arrive several to a read; let the reader handle the ones it already
      // has, so that their replies leave in one message instead of one write each. Only work
      // already queued runs in between: nothing waits for the network here. A request does not
      // wait: it leaves from Wake (WriteNow), taking the replies gathered so far with it.
      for (int round = 0;
           round < kMaxCoalescingRounds && self->open_ && !self->urgent_ && self->unsent_.empty();
           ++round) {
        const std::size_t before = self->outbox_.size();
        co_await asio::post(self->socket_.get_executor(), asio::use_awaitable);
        if (self->outbox_.size() == before) break;
      }
      // What the socket takes leaves now, as from Wake; only the rest waits in the event loop,
      // with the writer marked busy so that nothing is sent past it meanwhile.
      if (self->open_ && self->unsent_.empty()) self->WriteNow();
      if (!self->open_ || self->unsent_.empty()) continue;
      waiting.clear();
      waiting.swap(self->unsent_);
      self->write_in_flight_ = true;
      auto [ec, n] = co_await asio::async_write(self->socket_, asio::buffer(waiting), kUseTuple);
      self->write_in_flight_ = false;
      if (ec) {
        self->Fail(ec);
        break;
      }
    }
  }

  tcp::socket socket_;
  asio::steady_timer wake_;
  Options options_;
  ws_frame::ServerFrameReader reader_;
  std::mt19937 random_;
  std::string in_;  // received bytes: [read_start_, read_end_) not yet handed out
  std::size_t read_start_ = 0;
  std::size_t read_end_ = 0;
  std::string outbox_;  // from outbox_from_: the next data frame's payload (LSP frames, unmasked)
  std::size_t outbox_from_ = 0;  // what is before it is not sent (SendOwned's `from`)
  std::string pong_;             // the payload of the latest ping, while pong_pending_
  std::string unsent_;           // framed bytes WriteNow could not send: they go first
  std::string now_head_;         // WriteNow's control frames and header (kept for reuse)
  bool urgent_ = false;          // the outbox holds a request (Urgency::kNow)
  bool pong_pending_ = false;
  bool write_in_flight_ = false;       // the writer waits for the socket to take the rest
  bool open_ = false;                  // handshake done and not closed: Send accepts bytes
  bool closed_ = false;                // the socket was shut down (once)
  boost::system::error_code failure_;  // why, for Reads after that
};

}  // namespace

asio::awaitable<std::shared_ptr<WsConnection>> WsConnection::Connect(
    asio::any_io_executor executor, Options options, boost::system::error_code& ec) {
  auto connection = std::make_shared<TcpWsConnection>(executor, options);
  ec = co_await connection->Open();
  if (ec) co_return nullptr;
  co_return connection;
}

}  // namespace net
