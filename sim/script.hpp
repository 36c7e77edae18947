// Script rules: a JSON file that lets a test choose the answer text per question (think blocks,
// tool-call markup, long text) instead of the default echo.
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace sim {

// A parsed script: [{"match":"substring","reply":"…"}, {"regex":"ECMAScript","reply":"…"}, …].
class Script {
 public:
  // Returns false and sets `error` for bad JSON, a non-array, or a rule without a string
  // "reply" and exactly one of "match"/"regex" (or an invalid regex).
  static bool Parse(std::string_view json_text, Script& out, std::string& error);

  // The reply template of the first rule whose pattern occurs in `question`, or nullptr.
  const std::string* Match(std::string_view question) const;

  std::size_t size() const { return rules_.size(); }

 private:
  struct Rule {
    std::string match;                // substring ("" matches every question)
    std::optional<std::regex> regex;  // searched instead of `match` when set
    std::string reply;
  };
  std::vector<Rule> rules_;
};

// Replaces {turn}, {session}, {model} and {question} in a reply; any other {…} (for instance
// {THINK_TIME}) stays as is.
std::string ExpandReply(std::string_view reply, int turn, std::string_view session,
                        std::string_view model, std::string_view question);

// The script file, re-parsed whenever its content changes.
class ScriptFile {
 public:
  explicit ScriptFile(std::string path) : path_(std::move(path)) {}

  // The current script (empty when there is no path, no file, or a bad file). A change in the
  // file that fails to parse adds a warning.
  const Script& Current(std::vector<std::string>& warnings);

 private:
  std::string path_;
  std::string last_content_;
  Script script_;
};

}  // namespace sim
