// The models Lingma offers (config/queryModels), cached and refreshed after a login or reconnect.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "lingma/chat_shapes.hpp"
#include "lingma/instance.hpp"

namespace relay {

class ModelCatalog {
 public:
  ModelCatalog(std::vector<lingma::Instance*> instances, std::string scene,
               std::chrono::milliseconds max_age = std::chrono::minutes(5));

  // The models, refreshed when the cache is older than max_age or an instance reconnected or
  // logged in since the last query. nullopt when no instance can answer and nothing is cached.
  boost::asio::awaitable<std::optional<std::vector<lingma::ModelInfo>>> Models();

 private:
  // Changes whenever an instance restarts or its login state changes.
  std::string Generation() const;

  std::vector<lingma::Instance*> instances_;
  std::string scene_;
  std::chrono::milliseconds max_age_;
  std::optional<std::vector<lingma::ModelInfo>> cached_;
  std::string cached_generation_;
  std::chrono::steady_clock::time_point cached_at_{};
};

}  // namespace relay
