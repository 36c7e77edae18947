// The JSON-lines logger: one JSON object per line, level filtering, injectable clock and sink.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace obs {

enum class Level { kDebug, kInfo, kWarn, kError };

// Accepts debug|info|warn|error in any letter case.
std::optional<Level> ParseLevel(std::string_view text);
// The lowercase name as written in the "level" field.
std::string_view LevelName(Level level);

// One key/value pair of a log line. Holds views: it lives only for the duration of the Log call,
// so fields can be built from temporaries without copying them.
struct Field {
  // Unsigned integers keep their own alternative so that values above INT64_MAX (hashes, byte
  // counters) are logged exactly instead of wrapping.
  using Value =
      std::variant<std::int64_t, std::uint64_t, double, bool, std::string_view, std::nullptr_t>;

  template <std::signed_integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) Field(std::string_view k, T v)
      : key(k), value(static_cast<std::int64_t>(v)) {}
  template <std::unsigned_integral T>
  requires(!std::same_as<T, bool>) Field(std::string_view k, T v)
      : key(k), value(static_cast<std::uint64_t>(v)) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
  Field(std::string_view k, const char* v)
      : key(k), value(v == nullptr ? Value(nullptr) : Value(std::string_view(v))) {}
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, std::nullptr_t) : key(k), value(nullptr) {}
  template <typename Rep, typename Period>
  Field(std::string_view k, std::chrono::duration<Rep, Period> d)
      : key(k),
        value(static_cast<std::int64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(d).count())) {}

  std::string_view key;
  Value value;
};

// Writes lines like
//   {"ts":"2026-11-26T15:22:35.123Z","level":"info","event":"instance.ready","port":36510}
// Every string (event, keys, values) is escaped so that any input, including invalid UTF-8,
// yields one valid JSON object per line.
//
// Not thread-safe: the gateway logs from its one event-loop thread. A second thread gets its own
// Logger (Stderr() sinks are safe to share between loggers: one write(2) per line).
class Logger {
 public:
  // Receives one complete line including the trailing '\n'.
  using Sink = std::function<void(std::string_view line)>;
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // A null clock means std::chrono::system_clock::now.
  Logger(Level level, Sink sink, Clock clock = nullptr);

  // Writes each line to stderr with a single write(2) call, so lines of several processes that
  // share the terminal or a log file never interleave mid-line.
  static Logger Stderr(Level level);

  bool Enabled(Level level) const { return level >= level_; }

  void Log(Level level, std::string_view event, std::initializer_list<Field> fields = {});
  void Debug(std::string_view event, std::initializer_list<Field> fields = {}) {
    Log(Level::kDebug, event, fields);
  }
  void Info(std::string_view event, std::initializer_list<Field> fields = {}) {
    Log(Level::kInfo, event, fields);
  }
  void Warn(std::string_view event, std::initializer_list<Field> fields = {}) {
    Log(Level::kWarn, event, fields);
  }
  void Error(std::string_view event, std::initializer_list<Field> fields = {}) {
    Log(Level::kError, event, fields);
  }

  Level level() const { return level_; }
  void set_level(Level level) { level_ = level; }

 private:
  Level level_;
  Sink sink_;
  Clock clock_;
  std::string line_;  // reused for every line so that steady-state logging does not allocate
};

// Appends the UTC time as "YYYY-MM-DDTHH:MM:SS.mmmZ".
void AppendTimestamp(std::string& out, std::chrono::system_clock::time_point time);

}  // namespace obs
