// The model catalogue as OpenAI clients see it: /v1/models bodies, friendly aliases, resolution.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "api/openai/errors.hpp"

namespace api::openai {

struct ModelEntry {
  std::string id;  // what clients send as `model`
  std::string display_name;
  bool reasoning = false;
  bool vision = false;
  std::string upstream_key;  // Lingma's model key
};

// {"object":"list","data":[Model...]} (ListModelsResponse).
std::string RenderModelList(const std::vector<ModelEntry>& models, std::int64_t created);
// {"id","object":"model","created","owned_by":"lingma"} (Model), plus display_name, reasoning,
// vision and upstream_key so that UIs can show names and capabilities. `created` is a fixed epoch
// chosen by the caller: the upstream says nothing about when a model appeared.
std::string RenderModel(const ModelEntry& model, std::int64_t created);

// (upstream key, display name, reasoning, vision), in Lingma's order.
using UpstreamModel = std::tuple<std::string, std::string, bool, bool>;

// Entries clients can name, in a stable order: every upstream key as its own id; then the fixed
// aliases whose target is available ("qwen3-coder", "qwen3-thinking", "qwen3-max", "qwen-max",
// "auto"); then each display name in lowercase-hyphenated form ("Qwen3-Coder" → "qwen3-coder",
// ASCII letters, digits and '.' kept, other runs become one '-'). Ids are unique ignoring case; an
// alias never shadows an upstream key, a fixed alias wins over a display-name alias, and a
// display-name form shared by two different models is left out rather than picking one of them.
std::vector<ModelEntry> BuildModelEntries(const std::vector<UpstreamModel>& upstream);

// The upstream key for a requested model (an id or alias, ignoring ASCII case); "" means
// `default_model`, resolved the same way. nullopt = unknown (answer with ModelNotFound).
std::optional<std::string> ResolveModel(const std::vector<ModelEntry>& entries,
                                        std::string_view requested, std::string_view default_model);

// 404 invalid_request_error, code model_not_found, param model, worded like OpenAI's.
ApiError ModelNotFound(std::string_view requested);

}  // namespace api::openai
