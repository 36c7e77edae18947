// Incremental reader of an OpenAI chat-completion event stream: bytes in (in any pieces),
// classified `data:` events out, without parsing each chunk's JSON (the load generator must stay
// cheaper than what it measures).
#pragma once

#include <string>
#include <string_view>

namespace loadgen {

class SseScanner {
 public:
  enum class Event {
    kContent,  // a chunk whose delta carries non-empty content or reasoning_content
    kOther,    // role chunk, empty delta, finish chunk, usage chunk
    kDone,     // data: [DONE]
    kError,    // an error event ({"error":...})
  };

  // Feeds bytes; `on_event(Event, std::string_view data)` runs for every complete `data:` line.
  // Comments (": keep-alive") and other fields are skipped.
  template <class OnEvent>
  void Feed(std::string_view bytes, OnEvent&& on_event) {
    while (!bytes.empty()) {
      const auto nl = bytes.find('\n');
      if (nl == std::string_view::npos) {
        partial_.append(bytes);
        return;
      }
      std::string_view line = bytes.substr(0, nl);
      bytes.remove_prefix(nl + 1);
      if (!partial_.empty()) {
        partial_.append(line);
        HandleLine(partial_, on_event);
        partial_.clear();
      } else {
        HandleLine(line, on_event);
      }
    }
  }

  // Classifies the payload of one `data:` line.
  static Event Classify(std::string_view data);

 private:
  template <class OnEvent>
  void HandleLine(std::string_view line, OnEvent& on_event) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.starts_with("data:")) return;
    line.remove_prefix(5);
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    on_event(Classify(line), line);
  }

  std::string partial_;
};

}  // namespace loadgen
