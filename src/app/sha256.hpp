// SHA-256 (FIPS 180-4), for key fingerprints and key-scoped hashing; no crypto library needed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace app {

std::array<std::uint8_t, 32> Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);

}  // namespace app
