// Beast-based HttpServer; see http_server.hpp.
#include "net/http_server.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/optional/optional.hpp>
#include <cerrno>
#include <optional>
#include <random>
#include <stdexcept>
#include <unordered_set>

#include "text/ascii.hpp"
#include "text/http_head.hpp"

namespace net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kServer = "lingma-gateway/" LGW_VERSION;
// The most a request body is read at a time (its buffer is given back after the request).
constexpr std::uint64_t kBodyReadBytes = 64 * 1024;

std::string NewRequestId(std::mt19937_64& random) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "req_";
  for (int i = 0; i < 24; ++i) id.push_back(kHex[random() % 16]);
  return id;
}

HttpResponse PlainError(int status, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.body = std::string("{\"error\":{\"message\":\"") + std::string(message) +
           "\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}";
  return r;
}

// A request body read into a std::string. Beast's string_body grows its string with resize(),
// which zero-fills the new bytes, and then copies the received bytes over them: a 200 KB body
// cost a 200 KB memset on top of the copy. This body appends. The parser checks body_limit
// before init(), so the reserve is bounded by it.
struct AppendedStringBody {
  using value_type = std::string;

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
      ec = {};
      if (!length) return;
      if (*length > body_.max_size()) {
        ec = http::error::buffer_overflow;
        return;
      }
      body_.reserve(static_cast<std::size_t>(*length));
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      std::size_t taken = 0;
      for (const auto buffer : beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(buffer.data()), buffer.size());
        taken += buffer.size();
      }
      ec = {};
      return taken;
    }

    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

class ChunkedStream;

// Chunks written during one turn of the event loop leave together. A WebSocket message from
// Lingma often carries answers for many turns; each turn's handler renders its chunk and queues
// it here, and one handler posted behind them writes every queued stream back to back. A client
// on this host then wakes up once for the burst instead of once per chunk, which is most of what
// a chunk costs (the wake-up of the reader happens inside the writer's send). Nothing waits for the
// network or a timer: the flush is an ordinary handler, queued behind those that were ready.
class WriteBatch : public std::enable_shared_from_this<WriteBatch> {
 public:
  explicit WriteBatch(asio::any_io_executor executor) : executor_(std::move(executor)) {}

  // Returns the slot to pass to Remove.
  std::size_t Add(ChunkedStream* stream) {
    if (!posted_) {
      posted_ = true;
      asio::post(executor_, [self = shared_from_this()] { self->Flush(); });
    }
    queued_.push_back(stream);
    return queued_.size() - 1;
  }

  void Remove(std::size_t slot) { queued_[slot] = nullptr; }

  // Buffers for the bytes a stream has not written yet. A stream holds one only while it has
  // such bytes, so an open stream that waits costs no buffer, and a chunk costs no allocation:
  // the spares are as many as were in use at once, up to a bound.
  std::string TakeBuffer() {
    if (spares_.empty()) return {};
    std::string buffer = std::move(spares_.back());
    spares_.pop_back();
    return buffer;
  }
  void GiveBack(std::string&& buffer) {
    if (buffer.capacity() < kMinSpareBytes || buffer.capacity() > kMaxSpareBytes ||
        spares_.size() >= kMaxSpares) {
      return;
    }
    buffer.clear();
    spares_.push_back(std::move(buffer));
  }

 private:
  static constexpr std::size_t kMaxSpares = 256;
  static constexpr std::size_t kMinSpareBytes = 64;  // not worth keeping below this
  static constexpr std::size_t kMaxSpareBytes = 4096;

  void Flush();

  asio::any_io_executor executor_;
  std::vector<ChunkedStream*> queued_;
  std::vector<ChunkedStream*> flushing_;
  std::vector<std::string> spares_;
  bool posted_ = false;
};

// Streams a chunked response on the connection's socket and watches for the client leaving.
class ChunkedStream final : public ResponseStream {
 public:
  ChunkedStream(beast::tcp_stream& stream, std::shared_ptr<WriteBatch> batch,
                std::chrono::milliseconds write_timeout, bool keep_alive)
      : stream_(stream),
        batch_(std::move(batch)),
        write_timeout_(write_timeout),
        keep_alive_(keep_alive),
        gone_(std::make_shared<Gone>()) {}

