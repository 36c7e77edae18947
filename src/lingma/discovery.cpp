// Lingma process and binary discovery; see discovery.hpp.
#include "lingma/discovery.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>
#include <utility>

namespace lingma {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// `.info` files are a few dozen bytes; anything far larger is not one.
constexpr std::size_t kMaxInfoBytes = 64 * 1024;
constexpr int kMaxPid = std::numeric_limits<int>::max();

#if defined(_WIN32)
constexpr std::string_view kBinaryName = "Lingma.exe";
#else
constexpr std::string_view kBinaryName = "Lingma";
#endif

std::string_view Trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view StripBom(std::string_view s) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (s.substr(0, kBom.size()) == kBom) s.remove_prefix(kBom.size());
  return s;
}

// Plain decimal digits only: no sign, no spaces inside, no trailing text.
std::optional<long long> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.front() == '-') return std::nullopt;
  return v;
}

std::optional<int> InRange(std::optional<long long> v, long long lo, long long hi) {
  if (!v || *v < lo || *v > hi) return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<long long> JsonNumber(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) {
    if (v->get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<long long>::max())) {
      return std::nullopt;
    }
    return static_cast<long long>(v->get_uint64());
  }
  if (v->is_string()) return ParseDecimal(Trim(std::string_view(v->get_string())));
  return std::nullopt;
}

std::optional<std::string> ReadSmallFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string data(kMaxInfoBytes + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  const std::streamsize n = in.gcount();
  if (n < 0 || static_cast<std::size_t>(n) > kMaxInfoBytes) return std::nullopt;
  data.resize(static_cast<std::size_t>(n));
  return data;
}

bool IsExecutableFile(const fs::path& p, std::string* why) {
  std::error_code ec;
  const fs::file_status st = fs::status(p, ec);
  if (ec || !fs::exists(st)) {
    if (why) *why = "does not exist";
    return false;
  }
  if (!fs::is_regular_file(st)) {
    if (why) *why = "is not a regular file";
    return false;
  }
  if (::access(p.c_str(), X_OK) != 0) {
    if (why) *why = "is not executable (chmod +x it)";
    return false;
  }
  return true;
}

