// LSP frame encoder/decoder; see frame_codec.hpp.
#include "lingma/frame_codec.hpp"

#include <charconv>
#include <string>

#include "text/ascii.hpp"

namespace lingma {
namespace {

constexpr std::string_view kHeaderEnd = "\r\n\r\n";
constexpr std::string_view kContentLength = "content-length";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

void AppendFrameHeader(std::string& out, std::size_t body_size) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, body_size);
  out.append("Content-Length: ");
  out.append(digits, end);
  out.append(kHeaderEnd);
}

void AppendFrame(std::string& out, std::string_view body) {
  AppendFrameHeader(out, body.size());
  out.append(body);
}

std::string EncodeFrame(std::string_view body) {
  std::string out;
  out.reserve(kMaxFrameHeaderBytes + body.size());
  AppendFrame(out, body);
  return out;
}

void FrameDecoder::Feed(std::string_view bytes) {
  if (!error_.empty()) return;
  Compact();
  buffer_.append(bytes);
}

void FrameDecoder::Compact() {
  // Drop consumed bytes once they dominate the buffer, so a long stream never grows it.
  if (consumed_ > 0 && consumed_ * 2 >= buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
}

FrameDecoder::Status FrameDecoder::Fail(std::string message) {
  error_ = std::move(message);
  buffer_.clear();
  consumed_ = 0;
  pending_body_.reset();
  return Status::kError;
}

FrameDecoder::Status FrameDecoder::Next(std::string& body) {
  std::string_view view;
  const Status status = Next(view);
  if (status == Status::kFrame) body.assign(view);
  return status;
}

FrameDecoder::Status FrameDecoder::Next(std::string_view& body) {
  if (!error_.empty()) return Status::kError;
  std::string_view rest(buffer_.data() + consumed_, buffer_.size() - consumed_);

  if (!pending_body_) {
    const std::size_t header_end = rest.find(kHeaderEnd);
    if (header_end == std::string_view::npos) {
      // +3: up to "\r\n\r" of the terminator may already be here, split from its last byte.
      if (rest.size() > limits_.max_header_bytes + 3) {
        return Fail("frame header exceeds " + std::to_string(limits_.max_header_bytes) +
                    " bytes without a blank line (not LSP framing?)");
      }
      return Status::kNeedMore;
    }
    if (header_end > limits_.max_header_bytes) {
      return Fail("frame header exceeds " + std::to_string(limits_.max_header_bytes) + " bytes");
    }
    std::optional<std::size_t> length;
    std::string_view headers = rest.substr(0, header_end);
    while (!headers.empty()) {
      const std::size_t eol = headers.find("\r\n");
      std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view{} : headers.substr(eol + 2);
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        return Fail("malformed frame header line (no ':')");
      }
      if (!ascii::EqualsIgnoreCase(Trim(line.substr(0, colon)), kContentLength)) continue;
      std::string_view value = Trim(line.substr(colon + 1));
      std::size_t parsed = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
      if (ec != std::errc{} || ptr != value.data() + value.size() || value.empty()) {
        return Fail("invalid Content-Length value");
      }
      if (length && *length != parsed) return Fail("conflicting Content-Length headers");
      length = parsed;
    }
    if (!length) return Fail("frame header has no Content-Length");
    if (*length > limits_.max_body_bytes) {
      return Fail("frame body of " + std::to_string(*length) + " bytes exceeds the limit of " +
                  std::to_string(limits_.max_body_bytes));
    }
    pending_body_ = *length;
    consumed_ += header_end + kHeaderEnd.size();
    rest.remove_prefix(header_end + kHeaderEnd.size());
  }

  if (rest.size() < *pending_body_) return Status::kNeedMore;
  body = rest.substr(0, *pending_body_);
  consumed_ += *pending_body_;
  pending_body_.reset();
  // The consumed bytes stay until the next Feed drops them (Compact): `body` views them.
  return Status::kFrame;
}

}  // namespace lingma
