// SHA-256 engines: the CPU's SHA extensions (where present) and the portable rounds give the
// same digests. The session cache's tests check the digests themselves against NIST's examples.
#include "chat/hashing.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace chat {
namespace {

std::string Hex(Sha256::Engine engine, std::string_view text) {
  Sha256 hasher(engine);
  hasher.Update(text);
  return ToHex(hasher.Finish());
}

TEST(Sha256EngineTest, BothEnginesGiveTheKnownDigests) {
  RecordProperty("sha_extensions", Sha256::HardwareAvailable() ? "used" : "absent");
  for (const auto engine : {Sha256::Engine::kBest, Sha256::Engine::kPortable}) {
    SCOPED_TRACE(engine == Sha256::Engine::kBest ? "best" : "portable");
    EXPECT_EQ(Hex(engine, ""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(Hex(engine, "abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(Hex(engine, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(Hex(engine, std::string(1'000'000, 'a')),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
}

TEST(Sha256EngineTest, EnginesAgreeOnAnyBytesFedInAnyPieces) {
  std::mt19937 rng(20261127);
  std::uniform_int_distribution<int> byte(0, 255);
  for (std::size_t size : {0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 4096, 70'001}) {
    std::string input(size, '\0');
    for (char& c : input) c = static_cast<char>(byte(rng));
    Sha256 best(Sha256::Engine::kBest);
    Sha256 portable(Sha256::Engine::kPortable);
    // Pieces of random sizes, so whole blocks are hashed both from the buffer and in runs.
    std::uniform_int_distribution<std::size_t> piece(0, 300);
    for (std::size_t at = 0; at < size;) {
      const std::size_t n = std::min(size - at, piece(rng));
      best.Update(std::string_view(input).substr(at, n));
      at += n;
    }
    portable.Update(input);
    EXPECT_EQ(ToHex(best.Finish()), ToHex(portable.Finish())) << size << " bytes";
  }
}

TEST(Sha256EngineTest, EnginesAgreeOnFields) {
  for (const auto engine : {Sha256::Engine::kBest, Sha256::Engine::kPortable}) {
    Sha256 hasher(engine);
    hasher.UpdateField(std::string(200, 'q'));
    hasher.UpdateU64(0x0123456789abcdefULL);
    EXPECT_EQ(ToHex(hasher.Finish()), [] {
      Sha256 reference(Sha256::Engine::kPortable);
      reference.UpdateField(std::string(200, 'q'));
      reference.UpdateU64(0x0123456789abcdefULL);
      return ToHex(reference.Finish());
    }());
  }
}

}  // namespace
}  // namespace chat