  ~ChunkedStream() override {
    Unqueue();
    Release();
    gone_->stream_alive = false;
    if (watching_ || awaiting_writable_) {
      boost::system::error_code ignored;
      stream_.socket().cancel(ignored);  // only the watchers are pending here
    }
  }

  bool Begin(int status, const std::vector<std::pair<std::string, std::string>>& headers,
             std::string_view content_type) override {
    if (http_text::StatusHasNoBody(status)) return false;  // it could carry no chunks
    // Held back and sent with the first chunk: one write instead of two for every stream.
    out_ = batch_->TakeBuffer();
    http_text::AppendResponseHead(out_, {.status = status,
                                         .server = kServer,
                                         .content_type = content_type,
                                         .headers = &headers,
                                         .keep_alive = keep_alive_,
                                         .content_length = std::nullopt});
    begun_ = true;
    head_held_ = true;
    return true;
  }

  // Queues the chunk for the batch's flush. Bytes that no flush is going to write — the head,
  // before the first chunk, or what the socket did not take — make the chunk leave at once with
  // them: a client waits for its first token, not for the other streams' chunks of the same
  // burst, and a client that did not read the last flush (or a backlog over kMaxQueuedBytes)
  // makes the caller wait here, bounded by the write timeout (one that reads nothing is cut off).
  asio::awaitable<bool> Write(std::string_view data) override {
    if (failed() || data.empty()) co_return !failed();
    const bool left_behind = !queued_ && !out_.empty();
    AppendChunk(data);
    if (!left_behind && out_.size() <= kMaxQueuedBytes) {
      JoinBatch();
      co_return true;
    }
    const bool ok = co_await Drain();
    co_return ok;
  }

  bool can_queue() const override {
    return begun_ && !ended_ && !failed() && (queued_ || out_.empty() || head_held_) &&
           out_.size() < kMaxQueuedBytes;
  }

  // The first chunk takes the head along and leaves at once, like a Write's (see Write); later
  // ones wait for the batch.
  void Queue(std::string_view data) override {
    if (data.empty()) return;
    const bool first = head_held_;
    AppendChunk(data);
    if (!first) return JoinBatch();
    SendNow();
  }

  asio::awaitable<void> End() override {
    if (failed()) co_return;
    out_.append(kLastChunk);
    ended_ = co_await Drain();
  }

  // The whole response went out: the connection can serve the next request.
  bool ended() const { return ended_ && !failed(); }

  bool begun() const override { return begun_; }
  bool client_gone() const override { return failed(); }
  bool failed() const { return failed_; }
  void OnClientGone(std::function<void()> on_close) override {
    gone_->on_close = std::move(on_close);
  }

  // Called by the batch: as much of the queued bytes as the socket takes now.
  void FlushQueued() {
    queued_ = false;
    if (failed()) return Release();
    SendNow();
  }

 private:
  // What the socket watchers' handlers need, which may run after the stream is gone.
  struct Gone {
    bool stream_alive = true;
    std::function<void()> on_close;
  };

  // A few of the SSE sink's batches (it writes at 16 KiB); more waits for the socket.
  static constexpr std::size_t kMaxQueuedBytes = 64 * 1024;

  // A chunk: its size in hex, CRLF, the data, CRLF.
  void AppendChunk(std::string_view data) {
    if (out_.empty()) out_ = batch_->TakeBuffer();
    static constexpr char kHex[] = "0123456789abcdef";
    char digits[sizeof(std::size_t) * 2];
    std::size_t n = 0;
    for (std::size_t size = data.size(); n == 0 || size != 0; size >>= 4) {
      digits[n++] = kHex[size & 0xf];
    }
    out_.reserve(out_.size() + n + data.size() + 4);
    for (std::size_t i = n; i > 0; --i) out_.push_back(digits[i - 1]);
    out_.append("\r\n").append(data).append("\r\n");
  }

  void JoinBatch() {
    if (queued_) return;
    slot_ = batch_->Add(this);
    queued_ = true;
  }

  void Unqueue() {
    if (!queued_) return;
    batch_->Remove(slot_);
    queued_ = false;
  }

  // A stream may stay open for minutes between chunks: its buffer is given back once sent.
  void Release() {
    batch_->GiveBack(std::move(out_));  // it keeps only buffers worth keeping
    out_ = std::string();
  }

