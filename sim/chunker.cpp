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

}  // namespace sim
