// Filtering of the child environment; see child_env.hpp.
#include "app/child_env.hpp"

#include <array>
#include <string_view>

namespace app {

std::map<std::string, std::string> ChildEnvironment(const std::map<std::string, std::string>& env) {
  static constexpr std::array<std::string_view, 17> kKept = {
      "PATH",       "HOME",        "USER",     "LOGNAME",    "LANG",        "LC_ALL",
      "LC_CTYPE",   "TZ",          "TMPDIR",   "http_proxy", "https_proxy", "no_proxy",
      "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "all_proxy",  "ALL_PROXY"};
  static constexpr std::array<std::string_view, 2> kPrefixes = {"COSY_", "LINGMA_SIM_"};
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : env) {
    bool keep = false;
    for (auto k : kKept) keep |= key == k;
    for (auto p : kPrefixes) keep |= key.starts_with(p);
    if (keep) out.emplace(key, value);
  }
  if (!out.contains("PATH")) out.emplace("PATH", "/usr/local/bin:/usr/bin:/bin");
  return out;
}

}  // namespace app