  // One non-blocking send (the socket is non-blocking); keeps what the socket did not take.
  void WriteNow() {
    head_held_ = false;
    boost::system::error_code ec;
    const std::size_t sent = stream_.socket().write_some(asio::buffer(out_), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return;
    if (ec) {
      failed_ = true;
      return Release();
    }
    if (sent == out_.size()) return Release();
    out_.erase(0, sent);
  }

  // Sends the rest once the client reads, unless a writer of this stream gets there first.
  void WatchForWritable() {
    if (awaiting_writable_) return;
    awaiting_writable_ = true;
    auto gone = gone_;
    stream_.socket().async_wait(tcp::socket::wait_write,
                                [this, gone](boost::system::error_code ec) {
                                  if (!gone->stream_alive)
                                    return;  // the response is done; `this` is gone
                                  awaiting_writable_ = false;
                                  if (ec || draining_ || out_.empty() || failed()) return;
                                  SendNow();
                                });
  }

  // What the socket takes now; the rest once the client reads.
  void SendNow() {
    WriteNow();
    if (!out_.empty() && !failed()) WatchForWritable();
  }

  // Writes everything queued, waiting for the socket as long as the write timeout allows.
  asio::awaitable<bool> Drain() {
    Unqueue();
    if (!out_.empty()) WriteNow();
    if (!out_.empty() && !failed()) {
      draining_ = true;
      stream_.expires_after(write_timeout_);
      auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(out_), kUseTuple);
      draining_ = false;
      if (ec) failed_ = true;
      Release();
    }
    co_return !failed();
  }

  static constexpr char kLastChunk[] = "0\r\n\r\n";

  // Watches the socket while the handler runs: a client that closes its side is noticed at once,
  // so the upstream turn can be stopped. Readable with data means a pipelined request, not a
  // close: the watch then ends (pipelining clients wait for the response anyway).
  void WatchForClose() {
    watching_ = true;
    auto gone = gone_;
    auto& socket = stream_.socket();
    socket.async_wait(tcp::socket::wait_read, [this, gone, &socket](boost::system::error_code ec) {
      if (!gone->stream_alive) return;  // the response is done; `this` is gone
      if (!ec) {
        char byte;
        const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0) {
          watching_ = false;
          return;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
          WatchForClose();
          return;
        }
      }
      watching_ = false;
      failed_ = true;  // the client left
      if (gone->on_close) gone->on_close();
    });
  }

 public:
  void StartWatching() { WatchForClose(); }

 private:
  beast::tcp_stream& stream_;
  std::shared_ptr<WriteBatch> batch_;
  std::chrono::milliseconds write_timeout_;
  bool keep_alive_;
  bool ended_ = false;
  bool head_held_ = false;  // out_ holds Begin's head, to leave with the first chunk
  std::string out_;  // not written yet: the head, queued chunks, what the socket did not take
  std::shared_ptr<Gone> gone_;
  std::size_t slot_ = 0;   // in the batch, while queued_
  bool queued_ = false;    // waits for the batch's flush
  bool draining_ = false;  // a Write or End waits for the socket
  bool awaiting_writable_ = false;
  bool begun_ = false;
  bool failed_ = false;  // a write failed or the client left: nothing more is written
  bool watching_ = false;
};

void WriteBatch::Flush() {
  posted_ = false;
  flushing_.swap(queued_);
  for (ChunkedStream* stream : flushing_) {
    if (stream) stream->FlushQueued();
  }
  flushing_.clear();
}

class BeastHttpServer final : public HttpServer {
 public:
  BeastHttpServer(asio::any_io_executor executor, HttpServerOptions options, HttpHandler handler)
      : executor_(executor),
        acceptor_(executor),
        options_(std::move(options)),
        handler_(std::move(handler)),
        alive_(std::make_shared<bool>(true)),
        batch_(std::make_shared<WriteBatch>(executor)),
        random_(std::random_device{}()) {}

  ~BeastHttpServer() override {
    *alive_ = false;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }

