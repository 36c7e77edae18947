// The control file: a JSON object of knob overrides that tests rewrite while the sim runs.
#pragma once

#include <string>
#include <vector>

#include "sim/options.hpp"

namespace sim {

class ControlFile {
 public:
  explicit ControlFile(std::string path) : path_(std::move(path)) {}

  // Reads the file now and returns `base` overridden by its keys; a missing file (or no path)
  // returns `base`. Warnings are reported only when the content differs from the last read, so
  // a bad file is not logged once per turn.
  Knobs Current(const Knobs& base, std::vector<std::string>& warnings);

 private:
  std::string path_;
  std::string last_content_;
};

}  // namespace sim
