// Tests for /v1/models rendering, model aliases and model resolution.
#include "api/openai/models.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "api/openai/spec_checks_test_util.hpp"

namespace api::openai {
namespace {

namespace json = boost::json;

constexpr std::int64_t kCreated = 1735689600;

std::vector<UpstreamModel> LingmaModels() {
  return {
      {"auto", "Auto", false, false},
      {"dashscope_qwen3_coder", "Qwen3-Coder", false, false},
      {"dashscope_qwen_plus_20250428_thinking", "Qwen3-Thinking", true, false},
      {"dashscope_qwen_max_latest", "Qwen-Max", false, true},
      {"dashscope_qwen_plus", "Qwen Plus (2025)", false, false},
  };
}

std::vector<std::string> Ids(const std::vector<ModelEntry>& entries) {
  std::vector<std::string> ids;
  for (const ModelEntry& e : entries) ids.push_back(e.id);
  return ids;
}

const ModelEntry* Find(const std::vector<ModelEntry>& entries, std::string_view id) {
  for (const ModelEntry& e : entries) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

// ---------------------------------------------------------------- rendering

TEST(OpenAiModels, ModelGolden) {
  const ModelEntry model{"qwen3-thinking", "Qwen3-Thinking", true, false,
                         "dashscope_qwen_plus_20250428_thinking"};
  const std::string body = RenderModel(model, kCreated);
  EXPECT_EQ(body,
            R"({"id":"qwen3-thinking","object":"model","created":1735689600,"owned_by":"lingma",)"
            R"("display_name":"Qwen3-Thinking","reasoning":true,"vision":false,)"
            R"("upstream_key":"dashscope_qwen_plus_20250428_thinking"})");
  ExpectModel(json::parse(body));
}

TEST(OpenAiModels, ListGolden) {
  const std::vector<ModelEntry> models = {
      {"auto", "Auto", false, false, "auto"},
      {"qwen-max", "Qwen-Max \"latest\"", false, true, "dashscope_qwen_max_latest"},
  };
  const std::string body = RenderModelList(models, kCreated);
  EXPECT_EQ(json::parse(body), json::parse(R"({"object":"list","data":[
    {"id":"auto","object":"model","created":1735689600,"owned_by":"lingma",
     "display_name":"Auto","reasoning":false,"vision":false,"upstream_key":"auto"},
    {"id":"qwen-max","object":"model","created":1735689600,"owned_by":"lingma",
     "display_name":"Qwen-Max \"latest\"","reasoning":false,"vision":true,
     "upstream_key":"dashscope_qwen_max_latest"}]})"));
  ExpectModelList(json::parse(body));
}

TEST(OpenAiModels, EmptyList) {
  EXPECT_EQ(RenderModelList({}, kCreated), R"({"object":"list","data":[]})");
  ExpectModelList(json::parse(RenderModelList({}, kCreated)));
}

TEST(OpenAiModels, BuiltCatalogueValidates) {
  ExpectModelList(json::parse(RenderModelList(BuildModelEntries(LingmaModels()), kCreated)));
}

// ---------------------------------------------------------------- aliases

TEST(OpenAiModels, KeysThenFixedAliasesThenDisplayNames) {
  const std::vector<ModelEntry> entries = BuildModelEntries(LingmaModels());
  EXPECT_EQ(Ids(entries), (std::vector<std::string>{
                              "auto",
                              "dashscope_qwen3_coder",
                              "dashscope_qwen_plus_20250428_thinking",
                              "dashscope_qwen_max_latest",
                              "dashscope_qwen_plus",
                              "qwen3-coder",
                              "qwen3-thinking",
                              "qwen3-max",
                              "qwen-max",
                              "qwen-plus-2025",
                          }));
}

TEST(OpenAiModels, AliasesCarryTheirTargetsMetadata) {
  const std::vector<ModelEntry> entries = BuildModelEntries(LingmaModels());
  const ModelEntry* thinking = Find(entries, "qwen3-thinking");
  ASSERT_NE(thinking, nullptr);
  EXPECT_EQ(thinking->upstream_key, "dashscope_qwen_plus_20250428_thinking");
  EXPECT_EQ(thinking->display_name, "Qwen3-Thinking");
  EXPECT_TRUE(thinking->reasoning);
  const ModelEntry* max = Find(entries, "qwen3-max");
  ASSERT_NE(max, nullptr);
  EXPECT_EQ(max->upstream_key, "dashscope_qwen_max_latest");
  EXPECT_TRUE(max->vision);
  const ModelEntry* key = Find(entries, "dashscope_qwen3_coder");
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->upstream_key, "dashscope_qwen3_coder");
  EXPECT_EQ(key->display_name, "Qwen3-Coder");
}

TEST(OpenAiModels, OnlyAliasesWithAvailableTargets) {
  const std::vector<ModelEntry> entries =
      BuildModelEntries({{"dashscope_qwen3_coder", "Qwen3-Coder", false, false}});
  EXPECT_EQ(Ids(entries), (std::vector<std::string>{"dashscope_qwen3_coder", "qwen3-coder"}));
  EXPECT_TRUE(BuildModelEntries({}).empty());
}

TEST(OpenAiModels, AliasNeverShadowsAnUpstreamKey) {
  const std::vector<ModelEntry> entries = BuildModelEntries({
      {"dashscope_qwen_max_latest", "Qwen Max Latest", false, false},
      {"Qwen-Max", "Someone else's model", false, false},
  });
  const ModelEntry* max = Find(entries, "Qwen-Max");
  ASSERT_NE(max, nullptr);
  EXPECT_EQ(max->upstream_key, "Qwen-Max");
  EXPECT_EQ(Find(entries, "qwen-max"), nullptr);  // taken, ignoring case, by the key
  EXPECT_EQ(ResolveModel(entries, "qwen-max", ""), "Qwen-Max");
  EXPECT_EQ(ResolveModel(entries, "qwen3-max", ""), "dashscope_qwen_max_latest");
  EXPECT_EQ(ResolveModel(entries, "qwen-max-latest", ""), "dashscope_qwen_max_latest");
}

TEST(OpenAiModels, FixedAliasWinsOverDisplayName) {
  const std::vector<ModelEntry> entries = BuildModelEntries({
      {"dashscope_qwen3_coder", "Coder", false, false},
      {"other_model", "Qwen3 Coder", false, false},  // its display form is "qwen3-coder" too
  });
  EXPECT_EQ(ResolveModel(entries, "qwen3-coder", ""), "dashscope_qwen3_coder");
  EXPECT_EQ(ResolveModel(entries, "coder", ""), "dashscope_qwen3_coder");
}

TEST(OpenAiModels, AmbiguousDisplayNamesGiveNoAlias) {
  const std::vector<ModelEntry> entries = BuildModelEntries({
      {"model_a", "Qwen Turbo", false, false},
      {"model_b", "Qwen-Turbo", false, false},
      {"model_c", "Qwen Plus", false, false},
  });
  EXPECT_EQ(Ids(entries), (std::vector<std::string>{"model_a", "model_b", "model_c", "qwen-plus"}));
}

TEST(OpenAiModels, DisplayNameForms) {
  const std::vector<ModelEntry> entries = BuildModelEntries({
      {"k1", "通义 Qwen2.5-Max", false, false},
      {"k2", "通义千问", false, false},  // nothing ASCII: no alias
      {"k3", "  DeepSeek_V3 / Chat  ", false, false},
      {"k4", "K4", false, false},  // same as its key ignoring case: nothing new
  });
  EXPECT_EQ(Ids(entries),
            (std::vector<std::string>{"k1", "k2", "k3", "k4", "qwen2.5-max", "deepseek-v3-chat"}));
}

TEST(OpenAiModels, DuplicateUpstreamKeysAppearOnce) {
  const std::vector<ModelEntry> entries = BuildModelEntries({
      {"auto", "Auto", false, false},
      {"auto", "Auto again", false, false},
  });
  EXPECT_EQ(Ids(entries), (std::vector<std::string>{"auto"}));
}

// ---------------------------------------------------------------- resolution

TEST(OpenAiModels, ResolveExactAliasAndCaseInsensitive) {
  const std::vector<ModelEntry> entries = BuildModelEntries(LingmaModels());
  EXPECT_EQ(ResolveModel(entries, "dashscope_qwen3_coder", ""), "dashscope_qwen3_coder");
  EXPECT_EQ(ResolveModel(entries, "qwen3-coder", ""), "dashscope_qwen3_coder");
  EXPECT_EQ(ResolveModel(entries, "Qwen3-Coder", ""), "dashscope_qwen3_coder");
  EXPECT_EQ(ResolveModel(entries, "QWEN-MAX", ""), "dashscope_qwen_max_latest");
  EXPECT_EQ(ResolveModel(entries, "qwen-plus-2025", ""), "dashscope_qwen_plus");
  EXPECT_EQ(ResolveModel(entries, "auto", ""), "auto");
  EXPECT_EQ(ResolveModel(entries, "AUTO", "qwen3-coder"), "auto");
}

TEST(OpenAiModels, ResolveExactMatchBeforeCaseInsensitive) {
  const std::vector<ModelEntry> entries = {
      {"Model", "", false, false, "upper"},
      {"model", "", false, false, "lower"},
  };
  EXPECT_EQ(ResolveModel(entries, "model", ""), "lower");
  EXPECT_EQ(ResolveModel(entries, "Model", ""), "upper");
  EXPECT_EQ(ResolveModel(entries, "MODEL", ""), "upper");
}

TEST(OpenAiModels, ResolveEmptyUsesTheDefault) {
  const std::vector<ModelEntry> entries = BuildModelEntries(LingmaModels());
  EXPECT_EQ(ResolveModel(entries, "", "qwen3-coder"), "dashscope_qwen3_coder");
  EXPECT_EQ(ResolveModel(entries, "", "auto"), "auto");
  EXPECT_EQ(ResolveModel(entries, "", "Qwen3-Thinking"), "dashscope_qwen_plus_20250428_thinking");
  EXPECT_EQ(ResolveModel(entries, "", ""), std::nullopt);
  EXPECT_EQ(ResolveModel(entries, "", "no-such-default"), std::nullopt);
}

TEST(OpenAiModels, ResolveUnknown) {
  const std::vector<ModelEntry> entries = BuildModelEntries(LingmaModels());
  EXPECT_EQ(ResolveModel(entries, "gpt-4o", "auto"), std::nullopt);
  EXPECT_EQ(ResolveModel(entries, "qwen3-coder ", ""), std::nullopt);
  EXPECT_EQ(ResolveModel({}, "auto", "auto"), std::nullopt);
}

TEST(OpenAiModels, ModelNotFoundError) {
  const ApiError error = ModelNotFound("gpt-4o");
  EXPECT_EQ(error.http_status, 404);
  EXPECT_EQ(error.type, "invalid_request_error");
  EXPECT_EQ(error.param, "model");
  EXPECT_EQ(error.code, "model_not_found");
  EXPECT_EQ(error.message,
            "The model `gpt-4o` does not exist or you do not have access to it. GET /v1/models "
            "lists the models you can use.");
  ExpectErrorResponse(json::parse(RenderError(error)));

  const ApiError unnamed = ModelNotFound("");
  EXPECT_EQ(unnamed.http_status, 404);
  EXPECT_EQ(unnamed.code, "model_not_found");
  EXPECT_NE(unnamed.message.find("No model was named"), std::string::npos);
}

}  // namespace
}  // namespace api::openai
