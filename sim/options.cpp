// lingma-sim's switches; see options.hpp. One table drives flags, env names, control-file keys
// and --help, so the four never drift apart.
#include "sim/options.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <cmath>
#include <limits>

namespace sim {
namespace {

bool ParseInt(std::string_view text, long long min, long long max, long long& out,
              std::string& error) {
  long long value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size()) {
    error = "expected an integer, got '" + std::string(text) + "'";
    return false;
  }
  if (value < min || value > max) {
    error = "value " + std::string(text) + " is out of range [" + std::to_string(min) + ", " +
            std::to_string(max) + "]";
    return false;
  }
  out = value;
  return true;
}

template <typename T>
bool SetInt(std::string_view text, long long min, long long max, T& field, std::string& error) {
  long long value = 0;
  if (!ParseInt(text, min, max, value, error)) return false;
  field = static_cast<T>(value);
  return true;
}

bool SetBool(std::string_view text, bool& field, std::string& error) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") {
    field = true;
  } else if (text == "false" || text == "0" || text == "no" || text == "off") {
    field = false;
  } else {
    error = "expected true or false, got '" + std::string(text) + "'";
    return false;
  }
  return true;
}

bool SetDouble(std::string_view text, double& field, std::string& error) {
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() ||
      !std::isfinite(value) || value < 0) {
    error = "expected a non-negative number, got '" + std::string(text) + "'";
    return false;
  }
  field = value;
  return true;
}

constexpr int kMaxMs = 24 * 3600 * 1000;

enum class Kind { kBool, kValue };

// A switch that lives in Options (start-up only).
struct GlobalSwitch {
  std::string_view name;
  Kind kind;
  std::string_view value_hint;
  std::string_view default_text;
  std::string_view help;
  bool (*set)(Options&, std::string_view, std::string&);
};

// A switch that lives in Knobs: also an env variable and a control-file key.
struct KnobSwitch {
  std::string_view name;
  Kind kind;
  std::string_view value_hint;
  std::string_view default_text;
  std::string_view help;
  bool (*set)(Knobs&, std::string_view, std::string&);
};

// Lingma's own flags keep its camelCase spelling and have no environment variable.
const GlobalSwitch kLingmaFlags[] = {
    {"workDir", Kind::kValue, "DIR", "(required for start/status)",
     "state directory; .info, sim-stats.json and logs/ go here (created if missing)",
     [](Options& o, std::string_view v, std::string&) {
       o.work_dir = v;
       return true;
     }},
    {"socketPort", Kind::kValue, "N", "0",
     "WebSocket port on 127.0.0.1; 0 or omitted = any free port (read it from .info)",
     [](Options& o, std::string_view v, std::string& e) {
       return SetInt(v, 0, 65535, o.socket_port, e);
     }},
    {"httpPort", Kind::kValue, "N", "37510", "port named in login URLs (the sim serves no HTTP)",
     [](Options& o, std::string_view v, std::string& e) {
       return SetInt(v, 0, 65535, o.http_port, e);
     }},
    {"endpoint", Kind::kValue, "URL", "\"\"", "initial value reported by config/getEndpoint",
     [](Options& o, std::string_view v, std::string&) {
       o.endpoint = v;
       return true;
     }},
    {"transportType", Kind::kValue, "T", "websocket", "accepted and ignored (only WebSocket)",
     [](Options&, std::string_view, std::string&) { return true; }},
    {"copyDataDir", Kind::kValue, "DIR", "", "accepted and ignored",
     [](Options&, std::string_view, std::string&) { return true; }},
};

