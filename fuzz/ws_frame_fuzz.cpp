// Fuzzes ws_frame::ServerFrameReader (the RFC 6455 frames a server sends) the way the connection
// drives it, with fuzzer-chosen cuts, and the client framing (AppendClientFrame, Mask).
//
// Input: bytes 0..1 pick the reader's message limit (big endian, modulo 302: 0..300 bytes, 301 for
// no limit); the rest is cut as fuzz::SplitInput describes. Like net/ws_client.cpp, the harness
// keeps the bytes received and not yet consumed, appends each piece, calls Next until it returns
// kNeedMore or kError, and drops `consumed` bytes after every call.
// Invariants:
// - `consumed` never exceeds the bytes passed in;
// - a message is at most the limit and a control payload at most 125 bytes; a payload lies
//   wholly inside the bytes passed in (a control frame, a message of one frame: then the frame's
//   header precedes it and its end is the end of the consumed bytes) or wholly outside them (a
//   message assembled from fragments);
// - after kNeedMore, needed() > 0 and more than the bytes left unconsumed, and a later call with
//   fewer than needed() bytes makes no progress;
// - after kError, error() is set and every later call returns kError and consumes nothing;
// - the events (status and payload, up to the first error) do not depend on how the bytes were
//   cut, and neither do the bytes consumed or needed() at the end;
// - every message re-encoded with AppendClientFrame unmasks (Mask) back to itself, Mask twice
//   restores, and the re-encoded events, fed byte by byte to a new reader, come out the same;
// - the events are those of a plain reading of RFC 6455 framing (ReadModel below).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_common.hpp"
#include "text/ws_frame.hpp"

namespace {

using ws_frame::Opcode;
using ws_frame::ServerFrameReader;
using Status = ws_frame::ServerFrameReader::Status;

constexpr std::uint8_t kKey[4] = {0x37, 0xFA, 0x21, 0x3D};
constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

struct Event {
  Status status;
  std::string payload;  // the error for kError
  bool operator==(const Event&) const = default;
};

struct Run {
  std::vector<Event> events;  // every status but kNeedMore, in order; ends at the first kError
  bool failed = false;
  std::size_t consumed = 0;  // bytes consumed in all
  std::size_t pending = 0;   // bytes fed and left unconsumed at the end
  std::size_t needed = 0;    // needed() at the end, if not failed
};

const char* Name(Status status) {
  switch (status) {
    case Status::kMessage:
      return "message";
    case Status::kPing:
      return "ping";
    case Status::kPong:
      return "pong";
    case Status::kClose:
      return "close";
    case Status::kNeedMore:
      return "need-more";
    case Status::kError:
      return "error";
  }
  return "?";
}

std::size_t HeaderSize(std::size_t payload_size) {
  return payload_size < 126 ? 2 : payload_size <= 0xFFFF ? 4 : 10;
}

// The frame a server sends for `payload` (final, unmasked, shortest length), derived from the
// client frame AppendClientFrame makes; checks that frame and Mask on the way.
std::string RoundTrip(Opcode opcode, std::string_view payload) {
  const std::size_t size = payload.size();
  const std::size_t hlen = HeaderSize(size);
  std::string frame = "prefix";
  ws_frame::AppendClientFrame(frame, opcode, payload, kKey);
  FUZZ_CHECK(frame.compare(0, 6, "prefix") == 0);
  FUZZ_CHECK_MSG(frame.size() == 6 + hlen + 4 + size, "frame of %zu bytes for a payload of %zu",
                 frame.size() - 6, size);

  std::string header;
  ws_frame::AppendClientHeader(header, opcode, size, kKey);
  FUZZ_CHECK(header.size() == hlen + 4 && header.size() <= ws_frame::kMaxClientHeaderBytes);
  FUZZ_CHECK(frame.compare(6, header.size(), header) == 0);
  const auto* h = reinterpret_cast<const unsigned char*>(header.data());
  FUZZ_CHECK(h[0] == (0x80 | static_cast<unsigned>(opcode)));
  FUZZ_CHECK((h[1] & 0x80) != 0);  // masked
  const unsigned length7 = h[1] & 0x7F;
  std::uint64_t length = length7;
  if (hlen == 4) {
    FUZZ_CHECK(length7 == 126);
    length = (std::uint64_t{h[2]} << 8) | h[3];
  } else if (hlen == 10) {
    FUZZ_CHECK(length7 == 127);
    length = 0;
    for (int i = 2; i < 10; ++i) length = (length << 8) | h[i];
  }
  FUZZ_CHECK(length == size);
  for (int i = 0; i < 4; ++i) FUZZ_CHECK(h[hlen + i] == kKey[i]);

  char* body = frame.data() + 6 + hlen + 4;
  for (std::size_t i = 0; i < size; ++i) {
    FUZZ_CHECK_MSG(static_cast<unsigned char>(body[i]) ==
                       (static_cast<unsigned char>(payload[i]) ^ kKey[i & 3]),
                   "byte %zu of %zu masked wrong", i, size);
  }
  ws_frame::Mask(body, size, kKey);
  FUZZ_CHECK(std::string_view(body, size) == payload);
  ws_frame::Mask(body, size, kKey);
  ws_frame::Mask(body, size, kKey);
  FUZZ_CHECK(std::string_view(body, size) == payload);

  std::string server = header.substr(0, hlen);
  server[1] = static_cast<char>(server[1] & 0x7F);
  server.append(payload);
  return server;
}

// Whether [p, p + m) lies inside / wholly outside [d, d + n), compared as addresses.
bool Inside(std::string_view data, std::string_view payload) {
  const auto d = reinterpret_cast<std::uintptr_t>(data.data());
  const auto p = reinterpret_cast<std::uintptr_t>(payload.data());
  return p >= d && p - d <= data.size() && payload.size() <= data.size() - (p - d);
}

bool Outside(std::string_view data, std::string_view payload) {
  const auto d = reinterpret_cast<std::uintptr_t>(data.data());
  const auto p = reinterpret_cast<std::uintptr_t>(payload.data());
  return p + payload.size() <= d || p >= d + data.size();
}

class Feeder {
 public:
  explicit Feeder(std::size_t max) : max_(max), reader_(max) {}

