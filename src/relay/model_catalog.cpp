// ModelCatalog; see model_catalog.hpp.
#include "relay/model_catalog.hpp"

#include <boost/json.hpp>

namespace relay {

ModelCatalog::ModelCatalog(std::vector<lingma::Instance*> instances, std::string scene,
                           std::chrono::milliseconds max_age)
    : instances_(std::move(instances)), scene_(std::move(scene)), max_age_(max_age) {}

std::string ModelCatalog::Generation() const {
  std::string generation;
  for (auto* instance : instances_) {
    const auto snap = instance->Snapshot();
    generation += std::to_string(snap.restarts) + (snap.auth.logged_in ? "L" : "-") + ";";
  }
  return generation;
}

boost::asio::awaitable<ModelCatalog::ModelList> ModelCatalog::Models() {
  const auto now = std::chrono::steady_clock::now();
  const std::string generation = Generation();
  if (cached_ && generation == cached_generation_ && now - cached_at_ < max_age_) {
    co_return cached_;
  }
  for (auto* instance : instances_) {
    const auto snap = instance->Snapshot();
    if (snap.state != lingma::InstanceState::kReady || !snap.auth.logged_in) continue;
    auto result = co_await instance->Call("config/queryModels", boost::json::object{});
    if (!result) continue;
    auto models = lingma::ParseModels(*result, scene_);
    if (models.empty()) continue;  // logged out meanwhile
    cached_ = std::make_shared<const std::vector<lingma::ModelInfo>>(std::move(models));
    cached_generation_ = generation;
    cached_at_ = now;
    co_return cached_;
  }
  co_return cached_;  // stale beats nothing
}

}  // namespace relay
