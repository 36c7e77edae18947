// Fuzzes lingma::FrameDecoder (LSP "Content-Length" framing) with fuzzer-chosen cuts.
//
// Input: see fuzz::SplitInput; bits 4..5 of byte 0 also pick the decoder limits.
// Invariants:
// - no frame body exceeds limits.max_body_bytes;
// - once Next returned kError, error() is set, nothing stays buffered, and every later call
//   (even after more Feed) returns kError;
// - the frames (and whether the stream failed) do not depend on how the bytes were cut;
// - EncodeFrame(body) decodes back to exactly `body`, alone and as part of a re-encoded stream,
//   and AppendFrame appends exactly what EncodeFrame returns.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_common.hpp"
#include "lingma/frame_codec.hpp"

namespace {

using lingma::FrameDecoder;
using lingma::FrameLimits;

struct Decoded {
  std::vector<std::string> frames;
  bool failed = false;
  std::string error;
};

// Drains every complete frame; returns false once the decoder has failed.
bool Drain(FrameDecoder& decoder, const FrameLimits& limits, Decoded& out) {
  for (;;) {
    std::string body = "stale";
    const FrameDecoder::Status status = decoder.Next(body);
    if (status == FrameDecoder::Status::kNeedMore) return true;
    if (status == FrameDecoder::Status::kError) {
      FUZZ_CHECK(!decoder.error().empty());
      FUZZ_CHECK(decoder.buffered() == 0);
      out.failed = true;
      out.error = decoder.error();
      return false;
    }
    FUZZ_CHECK(status == FrameDecoder::Status::kFrame);
    FUZZ_CHECK_MSG(body.size() <= limits.max_body_bytes, "body %zu > limit %zu", body.size(),
                   limits.max_body_bytes);
    out.frames.push_back(std::move(body));
  }
}

Decoded Decode(const std::vector<std::string_view>& pieces, const FrameLimits& limits) {
  FrameDecoder decoder(limits);
  Decoded out;
  for (std::string_view piece : pieces) {
    decoder.Feed(piece);
    if (out.failed) {
      // A failed decoder stays failed whatever arrives later.
      std::string body;
      FUZZ_CHECK(decoder.Next(body) == FrameDecoder::Status::kError);
      FUZZ_CHECK(!decoder.error().empty());
      FUZZ_CHECK(decoder.buffered() == 0);
      continue;
    }
    Drain(decoder, limits, out);
  }
  if (out.failed) {
    std::string body;
    FUZZ_CHECK(decoder.Next(body) == FrameDecoder::Status::kError);
    decoder.Feed("Content-Length: 0\r\n\r\n");
    FUZZ_CHECK(decoder.Next(body) == FrameDecoder::Status::kError);
    FUZZ_CHECK(decoder.buffered() == 0);
  }
  return out;
}

FrameLimits PickLimits(std::uint8_t selector) {
  FrameLimits limits;
  switch ((selector >> 4) & 3) {
    case 0:
      break;  // production defaults
    case 1:
      limits.max_header_bytes = 32;
      limits.max_body_bytes = 64;
      break;
    case 2:
      limits.max_header_bytes = 20;
      limits.max_body_bytes = 0;
      break;
    default:
      limits.max_header_bytes = 1024;
      limits.max_body_bytes = 1024;
      break;
  }
  return limits;
}

void CheckRoundTrip(const std::string& body) {
  const std::string frame = lingma::EncodeFrame(body);
  std::string appended = "x";
  lingma::AppendFrame(appended, body);
  FUZZ_CHECK(appended.size() == frame.size() + 1 &&
             appended.compare(1, std::string::npos, frame) == 0);

  FrameDecoder decoder;
  decoder.Feed(frame);
  std::string again;
  FUZZ_CHECK(decoder.Next(again) == FrameDecoder::Status::kFrame);
  FUZZ_CHECK(again == body);
  FUZZ_CHECK(decoder.Next(again) == FrameDecoder::Status::kNeedMore);
  FUZZ_CHECK(decoder.buffered() == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const fuzz::Split split = fuzz::SplitInput(data, size);
  const FrameLimits limits = PickLimits(data[0]);

  const Decoded pieced = Decode(split.pieces, limits);
  const Decoded whole = Decode({split.payload}, limits);

  // fuzz/regressions/frame_codec_fuzz/ holds inputs whose terminator was split at the limit.
  FUZZ_CHECK_MSG(pieced.failed == whole.failed, "failed: pieced %d (%s), whole %d (%s)",
                 pieced.failed, pieced.error.c_str(), whole.failed, whole.error.c_str());
  FUZZ_CHECK_MSG(pieced.frames == whole.frames, "frames differ: %zu pieced vs %zu whole",
                 pieced.frames.size(), whole.frames.size());

  std::string stream;
  for (const std::string& body : whole.frames) {
    CheckRoundTrip(body);
    lingma::AppendFrame(stream, body);
  }
  // The re-encoded stream, fed byte by byte, yields the same frames and never fails.
  FrameDecoder decoder;
  std::vector<std::string> again;
  for (char c : stream) {
    decoder.Feed(std::string_view(&c, 1));
    std::string body;
    FrameDecoder::Status status;
    while ((status = decoder.Next(body)) == FrameDecoder::Status::kFrame) again.push_back(body);
    FUZZ_CHECK(status == FrameDecoder::Status::kNeedMore);
  }
  FUZZ_CHECK(again == whole.frames);
  FUZZ_CHECK(decoder.buffered() == 0);
  return 0;
}
