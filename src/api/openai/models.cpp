// The OpenAI model catalogue; see models.hpp.
#include "api/openai/models.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <utility>

#include "text/json_text.hpp"

namespace api::openai {
namespace {

struct FixedAlias {
  std::string_view alias;
  std::string_view target;
};

// Names users already know from DashScope and other gateways, for Lingma's model keys.
constexpr std::array<FixedAlias, 5> kFixedAliases = {{
    {"qwen3-coder", "dashscope_qwen3_coder"},
    {"qwen3-thinking", "dashscope_qwen_plus_20250428_thinking"},
    {"qwen3-max", "dashscope_qwen_max_latest"},
    {"qwen-max", "dashscope_qwen_max_latest"},
    {"auto", "auto"},
}};

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) { return AsciiLower(c); });
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

std::string DisplaySlug(std::string_view display) {
  std::string slug;
  bool pending_hyphen = false;
  for (const char raw : display) {
    const char c = AsciiLower(raw);
    const bool kept = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.';
    if (!kept) {
      pending_hyphen = !slug.empty();
      continue;
    }
    if (pending_hyphen) slug.push_back('-');
    pending_hyphen = false;
    slug.push_back(c);
  }
  return slug;
}

ModelEntry EntryFor(const UpstreamModel& model, std::string id) {
  const auto& [key, display, reasoning, vision] = model;
  return ModelEntry{std::move(id), display, reasoning, vision, key};
}

void AppendModel(std::string& out, const ModelEntry& model, std::int64_t created) {
  out.append(R"({"id":)");
  json_text::AppendString(out, model.id);
  out.append(R"(,"object":"model","created":)");
  json_text::AppendInt(out, created);
  out.append(R"(,"owned_by":"lingma","display_name":)");
  json_text::AppendString(out, model.display_name);
  out.append(R"(,"reasoning":)");
  out.append(model.reasoning ? "true" : "false");
  out.append(R"(,"vision":)");
  out.append(model.vision ? "true" : "false");
  out.append(R"(,"upstream_key":)");
  json_text::AppendString(out, model.upstream_key);
  out.push_back('}');
}

const ModelEntry* FindEntry(const std::vector<ModelEntry>& entries, std::string_view id) {
  for (const ModelEntry& entry : entries) {
    if (entry.id == id) return &entry;
  }
  for (const ModelEntry& entry : entries) {
    if (EqualsIgnoreCase(entry.id, id)) return &entry;
  }
  return nullptr;
}

}  // namespace

std::string RenderModel(const ModelEntry& model, std::int64_t created) {
  std::string out;
  AppendModel(out, model, created);
  return out;
}

std::string RenderModelList(const std::vector<ModelEntry>& models, std::int64_t created) {
  std::string out = R"({"object":"list","data":[)";
  for (std::size_t i = 0; i < models.size(); ++i) {
    if (i != 0) out.push_back(',');
    AppendModel(out, models[i], created);
  }
  out.append("]}");
  return out;
}

std::vector<ModelEntry> BuildModelEntries(const std::vector<UpstreamModel>& upstream) {
  std::vector<ModelEntry> entries;
  std::set<std::string> taken;  // lowercase ids
  // Rows with an empty or repeated key are ignored entirely, display name included.
  std::vector<const UpstreamModel*> models;
  std::map<std::string, const UpstreamModel*> by_key;
  for (const UpstreamModel& model : upstream) {
    const std::string& key = std::get<0>(model);
    if (key.empty() || !taken.insert(AsciiLower(key)).second) continue;
    models.push_back(&model);
    by_key.emplace(key, &model);
    entries.push_back(EntryFor(model, key));
  }

  for (const FixedAlias& alias : kFixedAliases) {
    const auto target = by_key.find(std::string(alias.target));
    if (target == by_key.end()) continue;
    if (!taken.insert(std::string(alias.alias)).second) continue;
    entries.push_back(EntryFor(*target->second, std::string(alias.alias)));
  }

  // A display-name form is only an alias when exactly one model has it.
  std::map<std::string, std::set<std::string>> slug_targets;
  for (const UpstreamModel* model : models) {
    const std::string slug = DisplaySlug(std::get<1>(*model));
    if (!slug.empty()) slug_targets[slug].insert(std::get<0>(*model));
  }
  for (const UpstreamModel* model : models) {
    const std::string slug = DisplaySlug(std::get<1>(*model));
    if (slug.empty() || slug_targets[slug].size() != 1) continue;
    if (!taken.insert(slug).second) continue;
    entries.push_back(EntryFor(*model, slug));
  }
  return entries;
}

std::optional<std::string> ResolveModel(const std::vector<ModelEntry>& entries,
                                        std::string_view requested,
                                        std::string_view default_model) {
  const std::string_view name = requested.empty() ? default_model : requested;
  if (name.empty()) return std::nullopt;
  if (const ModelEntry* entry = FindEntry(entries, name)) return entry->upstream_key;
  return std::nullopt;
}

ApiError ModelNotFound(std::string_view requested) {
  ApiError error;
  error.http_status = 404;
  error.message = requested.empty()
                      ? std::string(
                            "No model was named in the request and no default model is "
                            "available. GET /v1/models lists the models you can use.")
                      : "The model `" + std::string(requested) +
                            "` does not exist or you do not have access to it. GET /v1/models "
                            "lists the models you can use.";
  error.param = "model";
  error.code = "model_not_found";
  return error;
}

}  // namespace api::openai
