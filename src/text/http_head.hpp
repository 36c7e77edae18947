// The head of an HTTP/1.1 response as bytes: status line, the gateway's own fields, the
// handler's headers and the framing fields. Plain text, so every response (whole or streamed)
// is rendered the same way, without a per-field allocation.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace http_text {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct ResponseHead {
  int status = 200;
  std::string_view server;        // the Server field ("" = none)
  std::string_view content_type;  // "" = none
  const Headers* headers = nullptr;
  bool keep_alive = true;
  // The body's length, or nullopt for a chunked body.
  std::optional<std::size_t> content_length;
};

// The standard reason phrase of `status`, "" for codes without one.
std::string_view ReasonPhrase(int status);

// Statuses whose responses carry no body and no framing fields (1xx, 204, 304).
bool StatusHasNoBody(int status);

// Appends the head, ending with the empty line. A header the caller gives twice is sent once,
// with its last value (field names compare case-insensitively); the caller's Content-Length,
// Transfer-Encoding and Connection are dropped (framing belongs to the server), so are names
// that are not tokens; CR, LF and NUL in values become spaces, so no value can split the
// response.
void AppendResponseHead(std::string& out, const ResponseHead& head);

}  // namespace http_text