  // Throws std::runtime_error saying which address failed and why, in words an operator reads.
  void Listen() {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options_.host, ec);
    if (ec) throw std::runtime_error("\"" + options_.host + "\" is not an IP address");
    const tcp::endpoint endpoint(address, options_.port);
    const auto fail = [&](std::string_view step) {
      throw std::runtime_error("cannot " + std::string(step) + " " + options_.host + ":" +
                               std::to_string(options_.port) + ": " + ec.message());
    };
    acceptor_.open(endpoint.protocol(), ec);
    if (ec) fail("open a socket for");
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) fail("configure");
    acceptor_.bind(endpoint, ec);
    if (ec) fail("listen on");
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) fail("listen on");
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(executor_, AcceptLoop(), asio::detached);
  }

  std::uint16_t port() const override { return port_; }

  void StopAccepting() override {
    stopping_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto* stream : idle_) stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  std::size_t open_connections() const override { return connections_; }

 private:
  asio::awaitable<void> AcceptLoop() {
    auto alive = alive_;
    while (*alive && acceptor_.is_open()) {
      auto [ec, socket] = co_await acceptor_.async_accept(kUseTuple);
      if (!*alive || stopping_) break;
      if (ec) {
        if (ec == asio::error::operation_aborted) break;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      // Streamed chunks are written straight to the socket first (ChunkedStream::WriteNow);
      // asynchronous operations are not affected by this.
      socket.non_blocking(true, ignored);
      asio::co_spawn(executor_, Serve(beast::tcp_stream(std::move(socket)), alive), asio::detached);
    }
  }

  // Feeds the parser what the buffer holds past the head; an error is the body's (need_more is
  // not one: the rest has yet to arrive).
  static beast::error_code ParseBuffered(http::request_parser<AppendedStringBody>& parser,
                                         beast::flat_buffer& buffer) {
    beast::error_code ec;
    while (!parser.is_done() && buffer.size() > 0) {
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == http::error::need_more) return {};
      if (ec || used == 0) return ec;
    }
    return ec;
  }

  enum class Read { kRequest, kError, kClose };
  struct ReadResult {
    Read read = Read::kClose;
    bool keep_alive = false;
    bool head_request = false;  // the response is sent without its body (RFC 9110 §9.3.2)
  };

  // Reads the next request of the connection into `request` (kRequest), or the HTTP layer's
  // answer to a bad one into `response` (kError); kClose: the connection ends (the client closed
  // it or went quiet, or the server stops; then `alive` may be false and `this` gone). A
  // coroutine of its own so that the parser, needed only while reading, is not part of the
  // connection's frame for as long as a stream is served.
  asio::awaitable<ReadResult> ReadRequest(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                          bool first, const std::shared_ptr<bool>& alive,
                                          HttpRequest& request, HttpResponse& response) {
    http::request_parser<AppendedStringBody> parser;
    parser.body_limit(options_.max_body_bytes);
    parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    // Waiting for the next request on a kept-alive connection is "idle"; Stop closes it.
    stream.expires_after(first ? options_.read_timeout : options_.idle_timeout);
    idle_.insert(&stream);
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kUseTuple);
    if (!*alive) co_return ReadResult{};
    idle_.erase(&stream);
    if (hec) {
      if (hec == http::error::body_limit) {
        response = PlainError(413, "request body too large");  // from Content-Length alone
      } else if (hec == http::error::header_limit) {
        response = PlainError(431, "request headers too large");
      } else if (hec == http::error::end_of_stream || hec == beast::error::timeout ||
                 hec == asio::error::operation_aborted || hec == asio::error::connection_reset ||
                 hec == asio::error::eof) {
        co_return ReadResult{};
      } else {
        response = PlainError(400, "malformed HTTP request");
      }
      co_return ReadResult{.read = Read::kError};
    }
    // The body usually arrives with the head: parsed from the buffer here, it costs no trip
    // through the event loop (Beast's async_read takes one even when it has nothing to read,
    // and under load that trip waits behind every other handler).
    beast::error_code bec = ParseBuffered(parser, buffer);
    if (!bec && !parser.is_done()) {
      stream.expires_after(options_.read_timeout);
      // Beast reads as much as the buffer has room for, at least 512 bytes: without room, a
      // 200 KB body took 400 reads, each a trip through the event loop. What is buffered
      // already is the body's start; room for the rest.
      const std::uint64_t body = parser.content_length().value_or(kBodyReadBytes);
      if (body > buffer.size()) {
        buffer.reserve(buffer.size() +
                       static_cast<std::size_t>(std::min(body - buffer.size(), kBodyReadBytes)));
      }
      auto [read_ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
      if (!*alive) co_return ReadResult{};
      bec = read_ec;
    }
    if (bec == http::error::body_limit) {
      response = PlainError(413, "request body too large");
      co_return ReadResult{.read = Read::kError};
    }
    if (bec) {
      if (bec == beast::error::timeout || bec == http::error::end_of_stream) {
        co_return ReadResult{};
      }
      response = PlainError(400, "malformed HTTP request body");
      co_return ReadResult{.read = Read::kError};
    }
    auto& msg = parser.get();
    request.method = std::string(msg.method_string());
    request.target = std::string(msg.target());
    request.path = request.target.substr(0, request.target.find('?'));
    for (const auto& field : msg) {
      request.headers.emplace_back(ascii::Lower(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(msg.body());
    co_return ReadResult{.read = Read::kRequest,
                         .keep_alive = msg.keep_alive(),
                         .head_request = msg.method() == http::verb::head};
  }

  asio::awaitable<void> Serve(beast::tcp_stream stream, std::shared_ptr<bool> alive) {
    ++connections_;
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    const std::string peer = stream.socket().remote_endpoint(ec).address().to_string();
    bool first = true;
    while (*alive && !stopping_) {
      HttpRequest request;
      HttpResponse response;
      const ReadResult got = co_await ReadRequest(stream, buffer, first, alive, request, response);
      if (!*alive) co_return;
      if (got.read == Read::kClose) break;
      first = false;
      const std::string request_id = NewRequestId(random_);
      if (got.read == Read::kRequest) {
        request.peer = peer;
        request.id = request_id;
        // A stream may hold this connection for minutes: keep only what the handler needs.
        buffer.shrink_to_fit();
        stream.expires_never();  // the handler owns its own deadlines
        const bool stream_keep_alive = got.keep_alive && !stopping_;
        bool streamed = false;
        bool stream_reusable = false;
        {
          ChunkedStream chunked(stream, batch_, options_.write_timeout, stream_keep_alive);
          chunked.StartWatching();
          response = co_await handler_(request, chunked);
          if (!*alive) co_return;
          streamed = chunked.begun();
          stream_reusable = stream_keep_alive && chunked.ended();
        }  // the stream's watchers are cancelled here, before the connection reads again
        if (streamed) {
          if (!stream_reusable || stopping_) break;
          continue;  // a kept-alive stream: wait for the next request
        }
      }
      // The router sets it on the responses it makes; errors of the HTTP layer get it here.
      const bool has_id = std::any_of(response.headers.begin(), response.headers.end(),
                                      [](const auto& h) { return h.first == "X-Request-Id"; });
      if (!has_id) response.headers.emplace_back("X-Request-Id", request_id);
      const bool reuse = got.keep_alive && !stopping_;
      if (http_text::StatusHasNoBody(response.status)) response.body.clear();
      std::string head;
      http_text::AppendResponseHead(head, {.status = response.status,
                                           .server = kServer,
                                           .content_type = response.content_type,
                                           .headers = &response.headers,
                                           .keep_alive = reuse,
                                           .content_length = response.body.size()});
      // A HEAD response announces the body's length but does not carry it: a kept-alive client
      // would read it as the start of the next response.
      const std::array<asio::const_buffer, 2> wire = {
          asio::buffer(head),
          got.head_request ? asio::const_buffer() : asio::buffer(response.body)};
      stream.expires_after(options_.write_timeout);
      auto [wec, wn] = co_await asio::async_write(stream, wire, kUseTuple);
      if (wec || !reuse) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (*alive) --connections_;
  }

  asio::any_io_executor executor_;
  tcp::acceptor acceptor_;
  HttpServerOptions options_;
  HttpHandler handler_;
  std::shared_ptr<bool> alive_;
  std::shared_ptr<WriteBatch> batch_;
  std::unordered_set<beast::tcp_stream*> idle_;
  std::uint16_t port_ = 0;
  std::size_t connections_ = 0;
  bool stopping_ = false;
  std::mt19937_64 random_;
};

}  // namespace

std::unique_ptr<HttpServer> HttpServer::Start(asio::any_io_executor executor,
                                              HttpServerOptions options, HttpHandler handler) {
  auto server = std::make_unique<BeastHttpServer>(executor, std::move(options), std::move(handler));
  server->Listen();
  return server;
}

}  // namespace net
