// Beast-based implementation of WsConnection; see ws_client.hpp.
#include "net/ws_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

namespace net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// Yields of the writer to the reader before a write (see WriteLoop).
constexpr int kMaxCoalescingRounds = 8;

class BeastWsConnection final : public WsConnection,
                                public std::enable_shared_from_this<BeastWsConnection> {
 public:
  BeastWsConnection(asio::any_io_executor executor, const Options& options)
      : ws_(executor), wake_(executor), options_(options) {}

  asio::awaitable<boost::system::error_code> Open() {
    tcp::endpoint endpoint(asio::ip::make_address(options_.host), options_.port);
    beast::get_lowest_layer(ws_).expires_after(options_.timeout);
    auto [ec] = co_await beast::get_lowest_layer(ws_).async_connect(endpoint, kUseTuple);
    if (ec) co_return ec;
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ec);
    ws_.read_message_max(options_.max_message_bytes);
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "lingma-gateway/" LGW_VERSION);
    }));
    std::tie(ec) = co_await ws_.async_handshake(options_.host + ":" + std::to_string(options_.port),
                                                "/", kUseTuple);
    if (ec) co_return ec;
    // Liveness is the owner's business (JSON-RPC ping); no timeouts on an established stream.
    beast::get_lowest_layer(ws_).expires_never();
    ws_.text(true);
    open_ = true;
    asio::co_spawn(ws_.get_executor(), WriteLoop(shared_from_this()), asio::detached);
    co_return ec;
  }

  bool Send(std::string_view bytes, Urgency urgency) override {
    if (!Admit(bytes.size(), urgency)) return false;
    outbox_.append(bytes);
    return true;
  }

  bool SendOwned(std::string bytes, Urgency urgency) override {
    if (!Admit(bytes.size(), urgency)) return false;
    if (outbox_.empty()) {
      outbox_.swap(bytes);  // the outbox's old buffer goes with `bytes`
    } else {
      outbox_.append(bytes);
    }
    return true;
  }

  asio::awaitable<boost::system::error_code> Read(std::string_view& message) override {
    read_buffer_.clear();
    message = {};
    auto [ec, n] = co_await ws_.async_read(read_buffer_, kUseTuple);
    if (ec) {
      Close();  // frees the socket and ends the writer, whoever noticed the loss first
      co_return ec;
    }
    auto data = read_buffer_.cdata();
    message = std::string_view(static_cast<const char*>(data.data()), data.size());
    co_return ec;
  }

  void Close() override {
    if (closed_) return;
    closed_ = true;
    open_ = false;
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).close();
    wake_.cancel();
  }

  bool is_open() const override { return open_; }

 private:
  // False (and the connection closed when over the limit) if `size` more bytes may not be
  // queued; otherwise wakes the writer for them.
  bool Admit(std::size_t size, Urgency urgency) {
    if (!open_) return false;
    if (outbox_.size() + size > options_.max_outbox_bytes) {
      Close();
      return false;
    }
    urgent_ |= urgency == Urgency::kNow;
    wake_.cancel();
    return true;
  }

  static asio::awaitable<void> WriteLoop(std::shared_ptr<BeastWsConnection> self) {
    std::string sending;
    while (self->open_) {
      if (self->outbox_.empty()) {
        self->wake_.expires_at(asio::steady_timer::time_point::max());
        co_await self->wake_.async_wait(kUseTuple);
        continue;
      }
      // Lingma's pushes often arrive several to a read; let the reader handle the ones it already
      // has, so that their replies leave in one message instead of one write each. Only work
      // already queued runs in between: nothing waits for the network here. A request does not
      // wait: a turn's first token waits for its chat/ask.
      for (int round = 0; round < kMaxCoalescingRounds && self->open_ && !self->urgent_; ++round) {
        const std::size_t before = self->outbox_.size();
        co_await asio::post(self->ws_.get_executor(), asio::use_awaitable);
        if (self->outbox_.size() == before) break;
      }
      if (!self->open_) break;
      sending.clear();
      sending.swap(self->outbox_);
      self->urgent_ = false;
      auto [ec, n] = co_await self->ws_.async_write(asio::buffer(sending), kUseTuple);
      if (ec) {
        self->Close();
        break;
      }
      // Keep the larger buffer for reuse.
      if (self->outbox_.empty() && sending.capacity() > self->outbox_.capacity()) {
        self->outbox_.swap(sending);
        self->outbox_.clear();
      }
    }
  }

  websocket::stream<beast::tcp_stream> ws_;
  asio::steady_timer wake_;
  Options options_;
  beast::flat_buffer read_buffer_;
  std::string outbox_;
  bool urgent_ = false;  // the outbox holds a request (Urgency::kNow)
  bool open_ = false;    // handshake done and not closed: Send accepts bytes
  bool closed_ = false;  // the socket was shut down (once)
};

}  // namespace

asio::awaitable<std::shared_ptr<WsConnection>> WsConnection::Connect(
    asio::any_io_executor executor, Options options, boost::system::error_code& ec) {
  auto connection = std::make_shared<BeastWsConnection>(executor, options);
  ec = co_await connection->Open();
  if (ec) co_return nullptr;
  co_return connection;
}

}  // namespace net
