// The session-affinity cache: which upstream Lingma session continues which client conversation.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chat/hashing.hpp"
#include "chat/model.hpp"

namespace chat {

struct SessionCacheOptions {
  bool enabled = true;
  std::size_t max_entries = 10000;
  std::chrono::seconds ttl{3600};  // from the entry's last use (its commit)
};

enum class SessionOutcome { kHit, kMiss, kFork, kOff };
const char* ToString(SessionOutcome outcome);  // "hit" | "miss" | "fork" | "off"

// An upstream Lingma session and where it lives. `instance_generation` tells a session of a
// restarted instance from a live one: delete a returned session upstream only if its instance
// still runs that generation (otherwise the session died with the old process).
struct UpstreamSession {
  std::string session_id;
  int instance = -1;
  std::uint64_t instance_generation = 0;

  friend bool operator==(const UpstreamSession&, const UpstreamSession&) = default;
};

struct SessionLookup {
  SessionOutcome outcome = SessionOutcome::kMiss;
  // Set on kHit only: send just the messages after the last assistant turn (isReply=true) to
  // this session on this instance.
  std::optional<UpstreamSession> session;
  // For logs: "cached session" (hit); "no earlier turn", "ends with an assistant message",
  // "no cached session", "expired", "instance restarted", "instance unavailable" (miss);
  // "in use by a concurrent request", "history diverged", "answer differs" (fork);
  // "session reuse disabled" (off).
  std::string reason;
  // Upstream sessions nobody will continue (a forked-away or expired entry's): delete them,
  // best effort.
  std::vector<UpstreamSession> abandoned;
  // Hand back to exactly one Commit or Abort; never 0.
  std::uint64_t ticket = 0;
};

// Maps a client conversation to the upstream session that already holds its history, so that a
// follow-up turn sends only the new messages instead of the whole transcript.
//
// Identity (everything is scoped by the API key's fingerprint, so keys never share sessions):
// - An explicit client id, the first non-empty of: X-Claude-Code-Session-Id, prompt_cache_key,
//   metadata.user_id, user; combined with X-Claude-Code-Agent-Id (sub-agents share the session id
//   but not the history) and with the conversation's opening (its messages up to and including the
//   first user message), because `user`-like ids name a person, not a conversation, and clients
//   send side requests (titles, summaries) under the conversation's id.
// - Otherwise the conversation prefix: the non-assistant messages before the request's last
//   assistant message. Assistant text is left out so that a client that re-formats it still hits;
//   the answer fingerprint below catches real edits.
//
// An entry remembers the turn that created it: the fingerprint of that request's non-assistant
// messages, its message count, and the fingerprint of the answer the gateway returned (whitespace
// runs collapsed, ends trimmed). A request hits only if it is exactly that turn plus the answer
// plus new messages: its last assistant message stands where the answer came, matches the answer,
// and everything before it matches the stored prefix. Anything else found under the key is a fork
// (edited turn, regenerated answer, another branch): the old session is abandoned and the request
// starts a fresh session with the full transcript.
//
// A hit consumes the entry: an upstream session is stateful, and two requests appending to it
// would corrupt each other's history. Commit stores the extended conversation under the key the
// next turn will look up; Abort stores nothing.
//
// Only hashes and UpstreamSessions are kept, never message text. Not thread-safe: one strand.
class SessionCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // The current generation (restart counter) of an instance, or nullopt if it is gone or not ready.
  using InstanceGeneration = std::function<std::optional<std::uint64_t>(int instance)>;

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t forks = 0;
    std::uint64_t evictions = 0;    // over max_entries, least recently used first
    std::uint64_t expirations = 0;  // entries older than ttl
    std::size_t entries = 0;
    std::size_t in_flight = 0;  // tickets not yet committed or aborted
  };

  SessionCache(SessionCacheOptions options, Clock clock);

  // Looks the request's conversation up. `scope`: the API key's fingerprint. An entry pinned to an
  // instance whose generation changed (or that is unavailable) is dropped: kMiss, and the request
  // goes with the full transcript to any instance. Every call returns a fresh ticket.
  SessionLookup Begin(std::string_view scope, const ChatRequest& request,
                      const InstanceGeneration& instance_generation);

  // The turn produced a complete answer. Stores the conversation extended by this turn for the
  // next request, continued by `used`: the session Lingma reported in chat/finish (it may differ
  // from the one asked), its instance and generation. `answer_content` is the content the gateway
  // returned (no reasoning). Returns sessions to delete upstream: an entry this one replaced, the
  // consumed session if Lingma moved to another one, entries evicted over max_entries. An unknown
  // ticket (already ended, dropped by Expire, or handed out while disabled) stores nothing and
  // returns nothing; an empty `used.session_id` stores nothing.
  std::vector<UpstreamSession> Commit(std::uint64_t ticket, const UpstreamSession& used,
                                      std::string_view answer_content);

  // The turn failed, was cancelled or was partial: nothing is stored, and a consumed entry stays
  // gone (its session's state is unknown). Returns the sessions to delete upstream: `used` and the
  // consumed session. An unknown ticket returns nothing.
  std::vector<UpstreamSession> Abort(std::uint64_t ticket, std::optional<UpstreamSession> used);

  // Drops entries older than ttl (returned, to delete upstream) and tickets older than ttl (their
  // requests are long dead; their sessions are not returned, in case one still runs).
  std::vector<UpstreamSession> Expire();

  // Drops every entry pinned to `instance` (it restarted: the sessions died with it).
  void DropInstance(int instance);

  Stats stats() const;

 private:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Entry {
    UpstreamSession session;
    Fingerprint prefix;         // non-assistant messages of the turn that made this entry
    std::size_t message_count;  // messages of that turn: the answer must come right after them
    Fingerprint answer;         // normalized answer content
    TimePoint last_used;
    std::list<Fingerprint>::iterator lru;
  };

  struct InFlight {
    TimePoint started;
    Fingerprint commit_key;     // where the next turn will look
    Fingerprint commit_prefix;  // non-assistant messages of this request
    std::size_t message_count;
    std::optional<Fingerprint> consumed_key;  // set on a hit
    std::optional<UpstreamSession> consumed;
  };

  bool Expired(const Entry& entry, TimePoint now) const;
  // Removes the entry and returns its session.
  UpstreamSession Remove(std::unordered_map<Fingerprint, Entry, FingerprintHash>::iterator it);
  // Ends a ticket: removes it and its claim on the consumed key.
  InFlight Release(std::map<std::uint64_t, InFlight>::iterator it);

  SessionCacheOptions options_;
  Clock clock_;
  std::uint64_t next_ticket_ = 1;
  std::unordered_map<Fingerprint, Entry, FingerprintHash> entries_;
  std::list<Fingerprint> lru_;                   // most recently used first
  std::map<std::uint64_t, InFlight> in_flight_;  // by ticket, i.e. oldest first
  // Keys consumed by a hit whose ticket has not ended, and that ticket.
  std::unordered_map<Fingerprint, std::uint64_t, FingerprintHash> in_use_;
  Stats stats_;
};

}  // namespace chat
