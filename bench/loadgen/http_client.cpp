// The gateway client: a minimal HTTP/1.1 keep-alive client on Beast coroutines. Non-stream turns
// read the whole response; stream turns read the chunked body straight from the socket through a
// ChunkedDecoder into an SseScanner as it arrives and timestamp every content chunk. The only
// Beast HTTP code of the load generator.
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "bench/loadgen/chunked_decoder.hpp"
#include "bench/loadgen/clients.hpp"
#include "bench/loadgen/sse_scanner.hpp"

namespace loadgen {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// A stream's server closes the connection after the body; waiting this long for its FIN keeps
// TIME_WAIT on the server side, so thousands of short streams do not use up our local ports.
constexpr auto kCloseWait = std::chrono::milliseconds(1000);

struct HttpShared {
  tcp::endpoint endpoint;
  std::string request;  // the whole request, identical for every turn
  bool stream = false;
  std::chrono::milliseconds timeout{30000};
};

std::string BuildRequest(const Options& o) {
  json::object message{{"role", "user"}, {"content", PromptText(o.prompt_bytes)}};
  json::object body{{"model", o.model}, {"messages", json::array{message}}, {"stream", o.stream}};
  const std::string payload = json::serialize(body);
  std::string request = "POST /v1/chat/completions HTTP/1.1\r\nHost: " + o.host + ":" +
                        std::to_string(o.port) + "\r\nContent-Type: application/json\r\n";
  request += o.stream ? "Accept: text/event-stream\r\n" : "Accept: application/json\r\n";
  if (!o.api_key.empty()) request += "Authorization: Bearer " + o.api_key + "\r\n";
  request += "Content-Length: " + std::to_string(payload.size()) + "\r\n\r\n";
  request += payload;
  return request;
}

class HttpSession final : public TurnSession {
 public:
  HttpSession(asio::any_io_executor executor, std::shared_ptr<const HttpShared> shared)
      : stream_(executor), shared_(std::move(shared)) {}

