// The sim's counters; see stats.hpp.
#include "sim/stats.hpp"

#include <utility>

#include "sim/json_text.hpp"

namespace sim {

std::string StatsJson(const Stats& s, long pid, int port, std::uint64_t sessions) {
  const std::pair<const char*, std::uint64_t> fields[] = {
      {"connections_total", s.connections_total},
      {"connections_open", s.connections_open},
      {"requests", s.requests},
      {"notifications", s.notifications},
      {"unknown_methods", s.unknown_methods},
      {"invalid_params", s.invalid_params},
      {"bad_frames", s.bad_frames},
      {"bad_messages", s.bad_messages},
      {"asks", s.asks},
      {"asks_as_notification", s.asks_as_notification},
      {"asks_rejected", s.asks_rejected},
      {"turns_active", s.turns_active},
      {"turns_finished", s.turns_finished},
      {"turns_cancelled", s.turns_cancelled},
      {"turns_abandoned", s.turns_abandoned},
      {"stops", s.stops},
      {"pushes_sent", s.pushes_sent},
      {"push_requests_sent", s.push_requests_sent},
      {"push_responses", s.push_responses},
      {"unanswered_pushes", s.unanswered_pushes},
      {"unexpected_responses", s.unexpected_responses},
      {"bytes_received", s.bytes_received},
      {"messages_received", s.messages_received},
      {"bytes_sent", s.bytes_sent},
      {"messages_sent", s.messages_sent},
      {"sessions", sessions},
  };
  std::string out = "{\"pid\":";
  AppendJsonInt(out, pid);
  out.append(",\"port\":");
  AppendJsonInt(out, port);
  for (const auto& [name, value] : fields) {
    out.append(",\"").append(name).append("\":");
    AppendJsonInt(out, static_cast<std::int64_t>(value));
  }
  out.push_back('}');
  return out;
}

}  // namespace sim