const GlobalSwitch kSimSwitches[] = {
    {"info-format", Kind::kValue, "lines|json", "lines",
     "lines: <workDir>/.info = \"<port>\\n<pid>\"; json: <workDir>/.info.json = "
     "{\"websocketPort\":P,\"pid\":N,\"ipcServerPath\":\"\"}",
     [](Options& o, std::string_view v, std::string& e) {
       if (v == "lines") {
         o.info_format = InfoFormat::kLines;
       } else if (v == "json") {
         o.info_format = InfoFormat::kJson;
       } else {
         e = "expected lines or json, got '" + std::string(v) + "'";
         return false;
       }
       return true;
     }},
    {"daemonize", Kind::kBool, "", "false",
     "start forks; the parent exits 0 once the daemon wrote .info (its pid is in .info); "
     "the daemon logs to <workDir>/logs/lingma-sim.log",
     [](Options& o, std::string_view v, std::string& e) { return SetBool(v, o.daemonize, e); }},
    {"push-mode", Kind::kValue, "requests|notifications", "requests",
     "server pushes as JSON-RPC requests with the sim's own ids (counter per connection, "
     "from 1, colliding with client ids on purpose) or as notifications",
     [](Options& o, std::string_view v, std::string& e) {
       if (v == "requests") {
         o.push_mode = PushMode::kRequests;
       } else if (v == "notifications") {
         o.push_mode = PushMode::kNotifications;
       } else {
         e = "expected requests or notifications, got '" + std::string(v) + "'";
         return false;
       }
       return true;
     }},
    {"login-after-ms", Kind::kValue, "N", "-1",
     "when not logged in, N ms after the first login/generateUrl the sim becomes logged in and "
     "pushes auth/report to every connection; -1: never",
     [](Options& o, std::string_view v, std::string& e) {
       return SetInt(v, -1, kMaxMs, o.login_after_ms, e);
     }},
    {"split-frames", Kind::kBool, "", "false",
     "cut the outgoing byte stream into WebSocket messages at random points (several frames per "
     "message, frames split across messages; cuts only at UTF-8 character boundaries)",
     [](Options& o, std::string_view v, std::string& e) { return SetBool(v, o.split_frames, e); }},
    {"split-seed", Kind::kValue, "N", "1",
     "seed of --split-frames (connection k uses seed+k: same traffic, same cuts)",
     [](Options& o, std::string_view v, std::string& e) {
       return SetInt(v, 0, std::numeric_limits<long long>::max(), o.split_seed, e);
     }},
    {"coalesce-frames", Kind::kBool, "", "false",
     "frames queued while the previous write was in flight leave together in one WebSocket "
     "message (whole frames, up to 64 KiB a message)",
     [](Options& o, std::string_view v, std::string& e) {
       return SetBool(v, o.coalesce_frames, e);
     }},
    {"tick-us", Kind::kValue, "N", "0",
     "prefill and delta waits end on the next multiple of N µs of the steady clock, as in a model "
     "server that decodes every running sequence in one step: concurrent turns send together; "
     "0: each wait ends exactly when due",
     [](Options& o, std::string_view v, std::string& e) {
       return SetInt(v, 0, 1'000'000, o.tick_us, e);
     }},
    {"startup-delay-ms", Kind::kValue, "N", "0",
     "slow start: wait N ms before listening and writing .info",
     [](Options& o, std::string_view v, std::string& e) {
       return SetInt(v, 0, kMaxMs, o.startup_delay_ms, e);
     }},
    {"stale-info", Kind::kBool, "", "false",
     "fault: write an .info naming a dead pid and a closed port, then exit 0 without serving",
     [](Options& o, std::string_view v, std::string& e) { return SetBool(v, o.stale_info, e); }},
    {"script", Kind::kValue, "PATH", "",
     "JSON array of {\"match\"|\"regex\":…,\"reply\":…} rules choosing the answer text "
     "(re-read when it changes)",
     [](Options& o, std::string_view v, std::string&) {
       o.script_path = v;
       return true;
     }},
    {"control", Kind::kValue, "PATH", "",
     "JSON object overriding the knob switches below, re-read on every chat/ask, auth/status "
     "and config/queryModels; missing file = flag/env values",
     [](Options& o, std::string_view v, std::string&) {
       o.control_path = v;
       return true;
     }},
    {"ask-log", Kind::kValue, "PATH", "", "append one JSON line per chat/ask received",
     [](Options& o, std::string_view v, std::string&) {
       o.ask_log_path = v;
       return true;
     }},
    {"server-version", Kind::kValue, "V", "2.11.1",
     "version printed by `version`/`status` and sent in initialize's serverInfo",
     [](Options& o, std::string_view v, std::string& e) {
       if (v.empty()) {
         e = "must not be empty";
         return false;
       }
       o.server_version = v;
       return true;
     }},
    {"verbose", Kind::kBool, "", "false", "log every frame received and sent to stderr",
     [](Options& o, std::string_view v, std::string& e) { return SetBool(v, o.verbose, e); }},
};

