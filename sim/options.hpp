// lingma-sim's switches: the command line (Lingma's own flags plus the sim's), LINGMA_SIM_*
// environment variables, and the control-file keys a test may change while the sim runs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sim {

enum class Command { kStart, kVersion, kStatus, kHelp };
enum class InfoFormat { kLines, kJson };
enum class PushMode { kRequests, kNotifications };
enum class AuthState { kLoggedIn, kLoggedOut, kExpired };
enum class StepEndPosition { kBeforeLastDelta, kAfterLastDelta };

// Behaviour that may change between turns: set by flags/env at start and overridden, key by key,
// by the control file, which is re-read on every chat/ask (and auth query).
struct Knobs {
  AuthState auth = AuthState::kLoggedIn;
  int deltas = 4;  // non-empty answer deltas per turn (fewer when the answer is shorter)
  int delta_delay_ms = 0;
  double prefill_us_per_byte = 0;  // simulated time to first token, per processed prompt byte
  bool empty_deltas = false;       // an empty chat/answer after every non-empty one
  StepEndPosition step_end = StepEndPosition::kAfterLastDelta;
  bool finish_new_session = false;  // chat/finish reports a fresh alias of the session
  int unanswered_push_penalty_ms = 0;
  int finish_status = 200;
  std::string finish_reason;   // empty: "success" for 200, a per-status default otherwise
  int error_after_deltas = 0;  // deltas streamed before an error finish
  bool hang = false;           // stream everything but chat/finish
  int exit_after_deltas = -1;  // crash (_exit, stale .info) after N deltas; -1: never
  bool think = false;          // prepend an inline ````think:: block to the answer
  bool filtered = false;       // isFiltered:true on every chat/answer
  bool overwrite = false;      // a wrong delta, then an overwrite:true correction
  bool invalid_utf8 = false;   // ill-formed UTF-8 in every non-empty delta (binary messages)
  bool ignore_stop = false;    // chat/stop is acknowledged but the turn carries on
};

struct Options {
  Command command = Command::kHelp;
  // Lingma's own flags.
  std::string work_dir;
  int socket_port = 0;  // 0: any free port (the real default, 37010/36510, would collide in tests)
  int http_port = 37510;  // only used in login URLs: the sim serves no HTTP
  std::string endpoint;
  std::string output;  // `status -o json`
  // The sim's own switches.
  InfoFormat info_format = InfoFormat::kLines;
  bool daemonize = false;
  PushMode push_mode = PushMode::kRequests;
  int login_after_ms = -1;  // -1: a login never completes by itself
  bool split_frames = false;
  std::uint64_t split_seed = 1;
  bool coalesce_frames = false;  // frames queued together leave in one WebSocket message
  int tick_us = 0;               // waits end on multiples of this (0: exactly when due)
  int startup_delay_ms = 0;
  bool stale_info = false;
  std::string script_path;
  std::string control_path;
  std::string ask_log_path;
  std::string server_version = "2.11.1";
  bool verbose = false;
  Knobs knobs;
};

// Looks an environment variable up; injected so tests need no real environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Parses argv[1..] over defaults < LINGMA_SIM_* environment < flags. On failure returns false and
// sets `error` to a message naming the offending switch.
bool ParseOptions(const std::vector<std::string>& args, const EnvLookup& env, Options& out,
                  std::string& error);

// The text of `lingma-sim --help`: commands, every switch with its env name and default.
std::string HelpText();

// Overrides `base` with the keys of a control file (a JSON object; keys are the knob switch names
// with '_' for '-'). Unknown keys, bad values and bad JSON become warnings and change nothing.
Knobs ApplyControl(const Knobs& base, std::string_view json_text,
                   std::vector<std::string>& warnings);

// Environment variable name of a switch: "info-format" -> "LINGMA_SIM_INFO_FORMAT".
std::string EnvName(std::string_view switch_name);

std::string_view ToString(AuthState state);
std::string_view ToString(StepEndPosition position);

}  // namespace sim
