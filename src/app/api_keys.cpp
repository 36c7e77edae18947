// API key checks; see api_keys.hpp.
#include "app/api_keys.hpp"

#include "chat/hashing.hpp"

namespace app {
namespace {

std::array<std::uint8_t, 32> Digest(std::string_view key) {
  chat::Sha256 hasher;
  hasher.Update(key);
  return hasher.Finish();
}

std::string_view BearerToken(std::string_view authorization) {
  constexpr std::string_view kBearer = "bearer ";
  if (authorization.size() <= kBearer.size()) return {};
  for (std::size_t i = 0; i < kBearer.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kBearer[i]) return {};
  }
  std::string_view token = authorization.substr(kBearer.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

}  // namespace

ApiKeys::ApiKeys(const std::vector<std::string>& keys) {
  for (const auto& key : keys) digests_.push_back(Digest(key));
}

std::optional<std::string> ApiKeys::Authenticate(std::string_view authorization,
                                                 std::string_view x_api_key) const {
  if (!enabled()) return std::string("anonymous");
  std::string_view presented = BearerToken(authorization);
  if (presented.empty()) presented = x_api_key;
  if (presented.empty()) return std::nullopt;
  const auto digest = Digest(presented);
  // Every configured key is compared in full: no early exit that would time the match.
  unsigned matched = 0;
  for (const auto& candidate : digests_) {
    unsigned diff = 0;
    for (std::size_t i = 0; i < digest.size(); ++i) diff |= digest[i] ^ candidate[i];
    matched |= static_cast<unsigned>(diff == 0);
  }
  if (!matched) return std::nullopt;
  return Fingerprint(presented);
}

std::string ApiKeys::Fingerprint(std::string_view key) {
  return "key-" + chat::ToHex(Digest(key)).substr(0, 12);
}

}  // namespace app
