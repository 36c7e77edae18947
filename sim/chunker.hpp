// The split-frames switch: cuts the sim's outgoing byte stream into WebSocket messages at random
// (seeded) points, so a client must handle several frames per message and frames split across
// messages. Cuts fall on UTF-8 character boundaries: a text message must be valid UTF-8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

namespace sim {

class MessageChunker {
 public:
  static constexpr std::size_t kMaxChunk = 768;  // a few frames: coalescing happens too

  explicit MessageChunker(std::uint64_t seed) : rng_(seed) {}

  // Appends to `ends` (offsets into `bytes`) the end of every message that `bytes` is cut into;
  // the last one is bytes.size(). Nothing for empty input.
  void Cut(std::string_view bytes, std::vector<std::size_t>& ends);

 private:
  std::mt19937_64 rng_;
};

// The coalesce-frames switch: merges consecutive messages (given by their `ends`, as above) so
// that each holds as many whole frames as fit in `max_bytes`; a longer frame stays on its own.
void CoalesceMessages(std::vector<std::size_t>& ends, std::size_t max_bytes);

}  // namespace sim
