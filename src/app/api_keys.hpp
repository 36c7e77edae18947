// Client authentication by API key: Bearer or x-api-key, compared in constant time, never logged.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace app {

class ApiKeys {
 public:
  explicit ApiKeys(const std::vector<std::string>& keys);

  bool enabled() const { return !digests_.empty(); }

  // The caller's key fingerprint when one of the configured keys was presented
  // (`Authorization: Bearer <key>` or `x-api-key: <key>`); nullopt otherwise. With no keys
  // configured every caller passes with the fingerprint "anonymous".
  std::optional<std::string> Authenticate(std::string_view authorization,
                                          std::string_view x_api_key) const;

  // A short, non-reversible name of a key for logs and scoping: "key-" + 12 hex digits of SHA-256.
  static std::string Fingerprint(std::string_view key);

 private:
  // Keys are compared as SHA-256 digests, so the comparison time depends neither on where the
  // presented key differs nor on its length.
  std::vector<std::array<std::uint8_t, 32>> digests_;
};

}  // namespace app
