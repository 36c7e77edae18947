#include "app/child_env.hpp"

#include <gtest/gtest.h>

namespace app {
namespace {

TEST(ChildEnvironment, KeepsOnlyWhatLingmaNeeds) {
  auto out = ChildEnvironment({{"PATH", "/bin"},
                               {"HOME", "/root"},
                               {"API_KEYS", "sk-secret"},
                               {"AWS_SECRET_ACCESS_KEY", "x"},
                               {"https_proxy", "http://proxy:3128"},
                               {"LINGMA_SIM_INFO_FORMAT", "json"},
                               {"COSY_TRACE_LOG", "1"},
                               {"LINGMA_BIN", "/opt/Lingma"}});
  EXPECT_EQ(out, (std::map<std::string, std::string>{{"PATH", "/bin"},
                                                     {"HOME", "/root"},
                                                     {"https_proxy", "http://proxy:3128"},
                                                     {"LINGMA_SIM_INFO_FORMAT", "json"},
                                                     {"COSY_TRACE_LOG", "1"}}));
}

TEST(ChildEnvironment, ProvidesADefaultPath) {
  EXPECT_EQ(ChildEnvironment({}).at("PATH"), "/usr/local/bin:/usr/bin:/bin");
}

}  // namespace
}  // namespace app
