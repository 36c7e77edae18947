// WebSocket client framing; see ws_frame.hpp.
#include "text/ws_frame.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ws_frame {
namespace {

constexpr std::uint8_t kFin = 0x80;
constexpr std::uint8_t kReservedBits = 0x70;
constexpr std::uint8_t kMaskBit = 0x80;
constexpr std::uint8_t kLength16 = 126;
constexpr std::uint8_t kLength64 = 127;
constexpr std::size_t kKeptAssemblyBytes = 1 << 20;

bool IsControl(std::uint8_t opcode) { return opcode >= 0x8; }

std::uint64_t ReadBigEndian(const unsigned char* bytes, int count) {
  std::uint64_t value = 0;
  for (int i = 0; i < count; ++i) value = (value << 8) | bytes[i];
  return value;
}

}  // namespace

void AppendClientHeader(std::string& out, Opcode opcode, std::uint64_t payload_size,
                        const std::uint8_t (&mask_key)[4]) {
  char header[kMaxClientHeaderBytes];
  std::size_t n = 0;
  header[n++] = static_cast<char>(kFin | static_cast<std::uint8_t>(opcode));
  if (payload_size < kLength16) {
    header[n++] = static_cast<char>(kMaskBit | payload_size);
  } else if (payload_size <= 0xFFFF) {
    header[n++] = static_cast<char>(kMaskBit | kLength16);
    header[n++] = static_cast<char>(payload_size >> 8);
    header[n++] = static_cast<char>(payload_size);
  } else {
    header[n++] = static_cast<char>(kMaskBit | kLength64);
    for (int shift = 56; shift >= 0; shift -= 8) {
      header[n++] = static_cast<char>(payload_size >> shift);
    }
  }
  std::memcpy(header + n, mask_key, 4);
  n += 4;
  out.append(header, n);
}

void Mask(char* data, std::size_t size, const std::uint8_t (&mask_key)[4]) {
  // Sixteen bytes at a time with SSE2 (every x86-64 CPU has it), then eight: the key repeats
  // every four, so a repeated key lines up with any block or word that starts at a multiple of
  // four from the payload's start.
  std::uint8_t doubled[8];
  std::memcpy(doubled, mask_key, 4);
  std::memcpy(doubled + 4, mask_key, 4);
  std::uint64_t key_word;
  std::memcpy(&key_word, doubled, 8);
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i key_block = _mm_set1_epi64x(static_cast<long long>(key_word));
  for (; i + 16 <= size; i += 16) {
    auto* block = reinterpret_cast<__m128i*>(data + i);
    _mm_storeu_si128(block, _mm_xor_si128(_mm_loadu_si128(block), key_block));
  }
#endif
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, data + i, 8);
    word ^= key_word;
    std::memcpy(data + i, &word, 8);
  }
  for (; i < size; ++i) data[i] = static_cast<char>(data[i] ^ mask_key[i & 3]);
}

void AppendClientFrame(std::string& out, Opcode opcode, std::string_view payload,
                       const std::uint8_t (&mask_key)[4]) {
  AppendClientHeader(out, opcode, payload.size(), mask_key);
  const std::size_t start = out.size();
  out.append(payload);
  Mask(out.data() + start, payload.size(), mask_key);
}

std::string ClosePayload(std::uint16_t code) {
  return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
}

ServerFrameReader::Status ServerFrameReader::Fail(std::string message) {
  error_ = std::move(message);
  return Status::kError;
}

ServerFrameReader::Status ServerFrameReader::Next(std::string_view data, std::size_t& consumed,
                                                  std::string_view& payload) {
  consumed = 0;
  payload = {};
  if (!error_.empty()) return Status::kError;
  if (take_assembled_) {
    take_assembled_ = false;
    assembled_.clear();
    // A rare large fragmented message does not keep its room for the connection's lifetime.
    if (assembled_.capacity() > kKeptAssemblyBytes) std::string().swap(assembled_);
  }
  // Fragments that are not the last of their message are taken into assembled_ and the loop
  // goes on, so the caller sees whole messages and control frames only.
  while (true) {
    const std::string_view rest = data.substr(consumed);
    const auto* bytes = reinterpret_cast<const unsigned char*>(rest.data());
    if (rest.size() < 2) {
      needed_ = 2;
      return Status::kNeedMore;
    }
    const bool fin = (bytes[0] & kFin) != 0;
    const std::uint8_t opcode = bytes[0] & 0x0F;
    if ((bytes[0] & kReservedBits) != 0) return Fail("a frame has reserved bits set");
    if ((bytes[1] & kMaskBit) != 0) return Fail("a frame from the server is masked");
    const std::uint8_t length7 = bytes[1] & 0x7F;
    const std::size_t header = length7 == kLength16 ? 4 : length7 == kLength64 ? 10 : 2;
    if (rest.size() < header) {
      needed_ = header;
      return Status::kNeedMore;
    }
    std::uint64_t length = length7;
    if (length7 == kLength16) {
      length = ReadBigEndian(bytes + 2, 2);
      if (length < kLength16) return Fail("a frame's length is not in its shortest form");
    } else if (length7 == kLength64) {
      length = ReadBigEndian(bytes + 2, 8);
      if (length >> 63) return Fail("a frame's length has its top bit set");
      if (length <= 0xFFFF) return Fail("a frame's length is not in its shortest form");
    }

    if (IsControl(opcode)) {
      if (opcode != 0x8 && opcode != 0x9 && opcode != 0xA) {
        return Fail("unknown control opcode " + std::to_string(opcode));
      }
      if (!fin) return Fail("a control frame is fragmented");
      if (length > kMaxControlPayloadBytes) return Fail("a control frame is over 125 bytes");
    } else if (opcode == 0x0) {
      if (!in_fragmented_) return Fail("a continuation frame without a message to continue");
    } else if (opcode == 0x1 || opcode == 0x2) {
      if (in_fragmented_) return Fail("a new message began before the last one ended");
    } else {
      return Fail("unknown data opcode " + std::to_string(opcode));
    }
    const std::uint64_t so_far = opcode == 0x0 ? assembled_.size() : 0;
    if (!IsControl(opcode) && length > max_message_ - so_far) {
      return Fail("a message is over " + std::to_string(max_message_) + " bytes");
    }
    const std::size_t frame_size = header + static_cast<std::size_t>(length);
    if (rest.size() < frame_size) {
      needed_ = frame_size;
      return Status::kNeedMore;
    }
    const std::string_view body = rest.substr(header, static_cast<std::size_t>(length));
    consumed += frame_size;

    switch (opcode) {
      case 0x8:
        payload = body;
        return Status::kClose;
      case 0x9:
        payload = body;
        return Status::kPing;
      case 0xA:
        payload = body;
        return Status::kPong;
      case 0x0:
        assembled_.append(body);
        if (!fin) continue;
        in_fragmented_ = false;
        take_assembled_ = true;
        payload = assembled_;
        return Status::kMessage;
      default:  // text or binary: the first frame of a message
        if (fin) {
          payload = body;
          return Status::kMessage;
        }
        in_fragmented_ = true;
        assembled_.assign(body);
        continue;
    }
  }
}

}  // namespace ws_frame
