// Incremental decoder of an HTTP/1.1 chunked body (RFC 9112 §7.1): bytes in (in any pieces),
// chunk data out. The load generator reads streamed responses with it straight from the socket,
// so that reading a chunk costs a receive and a scan, not a general HTTP parser's machinery.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace loadgen {

class ChunkedDecoder {
 public:
  enum class Status {
    kNeedMore,  // everything fed was consumed; the body goes on
    kDone,      // the last chunk and the trailer section were read
    kError,     // not a chunked body; error() says why
  };

  // Consumes bytes from the front of `in` (all of them unless the body ends inside `in`) and
  // calls `on_data(std::string_view)` for every piece of chunk data, in order.
  template <class OnData>
  Status Feed(std::string_view& in, OnData&& on_data) {
    while (!in.empty() && state_ != State::kDone && state_ != State::kError) {
      if (state_ == State::kData) {
        const std::size_t n =
            remaining_ < in.size() ? static_cast<std::size_t>(remaining_) : in.size();
        on_data(in.substr(0, n));
        in.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kDataEnd;
        continue;
      }
      const auto nl = in.find('\n');
      const std::string_view piece = in.substr(0, nl == std::string_view::npos ? in.size() : nl);
      if (line_.size() + piece.size() > kMaxLineBytes) return Fail("line too long");
      line_.append(piece);
      if (nl == std::string_view::npos) {
        in = {};
        break;
      }
      in.remove_prefix(nl + 1);
      OnLine();
      line_.clear();
    }
    return state_ == State::kDone    ? Status::kDone
           : state_ == State::kError ? Status::kError
                                     : Status::kNeedMore;
  }

  const std::string& error() const { return error_; }

 private:
  enum class State { kSize, kData, kDataEnd, kTrailer, kDone, kError };
  static constexpr std::size_t kMaxLineBytes = 4096;

  // A complete line (without its LF) in line_, read in state kSize, kDataEnd or kTrailer.
  void OnLine();
  Status Fail(std::string why);

  State state_ = State::kSize;
  std::uint64_t remaining_ = 0;  // data bytes left in the current chunk
  std::string line_;             // a line that arrived in pieces
  std::string error_;
};

}  // namespace loadgen
