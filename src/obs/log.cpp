// The JSON-lines logger: formatting of lines, JSON string escaping, the stderr sink.
#include "obs/log.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <type_traits>
#include <utility>

#include "text/ascii.hpp"
#include "text/json_text.hpp"

namespace obs {
namespace {

constexpr std::size_t kInitialLineCapacity = 512;
// A line buffer grown beyond this by one huge line is released instead of kept.
constexpr std::size_t kMaxKeptLineCapacity = std::size_t{64} * 1024;

void AppendDouble(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";  // JSON has no NaN or infinity
    return;
  }
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), result.ptr);
}

template <typename Integer>
void AppendInteger(std::string& out, Integer value) {
  std::array<char, 24> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), result.ptr);
}

void AppendTwoDigits(std::string& out, unsigned value) {
  out += static_cast<char>('0' + value / 10 % 10);
  out += static_cast<char>('0' + value % 10);
}

void AppendValue(std::string& out, const Field::Value& value) {
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::uint64_t>) {
          AppendInteger(out, v);
        } else if constexpr (std::is_same_v<T, double>) {
          AppendDouble(out, v);
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::string_view>) {
          json_text::AppendString(out, v);
        } else {
          out += "null";
        }
      },
      value);
}

void WriteAllToStderr(std::string_view line) {
  // One write(2) per line keeps lines whole; the loop only matters for the rare partial write
  // (a full pipe, a signal), where finishing the line beats dropping it.
  const char* data = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t written = ::write(STDERR_FILENO, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report a logging failure
    }
    data += written;
    left -= static_cast<std::size_t>(written);
  }
}

}  // namespace

std::optional<Level> ParseLevel(std::string_view text) {
  for (Level level : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (ascii::EqualsIgnoreCase(text, LevelName(level))) return level;
  }
  return std::nullopt;
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "unknown";
}

void AppendTimestamp(std::string& out, std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(time);
  const auto day = floor<days>(ms);
  const year_month_day date{day};
  const hh_mm_ss clock{ms - day};

  const int year = static_cast<int>(date.year());
  if (year < 0) out += '-';
  const unsigned abs_year = static_cast<unsigned>(year < 0 ? -year : year);
  AppendTwoDigits(out, abs_year / 100);
  AppendTwoDigits(out, abs_year % 100);
  out += '-';
  AppendTwoDigits(out, static_cast<unsigned>(date.month()));
  out += '-';
  AppendTwoDigits(out, static_cast<unsigned>(date.day()));
  out += 'T';
  AppendTwoDigits(out, static_cast<unsigned>(clock.hours().count()));
  out += ':';
  AppendTwoDigits(out, static_cast<unsigned>(clock.minutes().count()));
  out += ':';
  AppendTwoDigits(out, static_cast<unsigned>(clock.seconds().count()));
  out += '.';
  const auto millis = static_cast<unsigned>(clock.subseconds().count());
  out += static_cast<char>('0' + millis / 100);
  AppendTwoDigits(out, millis % 100);
  out += 'Z';
}

Logger::Logger(Level level, Sink sink, Clock clock)
    : level_(level), sink_(std::move(sink)), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
  line_.reserve(kInitialLineCapacity);
}

Logger Logger::Stderr(Level level) { return Logger(level, WriteAllToStderr); }

void Logger::Log(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (!Enabled(level) || !sink_) return;
  line_.clear();
  line_ += "{\"ts\":\"";
  AppendTimestamp(line_, clock_());
  line_ += "\",\"level\":\"";
  line_ += LevelName(level);
  line_ += "\",\"event\":";
  json_text::AppendString(line_, event);
  for (const Field& field : fields) {
    line_ += ',';
    json_text::AppendString(line_, field.key);
    line_ += ':';
    AppendValue(line_, field.value);
  }
  line_ += "}\n";
  sink_(line_);
  // A single huge line (a dumped request body) must not pin its buffer for the process lifetime.
  if (line_.capacity() > kMaxKeptLineCapacity) {
    line_ = std::string();
    line_.reserve(kInitialLineCapacity);
  }
}

}  // namespace obs