  asio::awaitable<void> Run(TurnTrace& trace) override {
    const auto deadline = trace.start() + shared_->timeout;
    if (!open_) {
      const auto t0 = Clock::now();
      stream_.expires_at(deadline);
      auto [ec] = co_await stream_.async_connect(shared_->endpoint, kUseTuple);
      if (ec) {
        co_await Fail(trace, "connect", ec);
        co_return;
      }
      stream_.socket().set_option(tcp::no_delay(true), ec);
      trace.OnConnect(Clock::now() - t0);
      open_ = true;
    }
    stream_.expires_at(deadline);
    auto [wec, wn] = co_await asio::async_write(stream_, asio::buffer(shared_->request), kUseTuple);
    if (wec) {
      co_await Fail(trace, "write", wec);
      co_return;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    auto [hec, hn] = co_await http::async_read_header(stream_, buffer_, parser, kUseTuple);
    if (hec) {
      co_await Fail(trace, "read", hec);
      co_return;
    }
    const unsigned status = parser.get().result_int();
    if (status != 200) {
      auto [bec, bn] = co_await http::async_read(stream_, buffer_, parser, kUseTuple);
      trace.Fail("http_" + std::to_string(status), parser.get().body());
      if (bec || !parser.get().keep_alive()) co_await Close(bec);
      co_return;
    }
    if (!shared_->stream) {
      auto [bec, bn] = co_await http::async_read(stream_, buffer_, parser, kUseTuple);
      const auto now = Clock::now();
      if (bec) {
        co_await Fail(trace, "read", bec);
        co_return;
      }
      const std::string& body = parser.get().body();
      if (body.find("\"finish_reason\":\"stop\"") == std::string::npos) {
        trace.Fail("bad_body", body);
      } else {
        trace.Finish(now);
      }
      if (!parser.get().keep_alive()) co_await Close({});
      co_return;
    }

    trace.OnOpen();
    if (!parser.chunked()) {
      trace.Fail("not_chunked", "a stream response without chunked transfer encoding");
      co_await Close({});
      co_return;
    }
    const bool keep_alive = parser.get().keep_alive();
    co_await ReadStream(trace, deadline);
    if (open_ && !keep_alive) co_await Close({});
  }

 private:
  // The body of a stream, read from the socket directly: one receive per arrival, decoded by
  // ChunkedDecoder and SseScanner, no per-read timer (the turn's deadline is one timer).
  asio::awaitable<void> ReadStream(TurnTrace& trace, Clock::time_point deadline) {
    ChunkedDecoder decoder;
    SseScanner scanner;
    bool done = false;
    std::string error_event;
    auto on_data = [&](std::string_view data, Clock::time_point now) {
      scanner.Feed(data, [&](SseScanner::Event event, std::string_view payload) {
        switch (event) {
          case SseScanner::Event::kContent:
            trace.OnDelta(now);
            break;
          case SseScanner::Event::kDone:
            done = true;
            break;
          case SseScanner::Event::kError:
            if (error_event.empty()) error_event = payload;
            break;
          case SseScanner::Event::kOther:
            break;
        }
      });
    };
    // What arrived with the header.
    const auto head_rest = buffer_.cdata();
    std::string_view in(static_cast<const char*>(head_rest.data()), head_rest.size());
    const auto header_time = Clock::now();
    auto status = decoder.Feed(in, [&](std::string_view data) { on_data(data, header_time); });
    buffer_.consume(buffer_.size());

    stream_.expires_never();
    asio::steady_timer timer(stream_.get_executor());
    // Shared with the timer's handler, which may run after this frame is gone.
    struct Watch {
      bool active = true;
      bool expired = false;
    };
    auto watch = std::make_shared<Watch>();
    timer.expires_at(deadline);
    timer.async_wait([watch, &socket = stream_.socket()](boost::system::error_code ec) {
      if (ec || !watch->active) return;  // the body ended first
      watch->expired = true;
      boost::system::error_code ignored;
      socket.cancel(ignored);
    });
    boost::system::error_code read_error;
    while (status == ChunkedDecoder::Status::kNeedMore) {
      auto [ec, n] =
          co_await stream_.socket().async_read_some(asio::buffer(read_buffer_), kUseTuple);
      if (ec) {
        read_error = watch->expired ? beast::error::timeout : ec;
        break;
      }
      const auto now = Clock::now();
      in = std::string_view(read_buffer_.data(), n);
      status = decoder.Feed(in, [&](std::string_view data) { on_data(data, now); });
    }
    watch->active = false;
    timer.cancel();
    const auto now = Clock::now();
    if (read_error) {
      co_await Fail(trace, "read", read_error);
    } else if (status == ChunkedDecoder::Status::kError) {
      trace.Fail("bad_chunking", decoder.error());
      co_await Close({});
    } else if (!error_event.empty()) {
      trace.Fail("sse_error", error_event);
    } else if (!done) {
      trace.Fail("no_done", "the stream ended without data: [DONE]");
    } else {
      trace.Finish(now);
    }
  }

  asio::awaitable<void> Fail(TurnTrace& trace, std::string_view kind, beast::error_code ec) {
    trace.Fail(ec == beast::error::timeout ? "timeout" : kind, ec.message());
    co_await Close(ec);
  }

  // After a clean end of a non-keep-alive response: wait (briefly) for the server's FIN first.
  asio::awaitable<void> Close(beast::error_code ec) {
    if (!open_) co_return;
    open_ = false;
    if (!ec) {
      stream_.expires_after(kCloseWait);
      char byte;
      co_await stream_.async_read_some(asio::buffer(&byte, 1), kUseTuple);
    }
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    buffer_.clear();
  }

  beast::tcp_stream stream_;
  std::shared_ptr<const HttpShared> shared_;
  beast::flat_buffer buffer_;
  std::array<char, 16 * 1024> read_buffer_;
  bool open_ = false;
};

class HttpClient final : public TurnClient {
 public:
  HttpClient(asio::any_io_executor executor, const Options& options) : executor_(executor) {
    auto shared = std::make_shared<HttpShared>();
    shared->stream = options.stream;
    shared->timeout = std::chrono::milliseconds(options.timeout_ms);
    shared->request = BuildRequest(options);
    host_ = options.host;
    port_ = options.port;
    shared_ = std::move(shared);
  }

  asio::awaitable<bool> Start(std::string& error) override {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host_, ec);
    if (ec) {
      error = "--host must be an IP address: " + host_;
      co_return false;
    }
    shared_->endpoint = tcp::endpoint(address, port_);
    co_return true;
  }

  std::unique_ptr<TurnSession> NewSession(int) override {
    return std::make_unique<HttpSession>(executor_, shared_);
  }

  void Stop() override {}

 private:
  asio::any_io_executor executor_;
  std::shared_ptr<HttpShared> shared_;  // sessions get it const once Start has set the endpoint
  std::string host_;
  std::uint16_t port_ = 0;
};

}  // namespace

std::unique_ptr<TurnClient> MakeHttpClient(asio::any_io_executor executor, const Options& options) {
  return std::make_unique<HttpClient>(executor, options);
}

}  // namespace loadgen