const KnobSwitch kKnobSwitches[] = {
    {"auth", Kind::kValue, "logged_in|logged_out|expired", "logged_in",
     "auth/status status 2|1|3; chat/ask is rejected unless logged_in",
     [](Knobs& k, std::string_view v, std::string& e) {
       if (v == "logged_in") {
         k.auth = AuthState::kLoggedIn;
       } else if (v == "logged_out") {
         k.auth = AuthState::kLoggedOut;
       } else if (v == "expired") {
         k.auth = AuthState::kExpired;
       } else {
         e = "expected logged_in, logged_out or expired, got '" + std::string(v) + "'";
         return false;
       }
       return true;
     }},
    {"deltas", Kind::kValue, "N", "4",
     "non-empty chat/answer deltas per answer (fewer when the answer has fewer characters)",
     [](Knobs& k, std::string_view v, std::string& e) {
       return SetInt(v, 1, 1000000, k.deltas, e);
     }},
    {"delta-delay-ms", Kind::kValue, "N", "0", "wait before every non-empty delta",
     [](Knobs& k, std::string_view v, std::string& e) {
       return SetInt(v, 0, kMaxMs, k.delta_delay_ms, e);
     }},
    {"prefill-us-per-byte", Kind::kValue, "X", "0",
     "time to first token: X microseconds per processed prompt byte (a new session processes "
     "its whole prompt, a continued one only the new questionText)",
     [](Knobs& k, std::string_view v, std::string& e) {
       return SetDouble(v, k.prefill_us_per_byte, e);
     }},
    {"empty-deltas", Kind::kBool, "", "false",
     "send an empty chat/answer after every non-empty one",
     [](Knobs& k, std::string_view v, std::string& e) { return SetBool(v, k.empty_deltas, e); }},
    {"step-end", Kind::kValue, "before|after", "after",
     "chat/process_step_callback step_end before or after the last answer delta",
     [](Knobs& k, std::string_view v, std::string& e) {
       if (v == "before") {
         k.step_end = StepEndPosition::kBeforeLastDelta;
       } else if (v == "after") {
         k.step_end = StepEndPosition::kAfterLastDelta;
       } else {
         e = "expected before or after, got '" + std::string(v) + "'";
         return false;
       }
       return true;
     }},
    {"finish-new-session", Kind::kBool, "", "false",
     "chat/finish reports a fresh sessionId (an alias the sim accepts for continuation)",
     [](Knobs& k, std::string_view v, std::string& e) {
       return SetBool(v, k.finish_new_session, e);
     }},
    {"unanswered-push-penalty-ms", Kind::kValue, "N", "0",
     "push requests only: before its next push a stream waits up to N ms for the answer to its "
     "previous push; each wait that times out counts as unanswered_pushes",
     [](Knobs& k, std::string_view v, std::string& e) {
       return SetInt(v, 0, kMaxMs, k.unanswered_push_penalty_ms, e);
     }},
    {"finish-status", Kind::kValue, "N", "200",
     "fault: chat/finish statusCode (403, 406, 408, 429, 500, 601, …); non-200 streams "
     "error-after-deltas deltas, then step_end status error and the error finish",
     [](Knobs& k, std::string_view v, std::string& e) {
       return SetInt(v, 0, 999999, k.finish_status, e);
     }},
    {"finish-reason", Kind::kValue, "TEXT", "per status",
     "chat/finish reason; default \"success\" for 200, a fixed text per error status",
     [](Knobs& k, std::string_view v, std::string&) {
       k.finish_reason = v;
       return true;
     }},
    {"error-after-deltas", Kind::kValue, "N", "0",
     "with a non-200 finish-status: deltas streamed before the error finish",
     [](Knobs& k, std::string_view v, std::string& e) {
       return SetInt(v, 0, 1000000, k.error_after_deltas, e);
     }},
    {"hang", Kind::kBool, "", "false",
     "fault: stream the deltas and step_end, never send chat/finish (chat/stop still ends it)",
     [](Knobs& k, std::string_view v, std::string& e) { return SetBool(v, k.hang, e); }},
    {"exit-after-deltas", Kind::kValue, "N", "-1",
     "fault: after N non-empty deltas are written, _exit(3) without removing .info (N >= the "
     "delta count: right before step_end/finish); -1: never",
     [](Knobs& k, std::string_view v, std::string& e) {
       return SetInt(v, -1, 1000000, k.exit_after_deltas, e);
     }},
    {"think", Kind::kBool, "", "false",
     "answer starts with \"\\n````think::{THINK_TIME}\\n<reasoning>\\n````\\n\" (literal "
     "placeholder, also in fullAnswer)",
     [](Knobs& k, std::string_view v, std::string& e) { return SetBool(v, k.think, e); }},
    {"filtered", Kind::kBool, "", "false", "isFiltered:true on every chat/answer",
     [](Knobs& k, std::string_view v, std::string& e) { return SetBool(v, k.filtered, e); }},
    {"overwrite", Kind::kBool, "", "false",
     "after the first delta send a wrong delta, then an overwrite:true delta holding the "
     "correct full text so far",
     [](Knobs& k, std::string_view v, std::string& e) { return SetBool(v, k.overwrite, e); }},
    {"invalid-utf8", Kind::kBool, "", "false",
     "fault: insert ill-formed UTF-8 (bytes FF E4 BD, raw) after the first character of every "
     "non-empty chat/answer text, fullAnswer alike; frames carrying them go out as binary "
     "WebSocket messages",
     [](Knobs& k, std::string_view v, std::string& e) { return SetBool(v, k.invalid_utf8, e); }},
    {"ignore-stop", Kind::kBool, "", "false",
     "chat/stop is answered {} but the turn carries on as if never stopped",
     [](Knobs& k, std::string_view v, std::string& e) { return SetBool(v, k.ignore_stop, e); }},
};

