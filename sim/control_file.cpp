// The control file; see control_file.hpp.
#include "sim/control_file.hpp"

#include <optional>

#include "sim/files.hpp"

namespace sim {

Knobs ControlFile::Current(const Knobs& base, std::vector<std::string>& warnings) {
  if (path_.empty()) return base;
  std::optional<std::string> content = ReadSmallFile(path_);
  if (!content) {
    last_content_.clear();
    return base;
  }
  std::vector<std::string> found;
  Knobs knobs = ApplyControl(base, *content, found);
  if (*content != last_content_) {
    warnings.insert(warnings.end(), found.begin(), found.end());
    last_content_ = std::move(*content);
  }
  return knobs;
}

}  // namespace sim
