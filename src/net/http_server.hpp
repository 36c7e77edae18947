// The HTTP/1.1 server: accepts connections, parses requests with limits and deadlines, and hands
// each request to one handler coroutine. Beast stays inside http_server.cpp.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace net {

struct HttpRequest {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // path and query, as sent
  std::string path;                                          // target without the query
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string peer;  // remote address
  std::string id;    // request id, unique per process ("req_" + 24 hex digits): X-Request-Id
  // First value of a header (name in lower case), or "" when absent.
  std::string_view Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
};

// Lets a handler stream its response (Server-Sent Events) instead of returning it whole.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Starts the response: the status line and headers leave with the first chunk (one write),
  // the body follows in chunks (chunked transfer encoding). False, and nothing sent, for a status
  // whose responses have no body (1xx, 204, 304). Nothing waits: it can run anywhere.
  virtual bool Begin(int status, const std::vector<std::pair<std::string, std::string>>& headers,
                     std::string_view content_type) = 0;
  // Sends one chunk, or queues it to leave with the other streams' chunks of this turn of the
  // event loop; false when the client is gone or too slow (write deadline). A failure to send a
  // queued chunk shows at the next Write or End. A client that stops reading is cut off by the
  // write deadline of the next Write or End (a stream's keep-alives bound how long that is).
  virtual boost::asio::awaitable<bool> Write(std::string_view data) = 0;
  // True when a chunk can be queued without waiting: the stream has begun, the client is there,
  // nothing is left over from an earlier flush (the head held back by Begin is not left over)
  // and the queue has room. Queue() then queues it (a large chunk may take the queue past its
  // bound; the next Write waits for it); the first chunk leaves at once, with the head.
  virtual bool can_queue() const = 0;
  virtual void Queue(std::string_view data) = 0;
  // Ends the body. The connection may then serve the next request.
  virtual boost::asio::awaitable<void> End() = 0;
  virtual bool begun() const = 0;
  // True once the client closed its side; `on_close` (if set) runs when that is noticed while
  // the handler is between writes, so an upstream turn can be stopped at once.
  virtual bool client_gone() const = 0;
  virtual void OnClientGone(std::function<void()> on_close) = 0;
};

// Returns the whole response, or streams it through `stream` (then the returned value is ignored).
using HttpHandler =
    std::function<boost::asio::awaitable<HttpResponse>(const HttpRequest&, ResponseStream& stream)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = any free port
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  std::size_t max_header_bytes = 64 * 1024;
  std::chrono::milliseconds read_timeout{30000};  // a whole request, headers and body
  std::chrono::milliseconds idle_timeout{75000};  // keep-alive between requests
  std::chrono::milliseconds write_timeout{30000};
};

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // Binds and starts accepting. Throws on bind failure (start-up error).
  static std::unique_ptr<HttpServer> Start(boost::asio::any_io_executor executor,
                                           HttpServerOptions options, HttpHandler handler);
  virtual std::uint16_t port() const = 0;
  // Stops accepting and closes idle connections; requests in progress finish.
  virtual void StopAccepting() = 0;
  virtual std::size_t open_connections() const = 0;
};

}  // namespace net
