#include "app/api_keys.hpp"

#include <gtest/gtest.h>

#include "app/sha256.hpp"

namespace app {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // 55/56/64-byte boundaries of the padding.
  EXPECT_EQ(Sha256Hex(std::string(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(Sha256Hex(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(Sha256Hex(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(ApiKeys, DisabledLetsEveryoneIn) {
  ApiKeys keys({});
  EXPECT_FALSE(keys.enabled());
  EXPECT_EQ(keys.Authenticate("", ""), "anonymous");
}

TEST(ApiKeys, AcceptsBearerAndXApiKey) {
  ApiKeys keys({"sk-one", "sk-two"});
  EXPECT_EQ(keys.Authenticate("Bearer sk-one", ""), ApiKeys::Fingerprint("sk-one"));
  EXPECT_EQ(keys.Authenticate("bearer  sk-two ", ""), ApiKeys::Fingerprint("sk-two"));
  EXPECT_EQ(keys.Authenticate("", "sk-two"), ApiKeys::Fingerprint("sk-two"));
  EXPECT_EQ(keys.Authenticate("Basic abc", "sk-one"), ApiKeys::Fingerprint("sk-one"));
}

TEST(ApiKeys, RejectsWrongMissingAndPrefixKeys) {
  ApiKeys keys({"sk-one"});
  EXPECT_FALSE(keys.Authenticate("", ""));
  EXPECT_FALSE(keys.Authenticate("Bearer sk-on", ""));
  EXPECT_FALSE(keys.Authenticate("Bearer sk-one-more", ""));
  EXPECT_FALSE(keys.Authenticate("Bearer ", ""));
  EXPECT_FALSE(keys.Authenticate("sk-one", ""));  // no scheme
}

TEST(ApiKeys, FingerprintIsShortStableAndNotTheKey) {
  const auto f = ApiKeys::Fingerprint("sk-secret-value");
  EXPECT_EQ(f, ApiKeys::Fingerprint("sk-secret-value"));
  EXPECT_EQ(f.size(), 16u);
  EXPECT_EQ(f.find("secret"), std::string::npos);
  EXPECT_NE(f, ApiKeys::Fingerprint("sk-secret-valuf"));
}

}  // namespace
}  // namespace app
