// The settings table and the loading of defaults, .env, environment and flags into a Config.
#include "app/config.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <system_error>

#include "text/ascii.hpp"

namespace app {
namespace {

using std::chrono::milliseconds;

struct Setting;

// One value of one setting as written by the operator, with where it was written, so that every
// error can point at the exact flag, variable or .env line.
struct Input {
  const Setting& setting;
  std::string text;
  std::string source;  // "flag --port", "environment variable PORT", "line 3 of .env"

  [[noreturn]] void Fail(std::string_view problem) const;
  std::string_view Trimmed() const;
  long long Integer(long long min, long long max) const;
  bool Boolean() const;
  milliseconds Seconds(bool allow_zero) const;
  milliseconds Millis(long long min, long long max) const;
  double Number(double min, double max) const;
  std::string Choice(std::initializer_list<std::string_view> choices) const;
  std::string NonEmpty() const;
};

struct Setting {
  std::string_view key;      // the environment name; the flag is derived from it
  std::string_view group;    // heading in --help and .env.example
  std::string_view metavar;  // placeholder for the value in --help
  std::string_view help;     // one line
  void (*apply)(Config&, const Input&);
  std::string (*format)(const Config&);
  // Shown instead of format(Config{}) when the real default is computed at load time.
  std::string_view default_text = {};
  bool is_bool = false;     // the bare flag means true
  bool is_path = false;     // a leading ~/ or $HOME resolves against HOME
  bool secret = false;      // never echoed in errors or Describe
  bool in_env_file = true;  // false: choosing the .env file from inside it cannot work
};

constexpr std::string_view kGroupHttp = "HTTP server";
constexpr std::string_view kGroupLingma = "Lingma processes";
constexpr std::string_view kGroupTimeouts = "Timeouts";
constexpr std::string_view kGroupChat = "Chat defaults";
constexpr std::string_view kGroupTesting = "Testing";
constexpr std::string_view kGroupConfig = "Configuration";

constexpr long long kMaxPort = 65535;
constexpr long long kMaxBusyPollUs = 100000;  // a tenth of a second: beyond that, plainly a mistake
constexpr long long kMaxPoolSize = 64;
constexpr double kMaxSeconds = 1e6;  // ~11 days; far beyond any sane timeout, safe from overflow
constexpr long long kMaxMillis = 3'600'000;
constexpr std::size_t kHelpFlagColumn = 39;  // where the env name and default start
constexpr std::string_view kDefaultWorkDirText = "~/.cache/lingma-gateway";

// Shortest text that reads back as the same number ("0", "2.5", "1000000").
std::string FormatNumber(double value) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, ec == std::errc() ? end : buffer);
}