template <typename Table>
auto FindSwitch(const Table& table, std::string_view name) -> decltype(&table[0]) {
  for (const auto& s : table) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string ControlKey(std::string_view switch_name) {
  std::string key(switch_name);
  for (char& c : key) {
    if (c == '-') c = '_';
  }
  return key;
}

// Applies one flag or env value to whichever table knows the name. Returns false with `error`
// set for an unknown name or a bad value.
bool ApplySwitch(Options& options, std::string_view name, std::string_view value,
                 std::string& error) {
  std::string detail;
  if (const auto* s = FindSwitch(kLingmaFlags, name)) {
    if (s->set(options, value, detail)) return true;
  } else if (const auto* s = FindSwitch(kSimSwitches, name)) {
    if (s->set(options, value, detail)) return true;
  } else if (const auto* s = FindSwitch(kKnobSwitches, name)) {
    if (s->set(options.knobs, value, detail)) return true;
  } else {
    error = "unknown switch --" + std::string(name) + " (see --help)";
    return false;
  }
  error = "--" + std::string(name) + ": " + detail;
  return false;
}

std::optional<Kind> SwitchKind(std::string_view name) {
  if (const auto* s = FindSwitch(kLingmaFlags, name)) return s->kind;
  if (const auto* s = FindSwitch(kSimSwitches, name)) return s->kind;
  if (const auto* s = FindSwitch(kKnobSwitches, name)) return s->kind;
  return std::nullopt;
}

bool ApplyEnvironment(const EnvLookup& env, Options& options, std::string& error) {
  auto apply = [&](const auto& table, auto&& set) {
    for (const auto& s : table) {
      const std::string var = EnvName(s.name);
      std::optional<std::string> value = env(var);
      if (!value) continue;
      std::string detail;
      if (!set(s, *value, detail)) {
        error = var + ": " + detail;
        return false;
      }
    }
    return true;
  };
  return apply(kSimSwitches, [&](const GlobalSwitch& s, const std::string& v,
                                 std::string& e) { return s.set(options, v, e); }) &&
         apply(kKnobSwitches, [&](const KnobSwitch& s, const std::string& v, std::string& e) {
           return s.set(options.knobs, v, e);
         });
}

std::string JsonScalarText(const boost::json::value& value, bool& ok) {
  ok = true;
  switch (value.kind()) {
    case boost::json::kind::bool_:
      return value.get_bool() ? "true" : "false";
    case boost::json::kind::int64:
      return std::to_string(value.get_int64());
    case boost::json::kind::uint64:
      return std::to_string(value.get_uint64());
    case boost::json::kind::double_: {
      char digits[64];
      auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value.get_double());
      return std::string(digits, end);
    }
    case boost::json::kind::string:
      return std::string(value.get_string());
    default:
      ok = false;
      return {};
  }
}

