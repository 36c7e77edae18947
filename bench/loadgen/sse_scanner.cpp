// SseScanner; see sse_scanner.hpp.
#include "bench/loadgen/sse_scanner.hpp"

namespace loadgen {
namespace {

// True when `"<field>":"` occurs in `data` followed by at least one character of the string.
bool NonEmptyStringField(std::string_view data, std::string_view quoted_field_colon_quote) {
  const auto at = data.find(quoted_field_colon_quote);
  if (at == std::string_view::npos) return false;
  const auto next = at + quoted_field_colon_quote.size();
  return next < data.size() && data[next] != '"';
}

}  // namespace

SseScanner::Event SseScanner::Classify(std::string_view data) {
  if (data == "[DONE]") return Event::kDone;
  if (data.starts_with("{\"error\"")) return Event::kError;
  const auto delta = data.find("\"delta\":{");
  if (delta == std::string_view::npos) return Event::kOther;
  const std::string_view rest = data.substr(delta);
  if (NonEmptyStringField(rest, "\"content\":\"") ||
      NonEmptyStringField(rest, "\"reasoning_content\":\"")) {
    return Event::kContent;
  }
  return Event::kOther;
}

}  // namespace loadgen