// "2.10.0" → {2, 10, 0}; nullopt for names that are not dotted numbers.
std::optional<std::vector<long long>> VersionParts(std::string_view name) {
  std::vector<long long> parts;
  while (true) {
    const std::size_t dot = name.find('.');
    const std::optional<long long> part = ParseDecimal(name.substr(0, dot));
    if (!part) return std::nullopt;
    parts.push_back(*part);
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return parts;
}

// The IDE plugins store the core version under the flat key "cosy.core.version"; a nested
// {"cosy":{"core":{"version":...}}} spelling is accepted too.
std::string ConfiguredVersion(const fs::path& config_json) {
  const std::optional<std::string> text = ReadSmallFile(config_json);
  if (!text) return {};
  json::error_code ec;
  const json::value root = json::parse(*text, ec);
  const json::object* obj = ec ? nullptr : root.if_object();
  if (obj == nullptr) return {};
  if (const json::value* v = obj->if_contains("cosy.core.version"); v && v->is_string()) {
    return std::string(v->get_string());
  }
  const json::value* v = &root;
  for (std::string_view key : {"cosy", "core", "version"}) {
    const json::object* o = v->if_object();
    v = o ? o->if_contains(json::string_view(key.data(), key.size())) : nullptr;
    if (v == nullptr) return {};
  }
  return v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

std::optional<InfoFile> ParseInfoLines(std::string_view text) {
  text = StripBom(text);
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = Trim(text.substr(0, nl));
    if (!line.empty()) lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  if (lines.size() < 2) return std::nullopt;
  const std::optional<int> port = InRange(ParseDecimal(lines[0]), 1, 65535);
  const std::optional<int> pid = InRange(ParseDecimal(lines[1]), 1, kMaxPid);
  if (!port || !pid) return std::nullopt;
  InfoFile info;
  info.port = *port;
  info.pid = *pid;
  if (lines.size() >= 3) info.ipc_path = std::string(lines[2]);
  return info;
}

std::optional<InfoFile> ParseInfoJson(std::string_view text) {
  text = StripBom(text);
  json::error_code ec;
  const json::value root = json::parse(json::string_view(text.data(), text.size()), ec);
  const json::object* obj = ec ? nullptr : root.if_object();
  if (obj == nullptr) return std::nullopt;

  const json::value* port_field = obj->if_contains("websocketPort");
  if (port_field == nullptr) port_field = obj->if_contains("port");
  const std::optional<int> port = InRange(JsonNumber(port_field), 1, 65535);
  if (!port) return std::nullopt;
  InfoFile info;
  info.port = *port;
  info.json_format = true;
  if (const json::value* pid_field = obj->if_contains("pid")) {
    const std::optional<int> pid = InRange(JsonNumber(pid_field), 1, kMaxPid);
    if (!pid) return std::nullopt;  // stated but nonsense: the file is not trustworthy
    info.pid = *pid;
  }
  if (const json::value* ipc = obj->if_contains("ipcServerPath"); ipc && ipc->is_string()) {
    info.ipc_path = std::string(ipc->get_string());
  }
  return info;
}

std::optional<InfoFile> ReadInfoFile(const fs::path& dir) {
  const fs::path json_path = dir / ".info.json";
  if (const std::optional<std::string> text = ReadSmallFile(json_path)) {
    if (std::optional<InfoFile> info = ParseInfoJson(*text)) {
      info->path = json_path;
      return info;
    }
  }
  const fs::path lines_path = dir / ".info";
  if (const std::optional<std::string> text = ReadSmallFile(lines_path)) {
    std::optional<InfoFile> info = ParseInfoLines(*text);
    if (!info) info = ParseInfoJson(*text);  // some builds may write JSON under the old name
    if (info) {
      info->path = lines_path;
      return info;
    }
  }
  return std::nullopt;
}

bool IsProcessAlive(int pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  // Where /proc exists, a zombie still answers kill(); its state letter follows the last ')'
  // (the command name in parentheses may itself contain spaces and parentheses).
  const std::optional<std::string> stat =
      ReadSmallFile(fs::path("/proc") / std::to_string(pid) / "stat");
  if (!stat) return true;
  const std::size_t paren = stat->rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat->size()) return true;
  const char state = (*stat)[paren + 2];
  return state != 'Z' && state != 'X';
}

std::string PlatformDir() {
#if defined(__x86_64__) || defined(_M_X64)
  constexpr std::string_view kArch = "x86_64";
#elif defined(__aarch64__) || defined(_M_ARM64)
  constexpr std::string_view kArch = "aarch64";
#else
  constexpr std::string_view kArch = "";
#endif
#if defined(__linux__)
  constexpr std::string_view kOs = "linux";
#elif defined(__APPLE__)
  constexpr std::string_view kOs = "darwin";
#elif defined(_WIN32)
  constexpr std::string_view kOs = "windows";
#else
  constexpr std::string_view kOs = "";
#endif
  if (kArch.empty() || kOs.empty()) return "unknown";
  return std::string(kArch) + "_" + std::string(kOs);
}

std::string BinarySearch::Explain() const {
  if (found) return "Using the Lingma binary " + found->string();
  std::ostringstream out;
  out << "Lingma binary not found";
  if (!problem.empty()) out << ": " << problem;
  out << "\n";
  if (!searched.empty()) {
    out << "Looked at:\n";
    for (const std::string& path : searched) out << "  " << path << "\n";
  }
  out << "To fix this, do one of:\n"
      << "  - install the Tongyi Lingma plugin in VS Code or a JetBrains IDE and log in once; it\n"
      << "    unpacks the binary into ~/.lingma/bin/<version>/" << PlatformDir() << "/"
      << kBinaryName << "\n"
      << "  - set LINGMA_BIN=/path/to/" << kBinaryName << "\n"
      << "  - run the gateway with --simulator to use the bundled Lingma simulator instead\n";
  return out.str();
}

BinarySearch FindLingmaBinary(std::string_view lingma_bin_env, const fs::path& home) {
  BinarySearch search;
  if (!lingma_bin_env.empty()) {
    const fs::path path{std::string(lingma_bin_env)};
    search.searched.push_back(path.string());
    std::string why;
    if (IsExecutableFile(path, &why)) {
      search.found = path;
    } else {
      search.problem = "LINGMA_BIN=" + path.string() + " " + why;
    }
    return search;
  }
  if (home.empty()) {
    search.problem = "the home directory is unknown (HOME is not set) and LINGMA_BIN is not set";
    return search;
  }

  const fs::path bin_dir = home / ".lingma" / "bin";
  const std::string platform = PlatformDir();
  std::vector<std::string> tried_versions;
  auto try_version = [&](const std::string& version) {
    if (std::find(tried_versions.begin(), tried_versions.end(), version) != tried_versions.end()) {
      return false;
    }
    tried_versions.push_back(version);
    const fs::path candidate = bin_dir / version / platform / std::string(kBinaryName);
    search.searched.push_back(candidate.string());
    if (!IsExecutableFile(candidate, nullptr)) return false;
    search.found = candidate;
    return true;
  };

  const std::string configured = ConfiguredVersion(bin_dir / "config.json");
  if (!configured.empty() && configured.find('/') == std::string::npos && configured != "." &&
      configured != ".." && try_version(configured)) {
    return search;
  }

  std::vector<std::pair<std::vector<long long>, std::string>> versions;
  std::error_code ec;
  for (fs::directory_iterator it(bin_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::optional<std::vector<long long>> parts = VersionParts(name);
    if (parts && it->is_directory(ec)) versions.emplace_back(std::move(*parts), name);
  }
  std::sort(versions.begin(), versions.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [parts, name] : versions) {
    if (try_version(name)) return search;
  }

  if (versions.empty()) {
    search.searched.push_back(
        (bin_dir / "<version>" / platform / std::string(kBinaryName)).string() +
        " (no version directories)");
    search.problem = "no Lingma installation under " + bin_dir.string();
  } else {
    search.problem = "no executable " + std::string(kBinaryName) + " for " + platform +
                     " in any version under " + bin_dir.string();
  }
  return search;
}

}  // namespace lingma
