#include "app/api_keys.hpp"

#include <gtest/gtest.h>

namespace app {
namespace {

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
