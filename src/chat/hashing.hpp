// SHA-256 and the 128-bit fingerprints derived from it (session-cache keys and fingerprints).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace chat {

// A cryptographic hash, so that neither chance nor a crafted request makes two conversations share
// a key: a colliding key would hand one client another client's upstream session (and history).
class Sha256 {
 public:
  using Digest = std::array<std::uint8_t, 32>;
  // kBest uses the CPU's SHA extensions where it has them (x86-64 SHA-NI), since a conversation's
  // history is hashed on every request: 200 KiB took 1.0 ms in the portable rounds and 0.18 ms
  // with SHA-NI on the development machine. kPortable is the portable rounds, for tests that
  // compare the two.
  enum class Engine { kBest, kPortable };

  explicit Sha256(Engine engine = Engine::kBest);

  // Whether kBest uses the CPU's SHA extensions on this machine.
  static bool HardwareAvailable();

  void Update(std::string_view data);
  // Unambiguous framing for variable-length fields: the length as 8 little-endian bytes, then the
  // bytes, so that ("ab", "c") and ("a", "bc") never hash alike.
  void UpdateField(std::string_view data);
  void UpdateU64(std::uint64_t value);

  // The digest of everything fed so far. The object stays usable: feeding more and asking again
  // gives the digest of the longer input (a copy is finalized, so prefixes are cheap to snapshot).
  Digest Finish() const;

 private:
  // Runs the compression function over `blocks` consecutive 64-byte blocks.
  void Compress(const std::uint8_t* data, std::size_t blocks);

  std::array<std::uint32_t, 8> state_;
  bool hardware_ = false;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

std::string ToHex(const Sha256::Digest& digest);

// The first 128 bits of a SHA-256 digest: plenty against collisions, half the memory per entry.
struct Fingerprint {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;

  static Fingerprint Of(const Sha256& hasher);
  friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
};

struct FingerprintHash {
  // The bits are already uniformly distributed; any 64 of them make a good bucket hash.
  std::size_t operator()(const Fingerprint& fingerprint) const noexcept {
    return static_cast<std::size_t>(fingerprint.lo);
  }
};

}  // namespace chat