std::string FormatMillisAsSeconds(milliseconds value) {
  if (value.count() % 1000 == 0) return std::to_string(value.count() / 1000);
  char buffer[32];
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, static_cast<double>(value.count()) / 1000.0);
  return std::string(buffer, result.ptr);
}

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string_view TrimView(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

using ascii::Lower;

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> items;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = TrimView(text.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

// Resolves a leading ~ or $HOME (also ${HOME}) against `home`; any other text is returned as is.
// nullopt: the text needs HOME but there is none.
std::optional<std::string> ExpandHome(const std::string& text, std::string_view home) {
  std::size_t prefix = 0;
  for (std::string_view candidate : {"~", "${HOME}", "$HOME"}) {
    if (text.starts_with(candidate) &&
        (text.size() == candidate.size() || text[candidate.size()] == '/')) {
      prefix = candidate.size();
      break;
    }
  }
  if (prefix == 0) return text;
  if (home.empty()) return std::nullopt;
  while (home.size() > 1 && home.back() == '/') home.remove_suffix(1);
  std::string rest = text.substr(prefix);
  if (home == "/" && !rest.empty()) return rest;
  return std::string(home) + rest;
}

std::string DefaultWorkDir(std::string_view home) {
  if (home.empty()) return "/tmp/lingma-gateway-" + std::to_string(::getuid());
  return *ExpandHome(std::string(kDefaultWorkDirText), home);
}

std::string FlagName(std::string_view key) {
  std::string flag = "--" + Lower(key);
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

// The table. Order matters: it is the order of --help, .env.example and Describe.
constexpr Setting kSettings[] = {
    {.key = "HOST",
     .group = kGroupHttp,
     .metavar = "HOST",
     .help = "Address to listen on; anything but loopback exposes the gateway, so set API_KEYS.",
     .apply = [](Config& c, const Input& in) { c.host = in.NonEmpty(); },
     .format = [](const Config& c) { return c.host; }},
    {.key = "PORT",
     .group = kGroupHttp,
     .metavar = "PORT",
     .help = "TCP port to listen on; 0 = any free port (the gateway logs the one it got).",
     .apply = [](Config& c,
                 const Input& in) { c.port = static_cast<int>(in.Integer(0, kMaxPort)); },
     .format = [](const Config& c) { return std::to_string(c.port); }},
    {.key = "API_KEYS",
     .group = kGroupHttp,
     .metavar = "KEYS",
     .help = "Comma-separated keys clients must send (Bearer or x-api-key); empty = no auth.",
     .apply = [](Config& c, const Input& in) { c.api_keys = SplitList(in.text); },
     .format = [](const Config& c) { return Join(c.api_keys, ","); },
     .secret = true},
    {.key = "ADMIN_API_KEY",
     .group = kGroupHttp,
     .metavar = "KEY",
     .help = "Key for /internal/* (stats, login) from non-loopback peers; empty = loopback only.",
     .apply = [](Config& c, const Input& in) { c.admin_api_key = std::string(in.Trimmed()); },
     .format = [](const Config& c) { return c.admin_api_key; },
     .secret = true},
    {.key = "LOG_LEVEL",
     .group = kGroupHttp,
     .metavar = "LEVEL",
     .help = "Least severe level that is logged (JSON lines on stderr): debug|info|warn|error.",
     .apply =
         [](Config& c, const Input& in) {
           c.log_level = in.Choice({"debug", "info", "warn", "error"});
         },
     .format = [](const Config& c) { return c.log_level; }},

    {.key = "MAX_BODY_BYTES",
     .group = kGroupHttp,
     .metavar = "BYTES",
     .help = "Largest request body accepted; larger ones get 413.",
     .apply =
         [](Config& c, const Input& in) {
           c.max_body_bytes = static_cast<std::size_t>(in.Integer(1024, 1024LL * 1024 * 1024));
         },
     .format = [](const Config& c) { return std::to_string(c.max_body_bytes); }},
    {.key = "CORS_ALLOW_ORIGINS",
     .group = kGroupHttp,
     .metavar = "ORIGINS",
     .help = "Comma-separated origins browser clients may call from; * = any; empty = no CORS.",
     .apply = [](Config& c, const Input& in) { c.cors_allow_origins = SplitList(in.text); },
     .format = [](const Config& c) { return Join(c.cors_allow_origins, ","); }},
    {.key = "SSE_KEEPALIVE_INTERVAL",
     .group = kGroupHttp,
     .metavar = "SECONDS",
     .help = "Keep-alive comment on a stream after this much silence from Lingma; 0 = off.",
     .apply = [](Config& c, const Input& in) { c.sse_keepalive_interval = in.Seconds(true); },
     .format = [](const Config& c) { return FormatMillisAsSeconds(c.sse_keepalive_interval); }},

    {.key = "SHUTDOWN_GRACE",
     .group = kGroupHttp,
     .metavar = "SECONDS",
     .help = "On SIGTERM/SIGINT, how long open requests may finish before they are cut off.",
     .apply = [](Config& c, const Input& in) { c.shutdown_grace = in.Seconds(true); },
     .format = [](const Config& c) { return FormatMillisAsSeconds(c.shutdown_grace); }},
    {.key = "BUSY_POLL_US",
     .group = kGroupHttp,
     .metavar = "MICROSECONDS",
     .help = "Poll this long for more work before sleeping: lower latency for CPU; 0 = off.",
     .apply =
         [](Config& c, const Input& in) {
           c.busy_poll = std::chrono::microseconds(in.Integer(0, kMaxBusyPollUs));
         },
     .format = [](const Config& c) { return std::to_string(c.busy_poll.count()); }},

    {.key = "LINGMA_MODE",
     .group = kGroupLingma,
     .metavar = "MODE",
     .help = "spawn = start and supervise our own Lingma processes; attach = use one that runs.",
     .apply =
         [](Config& c, const Input& in) {
           c.lingma_mode =
               in.Choice({"spawn", "attach"}) == "spawn" ? LingmaMode::kSpawn : LingmaMode::kAttach;
         },
     .format =
         [](const Config& c) {
           return std::string(c.lingma_mode == LingmaMode::kSpawn ? "spawn" : "attach");
         }},
    {.key = "LINGMA_BIN",
     .group = kGroupLingma,
     .metavar = "PATH",
     .help = "The Lingma executable; empty = search the standard install locations.",
     .apply = [](Config& c, const Input& in) { c.lingma_bin = in.text; },
     .format = [](const Config& c) { return c.lingma_bin; },
     .is_path = true},
    {.key = "LINGMA_WORK_DIR",
     .group = kGroupLingma,
     .metavar = "DIR",
     .help = "Instance N runs in DIR/inst-N; attach mode: where the running Lingma's .info is.",
     .apply = [](Config& c, const Input& in) { c.work_dir = in.text; },
     .format = [](const Config& c) { return c.work_dir; },
     .default_text = kDefaultWorkDirText,
     .is_path = true},
    {.key = "LINGMA_SOCKET_PORT",
     .group = kGroupLingma,
     .metavar = "PORT",
     .help = "spawn: first WebSocket port (instance N: +N; 0 = any); attach: Lingma's (0 = from "
             ".info).",
     .apply = [](Config& c,
                 const Input& in) { c.socket_port = static_cast<int>(in.Integer(0, kMaxPort)); },
     .format = [](const Config& c) { return std::to_string(c.socket_port); }},
    {.key = "LINGMA_POOL_SIZE",
     .group = kGroupLingma,
     .metavar = "N",
     .help = "How many Lingma processes serve requests (1..64; attach mode: 1).",
     .apply = [](Config& c,
                 const Input& in) { c.pool_size = static_cast<int>(in.Integer(1, kMaxPoolSize)); },
     .format = [](const Config& c) { return std::to_string(c.pool_size); }},

    {.key = "LINGMA_MAX_TURNS_PER_INSTANCE",
     .group = kGroupLingma,
     .metavar = "N",
     .help = "Chat turns one Lingma process runs at once; more wait for a slot.",
     .apply =
         [](Config& c, const Input& in) {
           c.max_turns_per_instance = static_cast<int>(in.Integer(1, 100000));
         },
     .format = [](const Config& c) { return std::to_string(c.max_turns_per_instance); }},
    {.key = "LINGMA_TURN_BUFFER",
     .group = kGroupLingma,
     .metavar = "N",
     .help = "Lingma pushes held per turn for a slow reader; beyond it the stream is cut.",
     .apply = [](Config& c,
                 const Input& in) { c.turn_buffer = static_cast<int>(in.Integer(16, 1000000)); },
     .format = [](const Config& c) { return std::to_string(c.turn_buffer); }},
    {.key = "LINGMA_ACQUIRE_TIMEOUT",
     .group = kGroupLingma,
     .metavar = "SECONDS",
     .help = "How long a request waits for a free turn slot before a 503 with Retry-After.",
     .apply = [](Config& c, const Input& in) { c.acquire_timeout = in.Seconds(false); },
     .format = [](const Config& c) { return FormatMillisAsSeconds(c.acquire_timeout); }},

    {.key = "LINGMA_MAX_WAITING",
     .group = kGroupLingma,
     .metavar = "N",
     .help = "Requests that may wait for a turn slot at once; more get 503 at once.",
     .apply = [](Config& c,
                 const Input& in) { c.max_waiting = static_cast<int>(in.Integer(0, 1000000)); },
     .format = [](const Config& c) { return std::to_string(c.max_waiting); }},
    {.key = "MAX_CONCURRENT_PER_KEY",
     .group = kGroupLingma,
     .metavar = "N",
     .help = "Chat requests one API key may have open at once (429 beyond); 0 = unlimited.",
     .apply =
         [](Config& c, const Input& in) {
           c.max_concurrent_per_key = static_cast<int>(in.Integer(0, 1000000));
         },
     .format = [](const Config& c) { return std::to_string(c.max_concurrent_per_key); }},
    {.key = "RATE_LIMIT_RPS",
     .group = kGroupLingma,
     .metavar = "N",
     .help = "Sustained chat requests per second per API key (429 beyond); 0 = unlimited.",
     .apply = [](Config& c, const Input& in) { c.rate_limit_rps = in.Number(0, 1e6); },
     .format = [](const Config& c) { return FormatNumber(c.rate_limit_rps); }},
    {.key = "RATE_LIMIT_BURST",
     .group = kGroupLingma,
     .metavar = "N",
     .help = "Requests a key may send at once above the rate; 0 = max(1, RATE_LIMIT_RPS).",
     .apply = [](Config& c, const Input& in) { c.rate_limit_burst = in.Number(0, 1e6); },
     .format = [](const Config& c) { return FormatNumber(c.rate_limit_burst); }},

    {.key = "LINGMA_STARTUP_TIMEOUT",
     .group = kGroupTimeouts,
     .metavar = "SECONDS",
     .help = "How long a Lingma process may take to start and accept its connection.",
     .apply = [](Config& c, const Input& in) { c.startup_timeout = in.Seconds(false); },
     .format = [](const Config& c) { return FormatMillisAsSeconds(c.startup_timeout); }},
    {.key = "LINGMA_RPC_TIMEOUT",
     .group = kGroupTimeouts,
     .metavar = "SECONDS",
     .help = "Deadline for one JSON-RPC request to Lingma.",
     .apply = [](Config& c, const Input& in) { c.rpc_timeout = in.Seconds(false); },
     .format = [](const Config& c) { return FormatMillisAsSeconds(c.rpc_timeout); }},
    {.key = "LINGMA_CHAT_IDLE_TIMEOUT",
     .group = kGroupTimeouts,
     .metavar = "SECONDS",
     .help = "Longest silence from Lingma during a chat turn before the turn fails.",
     .apply = [](Config& c, const Input& in) { c.chat_idle_timeout = in.Seconds(false); },
     .format = [](const Config& c) { return FormatMillisAsSeconds(c.chat_idle_timeout); }},
    {.key = "HTTP_READ_TIMEOUT",
     .group = kGroupTimeouts,
     .metavar = "SECONDS",
     .help = "Deadline for receiving a whole request (headers and body); slower clients are cut.",
     .apply = [](Config& c, const Input& in) { c.http_read_timeout = in.Seconds(false); },
     .format = [](const Config& c) { return FormatMillisAsSeconds(c.http_read_timeout); }},
    {.key = "HTTP_IDLE_TIMEOUT",
     .group = kGroupTimeouts,
     .metavar = "SECONDS",
     .help = "How long an idle keep-alive connection waits for its next request.",
     .apply = [](Config& c, const Input& in) { c.http_idle_timeout = in.Seconds(false); },
     .format = [](const Config& c) { return FormatMillisAsSeconds(c.http_idle_timeout); }},
    {.key = "HTTP_WRITE_TIMEOUT",
     .group = kGroupTimeouts,
     .metavar = "SECONDS",
     .help = "Longest a client may leave the response unread before the connection is cut.",
     .apply = [](Config& c, const Input& in) { c.http_write_timeout = in.Seconds(false); },
     .format = [](const Config& c) { return FormatMillisAsSeconds(c.http_write_timeout); }},
    {.key = "LINGMA_HEARTBEAT_INTERVAL",
     .group = kGroupTimeouts,
     .metavar = "SECONDS",
     .help = "Health-check period of an idle Lingma connection; 0 = off.",
     .apply = [](Config& c, const Input& in) { c.heartbeat_interval = in.Seconds(true); },
     .format = [](const Config& c) { return FormatMillisAsSeconds(c.heartbeat_interval); }},
    {.key = "LINGMA_RECONNECT_INITIAL_MS",
     .group = kGroupTimeouts,
     .metavar = "MS",
     .help = "First delay before reconnecting to a lost Lingma; it doubles on each failure.",
     .apply = [](Config& c, const Input& in) { c.reconnect_initial = in.Millis(1, kMaxMillis); },
     .format = [](const Config& c) { return std::to_string(c.reconnect_initial.count()); }},
    {.key = "LINGMA_RECONNECT_MAX_MS",
     .group = kGroupTimeouts,
     .metavar = "MS",
     .help = "Upper bound of the reconnect delay.",
     .apply = [](Config& c, const Input& in) { c.reconnect_max = in.Millis(1, kMaxMillis); },
     .format = [](const Config& c) { return std::to_string(c.reconnect_max.count()); }},

    {.key = "DEFAULT_MODEL",
     .group = kGroupChat,
     .metavar = "MODEL",
     .help = "Lingma model for requests that do not name one; auto = Lingma chooses.",
     .apply = [](Config& c, const Input& in) { c.default_model = in.NonEmpty(); },
     .format = [](const Config& c) { return c.default_model; }},
    {.key = "SESSION_REUSE_ENABLED",
     .group = kGroupChat,
     .metavar = "BOOL",
     .help = "Continue a conversation's Lingma session: later turns send only the new message.",
     .apply = [](Config& c, const Input& in) { c.session_reuse = in.Boolean(); },
     .format = [](const Config& c) { return std::string(c.session_reuse ? "true" : "false"); },
     .is_bool = true},
    {.key = "SESSION_CACHE_MAX_ENTRIES",
     .group = kGroupChat,
     .metavar = "N",
     .help = "Conversations remembered for session reuse; the least recently used go first.",
     .apply =
         [](Config& c, const Input& in) {
           c.session_cache_max_entries = static_cast<int>(in.Integer(1, 10000000));
         },
     .format = [](const Config& c) { return std::to_string(c.session_cache_max_entries); }},
    {.key = "SESSION_CACHE_TTL_SEC",
     .group = kGroupChat,
     .metavar = "SECONDS",
     .help = "Idle time after which a conversation's Lingma session is forgotten and deleted.",
     .apply =
         [](Config& c, const Input& in) {
           c.session_cache_ttl = std::chrono::seconds(in.Integer(1, 30LL * 24 * 3600));
         },
     .format = [](const Config& c) { return std::to_string(c.session_cache_ttl.count()); }},
    {.key = "DEFAULT_ASK_MODE",
     .group = kGroupChat,
     .metavar = "MODE",
     .help = "Lingma ask mode: chat. (agent mode needs an IDE to run its tools; it is refused.)",
     .apply =
         [](Config& c, const Input& in) {
           if (Lower(in.Trimmed()) == "agent") {
             in.Fail(
                 "agent mode makes Lingma ask its IDE to run tools (edit files, run commands) "
                 "and wait for the results; the gateway is no IDE and cannot run them, so the "
                 "turn would hang. Use chat");
           }
           c.default_ask_mode = in.Choice({"chat"});
         },
     .format = [](const Config& c) { return c.default_ask_mode; }},

    {.key = "SIMULATOR",
     .group = kGroupTesting,
     .metavar = "BOOL",
     .help = "Run the bundled lingma-sim instead of Lingma (tests, demos, benchmarks).",
     .apply = [](Config& c, const Input& in) { c.simulator = in.Boolean(); },
     .format = [](const Config& c) { return std::string(c.simulator ? "true" : "false"); },
     .is_bool = true},
    {.key = "LINGMA_SIM_BIN",
     .group = kGroupTesting,
     .metavar = "PATH",
     .help = "The lingma-sim executable; empty = the one next to the gateway executable.",
     .apply = [](Config& c, const Input& in) { c.simulator_bin = in.text; },
     .format = [](const Config& c) { return c.simulator_bin; },
     .is_path = true},

    {.key = "ENV_FILE",
     .group = kGroupConfig,
     .metavar = "FILE",
     .help = "The .env file to read (\"\" = none); only as a flag or environment variable.",
     .apply = [](Config& c, const Input& in) { c.env_file = in.text; },
     .format = [](const Config& c) { return c.env_file; },
     .is_path = true,
     .in_env_file = false},
};

const Setting* FindByKey(std::string_view key) {
  for (const Setting& s : kSettings) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

const Setting* FindByFlag(std::string_view flag) {
  for (const Setting& s : kSettings) {
    if (FlagName(s.key) == flag) return &s;
  }
  return nullptr;
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The known name closest to a mistyped one, for "did you mean" hints: a small edit distance, or
// the typed name is the tail of a known one (--work-dir for --lingma-work-dir).
std::optional<std::string> ClosestName(std::string_view typed, bool as_flag) {
  const std::string want = Lower(typed);
  const std::string tail = as_flag && want.starts_with("--") ? want.substr(2) : want;
  std::size_t best_distance = want.size() > 8 ? 4 : 3;  // suggest nothing further away
  std::optional<std::string> best;
  for (const Setting& s : kSettings) {
    const std::string name = as_flag ? FlagName(s.key) : std::string(s.key);
    const std::string lowered = Lower(name);
    std::size_t distance = EditDistance(want, lowered);
    if (tail.size() >= 3 && lowered.size() > tail.size() && lowered.ends_with(tail)) {
      const char before = lowered[lowered.size() - tail.size() - 1];
      if (before == '-' || before == '_') distance = std::min<std::size_t>(distance, 1);
    }
    if (distance < best_distance) {
      best_distance = distance;
      best = name;
    }
  }
  return best;
}

std::string DidYouMean(std::string_view typed, bool as_flag) {
  const std::optional<std::string> closest = ClosestName(typed, as_flag);
  return closest ? " (did you mean " + *closest + "?)" : std::string();
}

std::string Quoted(std::string_view value) {
  constexpr std::size_t kMaxShown = 80;
  std::string out = "'";
  out += value.substr(0, kMaxShown);
  if (value.size() > kMaxShown) out += "...";
  out += "'";
  return out;
}

void Input::Fail(std::string_view problem) const {
  std::string message = "invalid value ";
  if (!setting.secret) message += Quoted(text) + " ";
  message += "for ";
  message += setting.key;
  message += " (" + source + "): ";
  message += problem;
  throw ConfigError(message);
}

std::string_view Input::Trimmed() const { return TrimView(text); }

long long Input::Integer(long long min, long long max) const {
  const std::string_view t = Trimmed();
  long long value = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || value < min || value > max) {
    Fail("expected an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

bool Input::Boolean() const {
  const std::string t = Lower(Trimmed());
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  Fail("expected true or false (also 1/0, yes/no, on/off)");
}

milliseconds Input::Seconds(bool allow_zero) const {
  const std::string_view t = Trimmed();
  double value = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  const std::string expected = allow_zero ? "expected seconds (0 = off, or e.g. 30 or 2.5)"
                                          : "expected seconds greater than 0 (e.g. 30 or 2.5)";
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || !std::isfinite(value) ||
      value < 0 || (value == 0 && !allow_zero)) {
    Fail(expected);
  }
  if (value > kMaxSeconds) Fail("at most 1000000 seconds");
  const auto ms = static_cast<long long>(std::llround(value * 1000.0));
  if (ms == 0 && value > 0) Fail("at least 0.001 (one millisecond)");
  return milliseconds(ms);
}

double Input::Number(double min, double max) const {
  const std::string_view t = Trimmed();
  double value = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || !std::isfinite(value) ||
      value < min || value > max) {
    Fail("expected a number from " + FormatNumber(min) + " to " + FormatNumber(max));
  }
  return value;
}

milliseconds Input::Millis(long long min, long long max) const {
  return milliseconds(Integer(min, max));
}

std::string Input::Choice(std::initializer_list<std::string_view> choices) const {
  std::string t = Lower(Trimmed());
  std::string listed;
  for (std::string_view choice : choices) {
    if (t == choice) return t;
    if (!listed.empty()) listed += ", ";
    listed += choice;
  }
  Fail(choices.size() == 1 ? "the only supported value is " + listed : "expected one of " + listed);
}

std::string Input::NonEmpty() const {
  if (Trimmed().empty()) Fail("must not be empty");
  return text;
}

// ---- .env ----

struct EnvFileLine {
  std::string key;
  std::string value;
  int line = 0;
};

bool IsEnvKey(std::string_view key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Parses KEY=VALUE lines. Values are never echoed in errors: a malformed line may hold a key.
std::vector<EnvFileLine> ParseEnvFile(std::string_view text, const std::string& path) {
  std::vector<EnvFileLine> entries;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // editors on Windows add a BOM
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    const auto fail = [&](std::string_view problem) {
      throw ConfigError("line " + std::to_string(line_number) + " of " + path + ": " +
                        std::string(problem));
    };

    if (line.ends_with('\r')) line.remove_suffix(1);
    line = TrimView(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export ") || line.starts_with("export\t")) {
      line = TrimView(line.substr(7));
    }
    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) fail("expected KEY=VALUE");
    const std::string_view key = TrimView(line.substr(0, equals));
    if (!IsEnvKey(key)) fail("expected KEY=VALUE where KEY is letters, digits and '_'");

    const std::string_view raw = line.substr(equals + 1);
    std::string_view rest = raw;
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    std::string value;
    if (!rest.empty() && (rest.front() == '"' || rest.front() == '\'')) {
      const char quote = rest.front();
      std::size_t i = 1;
      bool closed = false;
      for (; i < rest.size(); ++i) {
        const char c = rest[i];
        if (c == quote) {
          closed = true;
          break;
        }
        if (quote == '"' && c == '\\' && i + 1 < rest.size()) {
          const char next = rest[i + 1];
          switch (next) {
            case 'n':
              value += '\n';
              break;
            case 'r':
              value += '\r';
              break;
            case 't':
              value += '\t';
              break;
            case '"':
              value += '"';
              break;
            case '\\':
              value += '\\';
              break;
            default:  // unknown escapes stay literal, so C:\dir survives
              value += '\\';
              value += next;
              break;
          }
          ++i;
          continue;
        }
        value += c;
      }
      if (!closed) {
        fail(quote == '"' ? "missing closing \" (values cannot span lines; use \\n)"
                          : "missing closing '");
      }
      const std::string_view after = TrimView(rest.substr(i + 1));
      if (!after.empty() && after.front() != '#') {
        fail("unexpected text after the closing quote");
      }
    } else {
      // A '#' starts a comment only after whitespace, so values like abc#123 stay whole.
      std::size_t comment = std::string_view::npos;
      for (std::size_t i = 1; i < raw.size(); ++i) {
        if (raw[i] == '#' && (raw[i - 1] == ' ' || raw[i - 1] == '\t')) {
          comment = i;
          break;
        }
      }
      value = std::string(TrimView(raw.substr(0, comment)));
    }
    entries.push_back({std::string(key), std::move(value), line_number});
  }
  return entries;
}

// ---- flags ----

struct RawValue {
  std::string text;
  std::string source;
};

struct FlagScan {
  std::vector<std::pair<const Setting*, RawValue>> values;  // in command-line order
  bool show_help = false;
  bool show_version = false;
  std::optional<std::string> error;  // the first problem; reported unless help/version wins
};

FlagScan ScanFlags(int argc, const char* const* argv) {
  FlagScan scan;
  const auto fail = [&scan](std::string message) {
    if (!scan.error) scan.error = std::move(message);
  };
  const Setting* previous_bool = nullptr;  // for the "--simulator false" hint
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i] == nullptr ? std::string_view() : argv[i];
    const Setting* was_bool = previous_bool;
    previous_bool = nullptr;
    if (arg == "-h" || arg == "--help") {
      scan.show_help = true;
      continue;
    }
    if (arg == "-V" || arg == "--version") {
      scan.show_version = true;
      continue;
    }
    if (!arg.starts_with("-") || arg == "-" || arg == "--") {
      std::string message = "unexpected argument " + Quoted(arg) + ": only flags are accepted";
      if (was_bool != nullptr) {
        message += "; a boolean flag takes its value only after '=', as in " +
                   FlagName(was_bool->key) + "=" + std::string(arg);
      }
      fail(message + "; see --help");
      continue;
    }
    const std::size_t equals = arg.find('=');
    const std::string_view flag = arg.substr(0, equals);
    const Setting* setting = arg.starts_with("--") ? FindByFlag(flag) : nullptr;
    if (setting == nullptr) {
      fail("unknown flag " + std::string(flag) + DidYouMean(flag, /*as_flag=*/true) +
           "; see --help");
      continue;
    }
    RawValue raw{.text = {}, .source = "flag " + std::string(flag)};
    if (equals != std::string_view::npos) {
      raw.text = std::string(arg.substr(equals + 1));
    } else if (setting->is_bool) {
      raw.text = "true";
      previous_bool = setting;
    } else if (i + 1 < argc && argv[i + 1] != nullptr &&
               !std::string_view(argv[i + 1]).starts_with("--")) {
      raw.text = argv[++i];
    } else {
      fail("flag " + std::string(flag) + " needs a value: " + std::string(flag) + " " +
           std::string(setting->metavar) + " or " + std::string(flag) + "=" +
           std::string(setting->metavar));
      continue;
    }
    scan.values.emplace_back(setting, std::move(raw));
  }
  return scan;
}

bool IsLoopback(std::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

std::string ApiKeyCount(std::size_t count) {
  if (count == 0) return "none";
  return std::to_string(count) + (count == 1 ? " key" : " keys");
}

std::string DefaultText(const Setting& s) {
  if (!s.default_text.empty()) return std::string(s.default_text);
  return s.format(Config{});
}

}  // namespace

LoadResult LoadConfig(int argc, const char* const* argv,
                      const std::map<std::string, std::string>& env, const ReadFileFn& read_file) {
  LoadResult result;
  const auto home_it = env.find("HOME");
  const std::string home = home_it == env.end() ? std::string() : home_it->second;
  result.config.work_dir = DefaultWorkDir(home);

  FlagScan flags = ScanFlags(argc, argv);
  result.show_help = flags.show_help;
  result.show_version = flags.show_version;
  if (result.show_help || result.show_version) return result;
  if (flags.error) throw ConfigError(*flags.error);

  // key -> the value that wins, filled from the weakest source to the strongest.
  std::map<std::string_view, RawValue> values;
  const auto env_raw = [&env](const Setting& s) -> std::optional<RawValue> {
    const auto it = env.find(std::string(s.key));
    if (it == env.end()) return std::nullopt;
    return RawValue{.text = it->second, .source = "environment variable " + std::string(s.key)};
  };
  const auto make_input = [&home](const Setting& s, const RawValue& raw) {
    Input in{.setting = s, .text = raw.text, .source = raw.source};
    if (s.is_path) {
      std::optional<std::string> expanded = ExpandHome(raw.text, home);
      if (!expanded) in.Fail("it starts with ~ or $HOME, but HOME is not set");
      in.text = std::move(*expanded);
    }
    return in;
  };

  // The .env file has to be chosen before it can be read, from the stronger sources alone.
  const Setting& env_file_setting = *FindByKey("ENV_FILE");
  std::optional<RawValue> env_file_raw = env_raw(env_file_setting);
  for (const auto& [setting, raw] : flags.values) {
    if (setting == &env_file_setting) env_file_raw = raw;
  }
  std::string env_file = result.config.env_file;
  if (env_file_raw) env_file = make_input(env_file_setting, *env_file_raw).text;
  if (!env_file.empty()) {
    std::optional<std::string> text = read_file(env_file);
    // The default .env is optional; a file the operator named explicitly is not.
    if (!text && env_file_raw) make_input(env_file_setting, *env_file_raw).Fail("no such file");
    if (text) {
      for (EnvFileLine& entry : ParseEnvFile(*text, env_file)) {
        const std::string where = "line " + std::to_string(entry.line) + " of " + env_file;
        const Setting* setting = FindByKey(entry.key);
        if (setting == nullptr) {
          result.warnings.push_back(where + ": unknown setting " + entry.key + " ignored" +
                                    DidYouMean(entry.key, /*as_flag=*/false));
        } else if (!setting->in_env_file) {
          result.warnings.push_back(where + ": " + entry.key +
                                    " has no effect inside the .env file; set it in the "
                                    "environment or with " +
                                    FlagName(entry.key));
        } else {
          values[setting->key] = RawValue{.text = std::move(entry.value), .source = where};
        }
      }
    }
  }
  for (const Setting& s : kSettings) {
    if (std::optional<RawValue> raw = env_raw(s)) values[s.key] = std::move(*raw);
  }
  for (auto& [setting, raw] : flags.values) values[setting->key] = std::move(raw);

  Config& config = result.config;
  for (const Setting& s : kSettings) {
    const auto it = values.find(s.key);
    if (it != values.end()) s.apply(config, make_input(s, it->second));
  }
  if (config.work_dir.empty()) config.work_dir = DefaultWorkDir(home);

  // Checks that involve more than one setting name every setting involved and its source.
  const auto origin = [&values](std::string_view key) {
    const auto it = values.find(key);
    return std::string(key) + (it == values.end() ? " (default)" : " (" + it->second.source + ")");
  };
  if (config.reconnect_max < config.reconnect_initial) {
    throw ConfigError(origin("LINGMA_RECONNECT_MAX_MS") + " is " +
                      std::to_string(config.reconnect_max.count()) + " ms, below " +
                      origin("LINGMA_RECONNECT_INITIAL_MS") + " of " +
                      std::to_string(config.reconnect_initial.count()) + " ms");
  }
  if (config.lingma_mode == LingmaMode::kAttach && config.pool_size != 1) {
    throw ConfigError(origin("LINGMA_POOL_SIZE") + " is " + std::to_string(config.pool_size) +
                      ", but " + origin("LINGMA_MODE") +
                      " is attach, which uses the one Lingma that already runs; set "
                      "LINGMA_POOL_SIZE=1 or LINGMA_MODE=spawn");
  }
  if (config.lingma_mode == LingmaMode::kSpawn && config.socket_port != 0 &&
      config.socket_port + config.pool_size - 1 > kMaxPort) {
    throw ConfigError(origin("LINGMA_SOCKET_PORT") + " " + std::to_string(config.socket_port) +
                      " plus " + origin("LINGMA_POOL_SIZE") + " " +
                      std::to_string(config.pool_size) + " instances runs past port 65535");
  }
  if (!IsLoopback(config.host) && config.api_keys.empty()) {
    result.warnings.push_back("HOST=" + config.host +
                              " accepts connections from other machines and API_KEYS is empty: "
                              "anyone who reaches the port can use this Lingma account");
  }
  return result;
}

std::string HelpText(std::string_view program) {
  std::string out;
  out += "Usage: ";
  out += program;
  out += " [FLAG...]\n\n";
  out +=
      "An OpenAI-compatible HTTP gateway in front of Tongyi Lingma's local language server.\n"
      "\n"
      "Every setting is both a flag and an environment variable: --lingma-bin PATH,\n"
      "--lingma-bin=PATH and LINGMA_BIN=PATH mean the same. Later sources win: built-in\n"
      "defaults, the .env file, the process environment, flags. A boolean flag alone means true.\n"
      "\n";
  const auto row = [&out](std::string_view left, std::string_view right) {
    std::string line = "  ";
    line += left;
    line.resize(std::max(kHelpFlagColumn, line.size() + 2), ' ');
    line += right;
    out += line + "\n";
  };
  row("-h, --help", "Show this help and exit.");
  row("-V, --version", "Print the version and exit.");

  std::string_view group;
  for (const Setting& s : kSettings) {
    if (s.group != group) {
      group = s.group;
      out += "\n";
      out += group;
      out += ":\n";
    }
    std::string left = FlagName(s.key);
    left += s.is_bool ? "[=" : " ";
    left += s.metavar;
    if (s.is_bool) left += "]";
    const std::string default_text = DefaultText(s);
    std::string right = std::string(s.key) + ", default ";
    right += default_text.empty() ? "\"\"" : default_text;
    row(left, right);
    out += "      ";
    out += s.help;
    out += "\n";
  }
  return out;
}

std::string EnvExample() {
  std::string out =
      "# lingma-gateway settings. Copy this file to .env and uncomment what you change.\n"
      "# Later sources win: built-in defaults, this file, the process environment, command-line\n"
      "# flags. Every KEY is also a flag: LINGMA_BIN=/opt/lingma <=> --lingma-bin /opt/lingma.\n"
      "# Syntax: KEY=value, KEY=\"double-quoted, with \\n \\\" \\\\ escapes\", "
      "KEY='single-quoted',\n"
      "# an optional `export ` prefix, # comments. A leading ~/ or $HOME in a path means HOME.\n"
      "# The gateway reads .env from its working directory; ENV_FILE=path (in the environment)\n"
      "# or --env-file path reads another file, and an empty ENV_FILE reads none.\n"
      "# This file mirrors `lingma-gateway --help`; a unit test keeps the two in sync.\n";
  std::string_view group;
  for (const Setting& s : kSettings) {
    if (!s.in_env_file) continue;
    if (s.group != group) {
      group = s.group;
      out += "\n# ---- ";
      out += group;
      out += " ----\n";
    }
    out += "\n# ";
    out += s.help;
    out += "\n# ";
    out += s.key;
    out += "=";
    out += DefaultText(s);
    out += "\n";
  }
  return out;
}

std::map<std::string, std::string> EnvironmentMap(char** envp) {
  std::map<std::string, std::string> env;
  if (envp == nullptr) return env;
  for (char** entry = envp; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return env;
}

std::optional<std::string> ReadTextFile(const std::string& path) {
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found) return std::nullopt;
  if (ec) throw ConfigError("cannot read " + path + ": " + ec.message());
  if (status.type() != std::filesystem::file_type::regular) {
    throw ConfigError("cannot read " + path + ": not a regular file");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw ConfigError("cannot read " + path + ": " +
                      std::error_code(errno, std::generic_category()).message());
  }
  std::ostringstream text;
  text << file.rdbuf();
  return std::move(text).str();
}

std::vector<std::pair<std::string, std::string>> Describe(const Config& config) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Setting& s : kSettings) {
    out.emplace_back(std::string(s.key),
                     s.secret ? ApiKeyCount(config.api_keys.size()) : s.format(config));
  }
  return out;
}

}  // namespace app
