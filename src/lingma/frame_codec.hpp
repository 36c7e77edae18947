// LSP base-protocol framing ("Content-Length: N\r\n\r\n<body>") as used inside Lingma's WebSocket
// messages: a pure, incremental, byte-exact encoder and decoder.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace lingma {

// Wraps one JSON body in an LSP frame. Content-Length counts bytes, not characters.
std::string EncodeFrame(std::string_view body);
// Appends the frame to `out` without an intermediate string (hot path).
void AppendFrame(std::string& out, std::string_view body);
// Appends only the header of a frame whose body of `body_size` bytes the caller appends next:
// a large body can then be written once, straight after its header.
void AppendFrameHeader(std::string& out, std::size_t body_size);
// The longest header AppendFrameHeader writes ("Content-Length: ", 20 digits, CRLF CRLF).
inline constexpr std::size_t kMaxFrameHeaderBytes = 40;

struct FrameLimits {
  std::size_t max_header_bytes = 1024;            // one frame's header block
  std::size_t max_body_bytes = 64 * 1024 * 1024;  // one frame's body
};

// Decodes frames from a byte stream that arrives in arbitrary pieces: several frames per piece
// and frames split across pieces are both fine. After an error the decoder stays failed: the
// stream has lost its framing and the connection should be dropped.
class FrameDecoder {
 public:
  enum class Status { kFrame, kNeedMore, kError };

  explicit FrameDecoder(FrameLimits limits = {}) : limits_(limits) {}

  // Adds bytes received from the peer.
  void Feed(std::string_view bytes);

  // Finds the next complete frame. kFrame: `body` views its body inside the decoder, valid until
  // the next Feed (later Next calls leave it alone). kNeedMore: feed more bytes. kError: see
  // error(); every later call returns kError too.
  Status Next(std::string_view& body);
  // The same, with the body copied into `body`.
  Status Next(std::string& body);

  const std::string& error() const { return error_; }
  // Bytes held that are not yet a complete frame.
  std::size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  Status Fail(std::string message);
  void Compact();

  FrameLimits limits_;
  std::string buffer_;
  std::size_t consumed_ = 0;                 // bytes of buffer_ already returned as frames
  std::optional<std::size_t> pending_body_;  // parsed Content-Length of the frame being read
  std::string error_;
};

}  // namespace lingma
