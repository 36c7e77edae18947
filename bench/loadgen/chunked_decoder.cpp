// The chunked-body decoder; see chunked_decoder.hpp.
#include "bench/loadgen/chunked_decoder.hpp"

#include <utility>

namespace loadgen {

void ChunkedDecoder::OnLine() {
  std::string_view line = line_;
  if (line.empty() || line.back() != '\r') {
    Fail("line without CRLF");
    return;
  }
  line.remove_suffix(1);
  switch (state_) {
    case State::kSize: {
      // chunk-size [ chunk-ext ] CRLF: hex digits, then anything after ';' is ignored.
      std::uint64_t size = 0;
      std::size_t digits = 0;
      for (char c : line) {
        int v = -1;
        if (c >= '0' && c <= '9') v = c - '0';
        if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        if (v < 0) break;
        if (++digits > 15) {
          Fail("chunk size too large");
          return;
        }
        size = size * 16 + static_cast<std::uint64_t>(v);
      }
      const std::string_view rest = line.substr(digits);
      if (digits == 0 ||
          !(rest.empty() || rest.front() == ';' || rest.front() == ' ' || rest.front() == '\t')) {
        Fail("bad chunk size line");
        return;
      }
      remaining_ = size;
      state_ = size == 0 ? State::kTrailer : State::kData;
      return;
    }
    case State::kDataEnd:
      if (!line.empty()) {
        Fail("chunk data longer than its size");
        return;
      }
      state_ = State::kSize;
      return;
    case State::kTrailer:
      if (line.empty()) state_ = State::kDone;  // trailer fields are skipped
      return;
    case State::kData:
    case State::kDone:
    case State::kError:
      return;
  }
}

ChunkedDecoder::Status ChunkedDecoder::Fail(std::string why) {
  state_ = State::kError;
  error_ = std::move(why);
  return Status::kError;
}

}  // namespace loadgen