  // Appends a piece, then hands out everything buffered, as the connection does after a read.
  // Returns false once the reader has failed (nothing more is fed then).
  bool Feed(std::string_view piece) {
    buffer_.append(piece);
    for (;;) {
      const Status status = Step();
      if (status == Status::kError) return false;
      if (status == Status::kNeedMore) return true;
    }
  }

  // After kError: the reader stays failed whatever it is given.
  void CheckStaysFailed(std::string_view more) {
    FUZZ_CHECK(run_.failed);
    const std::string error = reader_.error();
    const std::string with_more = buffer_ + std::string(more);
    for (std::string_view data : {std::string_view(buffer_), std::string_view(),
                                  std::string_view(with_more), std::string_view("\x81\x00", 2)}) {
      std::size_t consumed = 12345;
      std::string_view payload = "stale";
      const Status status = reader_.Next(data, consumed, payload);
      FUZZ_CHECK_MSG(status == Status::kError, "after an error: %s", Name(status));
      FUZZ_CHECK(consumed == 0);
      FUZZ_CHECK(reader_.error() == error);
    }
  }

  Run Finish() {
    run_.pending = buffer_.size();
    if (!run_.failed) {
      if (!called_) Step();  // nothing was fed: one call on no bytes
      FUZZ_CHECK(last_ == Status::kNeedMore);
      run_.needed = reader_.needed();
    }
    return run_;
  }

 private:
  Status Step() {
    const std::string_view data = buffer_;
    std::size_t consumed = kUnlimited;
    std::string_view payload = "stale";
    const Status status = reader_.Next(data, consumed, payload);
    FUZZ_CHECK_MSG(consumed <= data.size(), "consumed %zu of %zu (%s)", consumed, data.size(),
                   Name(status));
    if (called_ && last_ == Status::kNeedMore && data.size() < needed_) {
      // Fewer bytes than needed() asked for: no progress yet.
      FUZZ_CHECK_MSG(status == Status::kNeedMore && consumed == 0 && reader_.needed() == needed_,
                     "%zu bytes (needed %zu): %s, consumed %zu, needed %zu", data.size(), needed_,
                     Name(status), consumed, reader_.needed());
    }
    called_ = true;
    last_ = status;

    switch (status) {
      case Status::kMessage:
        CheckMessage(data, consumed, payload);
        run_.events.push_back({status, std::string(payload)});
        break;
      case Status::kPing:
      case Status::kPong:
      case Status::kClose:
        CheckControl(status, data, consumed, payload);
        run_.events.push_back({status, std::string(payload)});
        break;
      case Status::kNeedMore:
        needed_ = reader_.needed();
        FUZZ_CHECK_MSG(needed_ > 0 && needed_ > data.size() - consumed,
                       "needed %zu with %zu bytes passed, %zu consumed", needed_, data.size(),
                       consumed);
        break;
      case Status::kError:
        FUZZ_CHECK(!reader_.error().empty());
        run_.failed = true;
        run_.events.push_back({status, reader_.error()});
        break;
      default:
        FUZZ_CHECK_MSG(false, "unknown status %d", static_cast<int>(status));
    }
    buffer_.erase(0, consumed);
    run_.consumed += consumed;
    return status;
  }

