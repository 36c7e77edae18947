// The gateway's settings: one table of them, loaded from defaults < .env < environment < flags.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace app {

enum class LingmaMode { kSpawn, kAttach };

// Every field has an environment name (noted beside it) and a flag derived from it: lowercase,
// '_' -> '-' (LINGMA_BIN <-> --lingma-bin). The table in config.cpp is the single source of the
// names, defaults and help texts.
struct Config {
  // HTTP
  std::string host = "127.0.0.1";     // HOST
  int port = 8000;                    // PORT (0 = any free port; the gateway logs the one it got)
  std::vector<std::string> api_keys;  // API_KEYS, comma-separated, trimmed, empty items dropped
  std::string
      admin_api_key;  // ADMIN_API_KEY: for /internal/* from other hosts ("" = loopback only)
  std::string log_level = "info";                 // LOG_LEVEL: debug|info|warn|error
  std::size_t max_body_bytes = 16 * 1024 * 1024;  // MAX_BODY_BYTES: larger request bodies get 413
  // CORS_ALLOW_ORIGINS: comma-separated origins browsers may call from; "*" = any; empty = no CORS.
  std::vector<std::string> cors_allow_origins;
  // SSE_KEEPALIVE_INTERVAL seconds: comment lines on a stream while Lingma is silent (0 = off).
  std::chrono::milliseconds sse_keepalive_interval{15000};
  // SHUTDOWN_GRACE seconds: on SIGTERM, how long open requests may finish before they are cut.
  std::chrono::milliseconds shutdown_grace{10000};
  // BUSY_POLL_US: after the last piece of work, the event loop keeps polling this long before it
  // sleeps. Waking a sleeping thread costs tens of microseconds on virtual machines, twice per
  // request behind the gateway; polling saves that for CPU burnt while the window lasts (0 = off).
  std::chrono::microseconds busy_poll{0};
  std::chrono::milliseconds http_read_timeout{30000};   // HTTP_READ_TIMEOUT s: a whole request
  std::chrono::milliseconds http_idle_timeout{75000};   // HTTP_IDLE_TIMEOUT s: keep-alive wait
  std::chrono::milliseconds http_write_timeout{30000};  // HTTP_WRITE_TIMEOUT s: a stalled reader
  // Lingma
  LingmaMode lingma_mode = LingmaMode::kSpawn;  // LINGMA_MODE: spawn | attach
  std::string lingma_bin;  // LINGMA_BIN: empty = search the standard install locations
  // LINGMA_WORK_DIR: LoadConfig fills in "$HOME/.cache/lingma-gateway" (no HOME:
  // /tmp/lingma-gateway-<uid>) when it is not set; instance N uses <work_dir>/inst-N.
  std::string work_dir;
  // LINGMA_SOCKET_PORT: spawn: first WebSocket port (instance N uses port+N), 0 = pick free ports;
  // attach: the port of the running Lingma (0 = read .info/.info.json from work_dir).
  int socket_port = 0;
  int pool_size = 1;                // LINGMA_POOL_SIZE (1..64)
  int max_turns_per_instance = 16;  // LINGMA_MAX_TURNS_PER_INSTANCE: concurrent turns per process
  // LINGMA_TURN_BUFFER: Lingma pushes held for a client that reads slowly; beyond it the stream is
  // cut with an error rather than buffered without bound.
  int turn_buffer = 4096;
  std::chrono::milliseconds acquire_timeout{10000};  // LINGMA_ACQUIRE_TIMEOUT s: wait for a slot
  int max_waiting = 1000;  // LINGMA_MAX_WAITING: requests queued for a slot; beyond: 503 at once
  int max_concurrent_per_key = 0;  // MAX_CONCURRENT_PER_KEY (0 = unlimited)
  double rate_limit_rps = 0;       // RATE_LIMIT_RPS per key (0 = unlimited)
  double rate_limit_burst = 0;     // RATE_LIMIT_BURST (0 = max(1, RATE_LIMIT_RPS))
  std::chrono::milliseconds startup_timeout{30000};     // LINGMA_STARTUP_TIMEOUT seconds
  std::chrono::milliseconds rpc_timeout{10000};         // LINGMA_RPC_TIMEOUT seconds
  std::chrono::milliseconds chat_idle_timeout{120000};  // LINGMA_CHAT_IDLE_TIMEOUT seconds
  std::chrono::milliseconds heartbeat_interval{30000};  // LINGMA_HEARTBEAT_INTERVAL s (0 = off)
  std::chrono::milliseconds reconnect_initial{200};     // LINGMA_RECONNECT_INITIAL_MS
  std::chrono::milliseconds reconnect_max{10000};       // LINGMA_RECONNECT_MAX_MS
  std::string default_model = "auto";                   // DEFAULT_MODEL
  bool session_reuse = true;                            // SESSION_REUSE_ENABLED
  int session_cache_max_entries = 10000;                // SESSION_CACHE_MAX_ENTRIES
  std::chrono::seconds session_cache_ttl{3600};         // SESSION_CACHE_TTL_SEC
  std::string default_ask_mode = "chat";                // DEFAULT_ASK_MODE (agent is refused)
  bool simulator = false;         // SIMULATOR / --simulator: run lingma-sim instead of Lingma
  std::string simulator_bin;      // LINGMA_SIM_BIN: empty = next to the gateway executable
  std::string env_file = ".env";  // ENV_FILE / --env-file ("" = none); env or flags only
};

struct LoadResult {
  Config config;
  bool show_help = false;     // --help / -h
  bool show_version = false;  // --version / -V
  // Things worth telling the operator that do not stop the start: unknown keys in .env, a
  // setting that has no effect where it was written, an exposed address without API keys.
  std::vector<std::string> warnings;
};

// Names the setting, where its value came from (flag / environment / .env line N) and what is
// wrong with it.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Returns the file's text, or nullopt when it does not exist.
using ReadFileFn = std::function<std::optional<std::string>(const std::string& path)>;

// env: the process environment as a map (tests pass their own). read_file: injectable for tests;
// ReadTextFile is the real one. When --help or --version is given, the returned config holds the
// defaults and nothing else is read or checked. Throws ConfigError.
LoadResult LoadConfig(int argc, const char* const* argv,
                      const std::map<std::string, std::string>& env, const ReadFileFn& read_file);

// Usage plus every setting, grouped, with its flag, environment name, default and help.
std::string HelpText(std::string_view program);

// The text of .env.example: every setting commented out with its default and help.
std::string EnvExample();

// The process environment ("KEY=VALUE" strings) as a map; the first of duplicate keys wins, as
// with getenv.
std::map<std::string, std::string> EnvironmentMap(char** environ);

// The real file reader for LoadConfig: nullopt when the file does not exist; ConfigError when it
// exists but cannot be read.
std::optional<std::string> ReadTextFile(const std::string& path);

// One (ENV_NAME, value) pair per setting for the start-up log; API keys appear as a count only.
std::vector<std::pair<std::string, std::string>> Describe(const Config& config);

}  // namespace app
