// The models Lingma offers (config/queryModels), cached and refreshed after a login or reconnect.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "lingma/chat_shapes.hpp"
#include "lingma/instance.hpp"

namespace relay {

class ModelCatalog {
 public:
  ModelCatalog(std::vector<lingma::Instance*> instances, std::string scene,
               std::chrono::milliseconds max_age = std::chrono::minutes(5));

  using ModelList = std::shared_ptr<const std::vector<lingma::ModelInfo>>;

  // The models, refreshed when the cache is older than max_age or an instance reconnected or
  // logged in since the last query. Null when no instance can answer and nothing is cached. The
  // same pointer comes back until the list is queried again, so callers can cache what they
  // derive from it.
  boost::asio::awaitable<ModelList> Models();

 private:
  // Changes whenever an instance restarts or its login state changes.
  std::string Generation() const;

  std::vector<lingma::Instance*> instances_;
  std::string scene_;
  std::chrono::milliseconds max_age_;
  ModelList cached_;
  std::string cached_generation_;
  std::chrono::steady_clock::time_point cached_at_{};
};

}  // namespace relay
