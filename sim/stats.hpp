// The sim's counters: what tests and benchmarks check about the gateway's behaviour (pushes
// answered, bad frames, asks), live via sim/stats and in <workDir>/sim-stats.json on exit.
#pragma once

#include <cstdint>
#include <string>

namespace sim {

struct Stats {
  std::uint64_t connections_total = 0;
  std::uint64_t connections_open = 0;
  std::uint64_t requests = 0;         // client requests (with id), any method
  std::uint64_t notifications = 0;    // client notifications, any method
  std::uint64_t unknown_methods = 0;  // requests answered -32601 plus ignored notifications
  std::uint64_t invalid_params = 0;   // requests answered -32602
  std::uint64_t bad_frames = 0;       // "Unknown message header": bare JSON or broken framing
  std::uint64_t bad_messages = 0;     // framed, but not a JSON-RPC message
  std::uint64_t asks = 0;             // chat/ask received (request or notification)
  std::uint64_t asks_as_notification = 0;
  std::uint64_t asks_rejected = 0;  // isSuccess:false (bad params, not logged in)
  std::uint64_t turns_active = 0;
  std::uint64_t turns_finished = 0;   // chat/finish sent, any status
  std::uint64_t turns_cancelled = 0;  // finished with reason "cancelled" after chat/stop
  std::uint64_t turns_abandoned = 0;  // connection closed before chat/finish
  std::uint64_t stops = 0;            // chat/stop received
  std::uint64_t pushes_sent = 0;      // all pushes (requests and notifications)
  std::uint64_t push_requests_sent = 0;
  std::uint64_t push_responses = 0;        // client responses matched to a push request
  std::uint64_t unanswered_pushes = 0;     // penalty waits that timed out
  std::uint64_t unexpected_responses = 0;  // responses with an id the sim is not waiting for
  std::uint64_t bytes_received = 0;
  std::uint64_t messages_received = 0;  // WebSocket messages
  std::uint64_t bytes_sent = 0;
  std::uint64_t messages_sent = 0;  // WebSocket messages
};

// The stats as one JSON object, with the process's identity and session count added.
std::string StatsJson(const Stats& stats, long pid, int port, std::uint64_t sessions);

}  // namespace sim
