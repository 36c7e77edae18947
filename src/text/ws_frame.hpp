// WebSocket framing (RFC 6455) as the client side of a connection needs it: frames to send
// (masked, as a client must) and a reader for the frames a server sends. Pure and byte-exact; the
// socket, the handshake and the write queue live in net/ws_client.cpp.
//
// The reader works on the bytes the caller has buffered and hands out messages that view that
// buffer, so that a read of many messages costs one system call and no copy: everything already
// received is handled before the connection waits again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ws_frame {

enum class Opcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// The longest header of a client frame: 2 bytes, an 8-byte length, a 4-byte masking key.
inline constexpr std::size_t kMaxClientHeaderBytes = 14;
// Control frames (close, ping, pong) carry at most this much.
inline constexpr std::size_t kMaxControlPayloadBytes = 125;

// Appends the header of a final (unfragmented) client frame of `payload_size` bytes masked with
// `mask_key` (its bytes in the order they go on the wire). The payload follows, masked (Mask).
void AppendClientHeader(std::string& out, Opcode opcode, std::uint64_t payload_size,
                        const std::uint8_t (&mask_key)[4]);

// XORs `data` with the masking key, in place (masking and unmasking are the same operation).
// `data` must start at the first byte of a frame's payload.
void Mask(char* data, std::size_t size, const std::uint8_t (&mask_key)[4]);

// Appends a whole final client frame: header, then the masked payload.
void AppendClientFrame(std::string& out, Opcode opcode, std::string_view payload,
                       const std::uint8_t (&mask_key)[4]);

// The close frame's payload: a 2-byte status code (1000 normal closure) and no reason.
std::string ClosePayload(std::uint16_t code);

// Reads the frames a server sends. Data frames form messages (one frame, or a first frame and
// continuations); control frames may arrive between the frames of a message and are reported
// one by one. After an error the reader stays failed: the connection has lost its framing.
class ServerFrameReader {
 public:
  enum class Status {
    kMessage,   // a whole text or binary message
    kPing,      // answer with a pong carrying the same payload
    kPong,      // nothing to do
    kClose,     // the server closes; payload: its status code and reason, if any
    kNeedMore,  // the next frame is not complete yet (see needed())
    kError,     // see error()
  };

  explicit ServerFrameReader(std::size_t max_message_bytes) : max_message_(max_message_bytes) {}

  // Parses the next frame from the start of `data` (the bytes received and not yet consumed).
  // `consumed` is set to the bytes used up, whatever the status: fragments of a message that
  // has not ended are taken into the reader before it returns kNeedMore. `payload` views the
  // message or control payload: inside `data` for a message of one frame and for control
  // frames, inside the reader for a message assembled from fragments; valid until the caller
  // changes those bytes or calls Next again.
  Status Next(std::string_view data, std::size_t& consumed, std::string_view& payload);

  // After kNeedMore: the bytes that must be buffered after the consumed ones for the next Next
  // call to make progress; the caller's buffer must be able to hold that many.
  std::size_t needed() const { return needed_; }
  const std::string& error() const { return error_; }

 private:
  Status Fail(std::string message);

  std::size_t max_message_;
  std::string assembled_;        // fragments of a message so far
  bool in_fragmented_ = false;   // a message's first frame arrived without FIN
  bool take_assembled_ = false;  // the last Next returned assembled_: clear it next time
  std::size_t needed_ = 2;
  std::string error_;
};

}  // namespace ws_frame