  void CheckMessage(std::string_view data, std::size_t consumed, std::string_view payload) {
    FUZZ_CHECK_MSG(payload.size() <= max_, "message of %zu bytes, limit %zu", payload.size(), max_);
    const bool inside = Inside(data, payload);
    FUZZ_CHECK_MSG(inside || Outside(data, payload),
                   "a message of %zu bytes lies partly outside the %zu bytes passed",
                   payload.size(), data.size());
    Opcode opcode = Opcode::kText;
    if (inside) {
      // A message of one frame: its header precedes it, and the frame ends the consumed bytes.
      const std::size_t offset = static_cast<std::size_t>(payload.data() - data.data());
      const std::size_t hlen = HeaderSize(payload.size());
      FUZZ_CHECK_MSG(offset >= hlen, "message at offset %zu, header of %zu", offset, hlen);
      FUZZ_CHECK_MSG(offset + payload.size() == consumed, "message ends at %zu, consumed %zu",
                     offset + payload.size(), consumed);
      const auto first = static_cast<unsigned char>(data[offset - hlen]);
      FUZZ_CHECK_MSG(first == 0x81 || first == 0x82, "message frame begins with %02x", first);
      opcode = static_cast<Opcode>(first & 0x0F);
      const std::string server = RoundTrip(opcode, payload);
      FUZZ_CHECK(data.substr(offset - hlen, hlen + payload.size()) == server);
    } else {
      FUZZ_CHECK(consumed > 0);  // at least the final fragment
      RoundTrip(opcode, payload);
    }
  }

  void CheckControl(Status status, std::string_view data, std::size_t consumed,
                    std::string_view payload) {
    FUZZ_CHECK_MSG(payload.size() <= ws_frame::kMaxControlPayloadBytes, "%s of %zu bytes",
                   Name(status), payload.size());
    FUZZ_CHECK_MSG(Inside(data, payload), "%s payload not inside the bytes passed", Name(status));
    const std::size_t offset = static_cast<std::size_t>(payload.data() - data.data());
    FUZZ_CHECK(offset >= 2 && offset + payload.size() == consumed);
    const auto first = static_cast<unsigned char>(data[offset - 2]);
    const unsigned expected = status == Status::kClose  ? 0x88
                              : status == Status::kPing ? 0x89
                                                        : 0x8A;
    FUZZ_CHECK_MSG(first == expected, "%s frame begins with %02x", Name(status), first);
    FUZZ_CHECK(static_cast<unsigned char>(data[offset - 1]) == payload.size());
  }

  std::size_t max_;
  ServerFrameReader reader_;
  std::string buffer_;  // received, not yet consumed
  Run run_;
  bool called_ = false;
  Status last_ = Status::kNeedMore;
  std::size_t needed_ = 0;
};

Run Decode(const std::vector<std::string_view>& pieces, std::string_view payload, std::size_t max) {
  Feeder feeder(max);
  std::size_t fed = 0;
  for (std::string_view piece : pieces) {
    fed += piece.size();
    if (!feeder.Feed(piece)) {
      feeder.CheckStaysFailed(payload.substr(fed));
      break;
    }
  }
  return feeder.Finish();
}

// A plain reading of RFC 6455 section 5 (no extensions, frames from a server are unmasked, the
// shortest length form, control frames final and at most 125 bytes) plus the message limit, over
// the whole input at once: the events the reader must produce. An error's payload is left empty.
struct Model {
  std::vector<Event> events;  // ends with kError if failed
  bool failed = false;
  std::size_t tail = 0;  // bytes of a last frame that is not complete
};

Model ReadModel(std::string_view in, std::size_t max) {
  Model model;
  std::string message;
  bool open = false;  // a message's first frame came without FIN
  std::size_t pos = 0;
  const auto fail = [&model] {
    model.failed = true;
    model.events.push_back({Status::kError, {}});
    return model;
  };
  while (pos < in.size()) {
    const std::size_t left = in.size() - pos;
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(in[pos + i]); };
    std::size_t header = 2;
    if (left >= 2) header = (byte(1) & 0x7F) == 126 ? 4 : (byte(1) & 0x7F) == 127 ? 10 : 2;
    if (left < header) {
      model.tail = left;
      return model;
    }
    const bool fin = (byte(0) & 0x80) != 0;
    const unsigned opcode = byte(0) & 0x0F;
    if ((byte(0) & 0x70) != 0 || (byte(1) & 0x80) != 0) return fail();
    std::uint64_t length = byte(1) & 0x7F;
    if (header > 2) {
      length = 0;
      for (std::size_t i = 2; i < header; ++i) length = (length << 8) | byte(i);
      if (header == 4 && length < 126) return fail();
      if (header == 10 && (length <= 0xFFFF || (length >> 63) != 0)) return fail();
    }
    const bool control = opcode >= 8;
    if (control) {
      if (opcode > 0xA || !fin || length > 125) return fail();
    } else if (opcode > 2 || (opcode == 0) != open) {
      return fail();
    } else if (length > max || (opcode == 0 && message.size() > max - length)) {
      return fail();
    }
    if (left - header < length) {
      model.tail = left;
      return model;
    }
    const std::string_view body = in.substr(pos + header, static_cast<std::size_t>(length));
    pos += header + static_cast<std::size_t>(length);
    if (control) {
      const Status status = opcode == 8   ? Status::kClose
                            : opcode == 9 ? Status::kPing
                                          : Status::kPong;
      model.events.push_back({status, std::string(body)});
      continue;
    }
    if (opcode != 0) message.clear();
    message.append(body);
    open = !fin;
    if (fin) model.events.push_back({Status::kMessage, message});
  }
  return model;
}

