// Script rules; see script.hpp.
#include "sim/script.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "sim/files.hpp"

namespace sim {

bool Script::Parse(std::string_view json_text, Script& out, std::string& error) {
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(json_text, ec);
  if (ec) {
    error = "invalid JSON (" + ec.message() + ")";
    return false;
  }
  if (!doc.is_array()) {
    error = "expected a JSON array of rules";
    return false;
  }
  Script script;
  std::size_t index = 0;
  for (const boost::json::value& item : doc.get_array()) {
    const std::string where = "rule " + std::to_string(index++);
    const boost::json::object* rule = item.if_object();
    if (rule == nullptr) {
      error = where + ": not an object";
      return false;
    }
    const boost::json::value* reply = rule->if_contains("reply");
    const boost::json::value* match = rule->if_contains("match");
    const boost::json::value* regex = rule->if_contains("regex");
    if (reply == nullptr || !reply->is_string()) {
      error = where + ": needs a string \"reply\"";
      return false;
    }
    if ((match == nullptr) == (regex == nullptr)) {
      error = where + ": needs exactly one of \"match\" and \"regex\"";
      return false;
    }
    const boost::json::value* pattern = match ? match : regex;
    if (!pattern->is_string()) {
      error = where + ": the pattern must be a string";
      return false;
    }
    Rule parsed;
    parsed.reply = std::string(reply->get_string());
    if (match) {
      parsed.match = std::string(pattern->get_string());
    } else {
      try {
        parsed.regex.emplace(std::string(pattern->get_string()), std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        error = where + ": invalid regex (" + e.what() + ")";
        return false;
      }
    }
    script.rules_.push_back(std::move(parsed));
  }
  out = std::move(script);
  return true;
}

const std::string* Script::Match(std::string_view question) const {
  for (const Rule& rule : rules_) {
    const bool hit = rule.regex ? std::regex_search(question.begin(), question.end(), *rule.regex)
                                : question.find(rule.match) != std::string_view::npos;
    if (hit) return &rule.reply;
  }
  return nullptr;
}

std::string ExpandReply(std::string_view reply, int turn, std::string_view session,
                        std::string_view model, std::string_view question) {
  const std::string turn_text = std::to_string(turn);
  const std::pair<std::string_view, std::string_view> placeholders[] = {
      {"{turn}", turn_text},
      {"{session}", session},
      {"{model}", model.empty() ? std::string_view("auto") : model},
      {"{question}", question},
  };
  std::string out;
  out.reserve(reply.size());
  std::size_t i = 0;
  while (i < reply.size()) {
    bool replaced = false;
    if (reply[i] == '{') {
      for (const auto& [name, value] : placeholders) {
        if (reply.substr(i, name.size()) == name) {
          out.append(value);
          i += name.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out.push_back(reply[i++]);
  }
  return out;
}

const Script& ScriptFile::Current(std::vector<std::string>& warnings) {
  if (path_.empty()) return script_;
  std::optional<std::string> content = ReadSmallFile(path_);
  if (!content) {
    if (!last_content_.empty() || script_.size() > 0)
      warnings.push_back("script: cannot read " + path_);
    last_content_.clear();
    script_ = Script();
    return script_;
  }
  if (*content == last_content_) return script_;
  std::string error;
  if (!Script::Parse(*content, script_, error)) {
    warnings.push_back("script " + path_ + ": " + error + "; using the default answers");
    script_ = Script();
  }
  last_content_ = std::move(*content);
  return script_;
}

}  // namespace sim