// Appends `text` wrapped at 96 columns, every line indented by `indent` spaces.
void AppendWrapped(std::string& out, std::string_view text, std::size_t indent) {
  constexpr std::size_t kWidth = 96;
  std::size_t column = 0;
  while (!text.empty()) {
    const std::size_t space = text.find(' ');
    const std::string_view word = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    if (column > indent && column + 1 + word.size() > kWidth) {
      out.push_back('\n');
      column = 0;
    }
    if (column == 0) {
      out.append(indent, ' ');
      column = indent;
    } else {
      out.push_back(' ');
      ++column;
    }
    out.append(word);
    column += word.size();
  }
  out.push_back('\n');
}

void AppendHelpLine(std::string& out, std::string_view flag, std::string_view hint,
                    std::string_view env, std::string_view default_text, std::string_view help) {
  out.append("  --").append(flag);
  if (!hint.empty()) out.append(" ").append(hint);
  out.push_back('\n');
  std::string text(help);
  text.append(" [default: ").append(default_text.empty() ? "none" : default_text);
  if (!env.empty()) text.append("; env ").append(env);
  text.push_back(']');
  AppendWrapped(out, text, 6);
}

}  // namespace

std::string EnvName(std::string_view switch_name) {
  std::string name = "LINGMA_SIM_";
  for (char c : switch_name) {
    name.push_back(c == '-' ? '_' : (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return name;
}

std::string_view ToString(AuthState state) {
  switch (state) {
    case AuthState::kLoggedIn:
      return "logged_in";
    case AuthState::kLoggedOut:
      return "logged_out";
    case AuthState::kExpired:
      return "expired";
  }
  return "logged_out";
}

std::string_view ToString(StepEndPosition position) {
  return position == StepEndPosition::kBeforeLastDelta ? "before" : "after";
}

bool ParseOptions(const std::vector<std::string>& args, const EnvLookup& env, Options& out,
                  std::string& error) {
  Options options;
  if (!ApplyEnvironment(env, options, error)) return false;

  bool have_command = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h" || arg == "help") {
      out = Options{};
      out.command = Command::kHelp;
      return true;
    }
    if (arg == "-o" || arg == "--output") {
      if (i + 1 >= args.size()) {
        error = std::string(arg) + " needs a value";
        return false;
      }
      options.output = args[++i];
      continue;
    }
    if (arg.starts_with("-o=") || arg.starts_with("--output=")) {
      options.output = arg.substr(arg.find('=') + 1);
      continue;
    }
    if (arg.starts_with("--")) {
      std::string_view body = arg.substr(2);
      if (body == "version") {
        options.command = Command::kVersion;
        have_command = true;
        continue;
      }
      std::string_view name = body;
      std::optional<std::string_view> value;
      if (const std::size_t eq = body.find('='); eq != std::string_view::npos) {
        name = body.substr(0, eq);
        value = body.substr(eq + 1);
      }
      const std::optional<Kind> kind = SwitchKind(name);
      if (!kind) {
        error = "unknown switch --" + std::string(name) + " (see --help)";
        return false;
      }
      if (!value) {
        if (*kind == Kind::kBool) {
          value = "true";
        } else if (i + 1 < args.size()) {
          value = args[++i];
        } else {
          error = "--" + std::string(name) + " needs a value";
          return false;
        }
      }
      if (!ApplySwitch(options, name, *value, error)) return false;
      continue;
    }
    if (have_command) {
      error = "unexpected argument '" + std::string(arg) + "'";
      return false;
    }
    if (arg == "start") {
      options.command = Command::kStart;
    } else if (arg == "version") {
      options.command = Command::kVersion;
    } else if (arg == "status") {
      options.command = Command::kStatus;
    } else {
      error = "unknown command '" + std::string(arg) + "' (expected start, version or status)";
      return false;
    }
    have_command = true;
  }
  if (!have_command) {
    error = "no command given (expected start, version or status)";
    return false;
  }
  if ((options.command == Command::kStart || options.command == Command::kStatus) &&
      options.work_dir.empty()) {
    error = "--workDir is required";
    return false;
  }
  if (options.command == Command::kStatus && !options.output.empty() && options.output != "json") {
    error = "-o: only json is supported";
    return false;
  }
  out = std::move(options);
  return true;
}

Knobs ApplyControl(const Knobs& base, std::string_view json_text,
                   std::vector<std::string>& warnings) {
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(json_text, ec);
  if (ec) {
    warnings.push_back("control file: invalid JSON (" + ec.message() + "); using flag values");
    return base;
  }
  if (!doc.is_object()) {
    warnings.push_back("control file: not a JSON object; using flag values");
    return base;
  }
  Knobs knobs = base;
  for (const auto& [key, value] : doc.get_object()) {
    const KnobSwitch* found = nullptr;
    for (const auto& s : kKnobSwitches) {
      if (ControlKey(s.name) == std::string_view(key)) found = &s;
    }
    if (found == nullptr) {
      warnings.push_back("control file: unknown key '" + std::string(key) + "' ignored");
      continue;
    }
    if (value.is_null()) continue;  // null: keep the flag value
    bool ok = false;
    const std::string text = JsonScalarText(value, ok);
    std::string detail;
    if (!ok) {
      detail = "expected a string, number or boolean";
    } else {
      Knobs candidate = knobs;
      if (found->set(candidate, text, detail)) {
        knobs = std::move(candidate);
        continue;
      }
    }
    warnings.push_back("control file: key '" + std::string(key) + "': " + detail + "; ignored");
  }
  return knobs;
}

std::string HelpText() {
  std::string out =
      "lingma-sim: a simulator of Tongyi Lingma's local language server (tests and benchmarks)\n"
      "\n"
      "usage:\n"
      "  lingma-sim start --workDir DIR [--socketPort N] [--httpPort N] [switches]\n"
      "  lingma-sim version\n"
      "  lingma-sim status -o json --workDir DIR\n"
      "  lingma-sim --help\n"
      "\n"
      "Switches are set by flag (--name value, --name=value; a bare boolean flag means true) or\n"
      "by environment variable (LINGMA_SIM_NAME); flags win over the environment. Booleans\n"
      "accept true/false/1/0/yes/no/on/off.\n"
      "\n"
      "Lingma's own flags:\n";
  for (const auto& s : kLingmaFlags) {
    AppendHelpLine(out, s.name, s.value_hint, "", s.default_text, s.help);
  }
  out.append("\nSimulator switches (start-up only):\n");
  for (const auto& s : kSimSwitches) {
    AppendHelpLine(out, s.name, s.value_hint, EnvName(s.name), s.default_text, s.help);
  }
  out.append(
      "\nKnobs (also keys of the --control file, spelled with '_' for '-', e.g.\n"
      "{\"finish_status\":429,\"finish_reason\":\"rate limited\",\"delta_delay_ms\":5}):\n");
  for (const auto& s : kKnobSwitches) {
    AppendHelpLine(out, s.name, s.value_hint, EnvName(s.name), s.default_text, s.help);
  }
  out.append(
      "\nFiles: <workDir>/.info or .info.json (removed on clean exit: SIGINT, SIGTERM, `exit`),\n"
      "<workDir>/sim-stats.json (counters, written on exit; live via the sim/stats request).\n"
      "Exit codes: 0 clean, 2 bad command line, 1 start-up failure, 3 exit-after-deltas crash.\n");
  return out;
}

}  // namespace sim