// The reader's events against the model's: the same up to the end; an error only where the model
// has one, or (the reader may notice it early) in a last frame that is not complete.
void CheckAgainstModel(const Run& run, const Model& model) {
  const std::size_t n = model.events.size();
  const bool early_error = !model.failed && model.tail > 0 && run.failed;
  FUZZ_CHECK_MSG(run.failed == model.failed || early_error,
                 "reader failed %d (%s), model failed %d", run.failed,
                 run.failed ? run.events.back().payload.c_str() : "", model.failed);
  FUZZ_CHECK_MSG(run.events.size() == n + (early_error ? 1 : 0), "%zu events, model %zu",
                 run.events.size(), n);
  for (std::size_t i = 0; i < n; ++i) {
    const Event& got = run.events[i];
    const Event& want = model.events[i];
    FUZZ_CHECK_MSG(
        got.status == want.status && (want.status == Status::kError || got.payload == want.payload),
        "event %zu: reader %s of %zu bytes, model %s of %zu bytes", i, Name(got.status),
        got.payload.size(), Name(want.status), want.payload.size());
  }
  if (!run.failed) {
    FUZZ_CHECK_MSG(run.pending == model.tail, "%zu bytes left, model %zu", run.pending, model.tail);
  }
}

Opcode ControlOpcode(Status status) {
  return status == Status::kClose  ? Opcode::kClose
         : status == Status::kPing ? Opcode::kPing
                                   : Opcode::kPong;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const unsigned selector = ((unsigned{data[0]} << 8) | data[1]) % 302;
  const std::size_t max = selector == 301 ? kUnlimited : selector;
  const fuzz::Split split = fuzz::SplitInput(data + 2, size - 2);

  const Run pieced = Decode(split.pieces, split.payload, max);
  const Run whole = Decode({split.payload}, split.payload, max);

  FUZZ_CHECK_MSG(pieced.failed == whole.failed, "failed: pieced %d (%s), whole %d (%s)",
                 pieced.failed, pieced.failed ? pieced.events.back().payload.c_str() : "",
                 whole.failed, whole.failed ? whole.events.back().payload.c_str() : "");
  const std::size_t common = std::min(pieced.events.size(), whole.events.size());
  for (std::size_t i = 0; i < common; ++i) {
    FUZZ_CHECK_MSG(pieced.events[i] == whole.events[i],
                   "event %zu: pieced %s of %zu bytes, whole %s of %zu bytes", i,
                   Name(pieced.events[i].status), pieced.events[i].payload.size(),
                   Name(whole.events[i].status), whole.events[i].payload.size());
  }
  FUZZ_CHECK_MSG(pieced.events.size() == whole.events.size(), "%zu events pieced, %zu whole",
                 pieced.events.size(), whole.events.size());
  // Feeding stops at an error, so what is left unconsumed then depends on the cuts.
  FUZZ_CHECK_MSG(
      pieced.consumed == whole.consumed && (whole.failed || pieced.pending == whole.pending),
      "consumed %zu/%zu, pending %zu/%zu", pieced.consumed, whole.consumed, pieced.pending,
      whole.pending);
  FUZZ_CHECK_MSG(pieced.needed == whole.needed, "needed %zu pieced, %zu whole", pieced.needed,
                 whole.needed);

  CheckAgainstModel(whole, ReadModel(split.payload, max));

  // The events re-encoded as single frames, fed byte by byte, come out the same and never fail.
  std::vector<Event> expected = whole.events;
  if (whole.failed) expected.pop_back();
  std::string stream;
  for (const Event& event : expected) {
    const Opcode opcode =
        event.status == Status::kMessage ? Opcode::kBinary : ControlOpcode(event.status);
    stream += RoundTrip(opcode, event.payload);
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    bytes.push_back(std::string_view(stream).substr(i, 1));
  }
  const Run again = Decode(bytes, stream, max);
  FUZZ_CHECK(!again.failed);
  FUZZ_CHECK(again.events == expected);
  FUZZ_CHECK(again.consumed == stream.size() && again.pending == 0 && again.needed == 2);
  return 0;
}
