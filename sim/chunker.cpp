// Random message cuts; see chunker.hpp.
#include "sim/chunker.hpp"

#include <algorithm>

#include "sim/utf8.hpp"

namespace sim {

void MessageChunker::Cut(std::string_view bytes, std::vector<std::size_t>& ends) {
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    // Modulo rather than a std distribution: the same seed gives the same cuts everywhere.
    const std::size_t length = 1 + static_cast<std::size_t>(rng_() % kMaxChunk);
    pos = NextCodePointBoundary(bytes, std::min(bytes.size(), pos + length));
    ends.push_back(pos);
  }
}

void CoalesceMessages(std::vector<std::size_t>& ends, std::size_t max_bytes) {
  std::size_t kept = 0;        // ends[0, kept) are the merged messages so far
  std::size_t kept_begin = 0;  // where the last kept message begins
  for (std::size_t i = 0; i < ends.size(); ++i) {
    if (kept > 0 && ends[i] - kept_begin <= max_bytes) {
      ends[kept - 1] = ends[i];  // the message grows to take this one in
      continue;
    }
    kept_begin = kept > 0 ? ends[kept - 1] : 0;
    ends[kept++] = ends[i];
  }
  ends.resize(kept);
}

}  // namespace sim
