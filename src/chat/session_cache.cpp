// The session-affinity cache; see session_cache.hpp.
#include "chat/session_cache.hpp"

#include <utility>

namespace chat {
namespace {

// Domain tags keep the different uses of one hash function apart.
constexpr std::string_view kPrefixTag = "lgw/session-cache/prefix/v1";
constexpr std::string_view kAnswerTag = "lgw/session-cache/answer/v1";
constexpr std::string_view kPrefixKeyTag = "lgw/session-cache/prefix-key/v1";
constexpr std::string_view kExplicitKeyTag = "lgw/session-cache/explicit-key/v1";

// The fingerprints of one request, from a single pass over its messages (transcripts can be
// hundreds of kilobytes; they are hashed once).
struct RequestDigest {
  std::optional<std::size_t> last_assistant;
  Fingerprint before_last_assistant;  // non-assistant messages before the last assistant message
  Fingerprint all;                    // every non-assistant message
  Fingerprint opening;                // non-assistant messages up to the first user message
};

void AddMessage(Sha256& hasher, const Message& message) {
  hasher.UpdateField(ToString(message.role));
  hasher.UpdateField(message.content);
  hasher.UpdateField(message.name);
  hasher.UpdateField(message.tool_call_id);
}

// Tool results count like user messages: they are client input the upstream session holds, and
// clients send them back verbatim (unlike assistant text, which some re-format).
RequestDigest DigestRequest(const std::vector<Message>& messages) {
  RequestDigest digest;
  for (std::size_t i = messages.size(); i-- > 0;) {
    if (messages[i].role == Role::kAssistant) {
      digest.last_assistant = i;
      break;
    }
  }
  Sha256 hasher;
  hasher.Update(kPrefixTag);
  bool opening_done = false;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const Message& message = messages[i];
    if (i == digest.last_assistant) digest.before_last_assistant = Fingerprint::Of(hasher);
    if (message.role == Role::kAssistant) {
      if (!opening_done) digest.opening = Fingerprint::Of(hasher);
      opening_done = true;
      continue;
    }
    AddMessage(hasher, message);
    if (!opening_done && message.role == Role::kUser) {
      digest.opening = Fingerprint::Of(hasher);
      opening_done = true;
    }
  }
  digest.all = Fingerprint::Of(hasher);
  if (!opening_done) digest.opening = digest.all;
  return digest;
}

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Whitespace-insensitive, so that a client that re-wraps or trims the answer still matches, while
// any change of words does not.
Fingerprint AnswerFingerprint(std::string_view content) {
  Sha256 hasher;
  hasher.Update(kAnswerTag);
  std::string normalized;
  normalized.reserve(content.size());
  bool pending_space = false;
  for (const char c : content) {
    if (IsAsciiSpace(c)) {
      pending_space = !normalized.empty();
      continue;
    }
    if (pending_space) normalized.push_back(' ');
    pending_space = false;
    normalized.push_back(c);
  }
  hasher.Update(normalized);
  return Fingerprint::Of(hasher);
}

struct ExplicitId {
  char kind;  // which hint, so that equal strings in different hints stay apart
  std::string_view id;
};

std::optional<ExplicitId> PickExplicitId(const ConversationHints& hints) {
  if (!hints.session_header.empty()) return ExplicitId{'s', hints.session_header};
  if (!hints.prompt_cache_key.empty()) return ExplicitId{'p', hints.prompt_cache_key};
  if (!hints.metadata_user_id.empty()) return ExplicitId{'m', hints.metadata_user_id};
  if (!hints.user.empty()) return ExplicitId{'u', hints.user};
  return std::nullopt;
}

void AddFingerprint(Sha256& hasher, const Fingerprint& fingerprint) {
  hasher.UpdateU64(fingerprint.hi);
  hasher.UpdateU64(fingerprint.lo);
}

Fingerprint PrefixKey(std::string_view scope, const Fingerprint& prefix) {
  Sha256 hasher;
  hasher.Update(kPrefixKeyTag);
  hasher.UpdateField(scope);
  AddFingerprint(hasher, prefix);
  return Fingerprint::Of(hasher);
}

Fingerprint ExplicitKey(std::string_view scope, const ExplicitId& id, std::string_view agent,
                        const Fingerprint& opening) {
  Sha256 hasher;
  hasher.Update(kExplicitKeyTag);
  hasher.UpdateField(scope);
  hasher.UpdateField(std::string_view(&id.kind, 1));
  hasher.UpdateField(id.id);
  hasher.UpdateField(agent);
  AddFingerprint(hasher, opening);
  return Fingerprint::Of(hasher);
}

bool SameSession(const UpstreamSession& a, const UpstreamSession& b) {
  return a.session_id == b.session_id && a.instance == b.instance;
}

}  // namespace

const char* ToString(SessionOutcome outcome) {
  switch (outcome) {
    case SessionOutcome::kHit:
      return "hit";
    case SessionOutcome::kMiss:
      return "miss";
    case SessionOutcome::kFork:
      return "fork";
    case SessionOutcome::kOff:
      return "off";
  }
  return "miss";
}

SessionCache::SessionCache(SessionCacheOptions options, Clock clock)
    : options_(options), clock_(std::move(clock)) {}

SessionLookup SessionCache::Begin(std::string_view scope, const ChatRequest& request,
                                  const InstanceGeneration& instance_generation) {
  SessionLookup lookup;
  lookup.ticket = next_ticket_++;
  if (!options_.enabled) {
    lookup.outcome = SessionOutcome::kOff;
    lookup.reason = "session reuse disabled";
    return lookup;
  }
  const TimePoint now = clock_();
  const std::vector<Message>& messages = request.messages;
  const RequestDigest digest = DigestRequest(messages);
  const std::optional<ExplicitId> id = PickExplicitId(request.hints);

  // An explicit key is the same for every turn of the conversation; a prefix key grows with it.
  const std::optional<Fingerprint> explicit_key =
      id ? std::optional(ExplicitKey(scope, *id, request.hints.agent_header, digest.opening))
         : std::nullopt;
  InFlight& flight = in_flight_[lookup.ticket];
  flight = InFlight{.started = now,
                    .commit_key = explicit_key ? *explicit_key : PrefixKey(scope, digest.all),
                    .commit_prefix = digest.all,
                    .message_count = messages.size()};

  auto finish = [&](SessionOutcome outcome, std::string reason) {
    lookup.outcome = outcome;
    lookup.reason = std::move(reason);
    if (outcome == SessionOutcome::kHit) ++stats_.hits;
    if (outcome == SessionOutcome::kMiss) ++stats_.misses;
    if (outcome == SessionOutcome::kFork) ++stats_.forks;
    return std::move(lookup);
  };

  if (!digest.last_assistant) return finish(SessionOutcome::kMiss, "no earlier turn");
  const std::size_t answer_index = *digest.last_assistant;
  if (answer_index + 1 == messages.size()) {
    return finish(SessionOutcome::kMiss, "ends with an assistant message");
  }
  const Fingerprint key =
      explicit_key ? *explicit_key : PrefixKey(scope, digest.before_last_assistant);
  const auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (in_use_.contains(key))
      return finish(SessionOutcome::kFork, "in use by a concurrent request");
    return finish(SessionOutcome::kMiss, "no cached session");
  }

  // Whatever follows, the entry leaves the cache: it is either continued by this request or
  // no longer continuable.
  const Entry entry = it->second;
  Remove(it);
  // First the instance: a session that died with its process is not worth a delete.
  if (instance_generation) {
    const std::optional<std::uint64_t> generation = instance_generation(entry.session.instance);
    if (!generation) return finish(SessionOutcome::kMiss, "instance unavailable");
    if (*generation != entry.session.instance_generation) {
      return finish(SessionOutcome::kMiss, "instance restarted");
    }
  }
  if (Expired(entry, now)) {
    ++stats_.expirations;
    lookup.abandoned.push_back(entry.session);
    return finish(SessionOutcome::kMiss, "expired");
  }
  // The stored answer must be this request's last assistant message: the session holds exactly
  // the stored turn and its answer, and nothing the client has inserted or removed since.
  if (answer_index != entry.message_count || digest.before_last_assistant != entry.prefix) {
    lookup.abandoned.push_back(entry.session);
    return finish(SessionOutcome::kFork, "history diverged");
  }
  if (AnswerFingerprint(messages[answer_index].content) != entry.answer) {
    lookup.abandoned.push_back(entry.session);
    return finish(SessionOutcome::kFork, "answer differs");
  }
  flight.consumed_key = key;
  flight.consumed = entry.session;
  in_use_[key] = lookup.ticket;
  lookup.session = entry.session;
  return finish(SessionOutcome::kHit, "cached session");
}

std::vector<UpstreamSession> SessionCache::Commit(std::uint64_t ticket, const UpstreamSession& used,
                                                  std::string_view answer_content) {
  std::vector<UpstreamSession> to_delete;
  const auto flight_it = in_flight_.find(ticket);
  if (flight_it == in_flight_.end()) return to_delete;
  const InFlight flight = Release(flight_it);
  // Lingma may have moved the conversation to a session of its own; the asked one is then stale.
  if (flight.consumed && !SameSession(*flight.consumed, used)) {
    to_delete.push_back(*flight.consumed);
  }
  if (used.session_id.empty()) return to_delete;

  const TimePoint now = clock_();
  if (const auto it = entries_.find(flight.commit_key); it != entries_.end()) {
    // A concurrent request of the same conversation finished first; the newer answer wins.
    UpstreamSession replaced = Remove(it);
    if (!SameSession(replaced, used)) to_delete.push_back(std::move(replaced));
  }
  lru_.push_front(flight.commit_key);
  entries_.emplace(flight.commit_key, Entry{.session = used,
                                            .prefix = flight.commit_prefix,
                                            .message_count = flight.message_count,
                                            .answer = AnswerFingerprint(answer_content),
                                            .last_used = now,
                                            .lru = lru_.begin()});
  while (entries_.size() > options_.max_entries) {
    ++stats_.evictions;
    to_delete.push_back(Remove(entries_.find(lru_.back())));
  }
  return to_delete;
}

std::vector<UpstreamSession> SessionCache::Abort(std::uint64_t ticket,
                                                 std::optional<UpstreamSession> used) {
  std::vector<UpstreamSession> to_delete;
  const auto flight_it = in_flight_.find(ticket);
  if (flight_it == in_flight_.end()) return to_delete;
  const InFlight flight = Release(flight_it);
  if (used && !used->session_id.empty()) to_delete.push_back(*used);
  if (flight.consumed && !(used && SameSession(*flight.consumed, *used))) {
    to_delete.push_back(*flight.consumed);
  }
  return to_delete;
}

std::vector<UpstreamSession> SessionCache::Expire() {
  std::vector<UpstreamSession> to_delete;
  const TimePoint now = clock_();
  // Entries are stamped when stored and never touched after, so the LRU tail is the oldest.
  while (!lru_.empty()) {
    const auto it = entries_.find(lru_.back());
    if (!Expired(it->second, now)) break;
    ++stats_.expirations;
    to_delete.push_back(Remove(it));
  }
  while (!in_flight_.empty() && now - in_flight_.begin()->second.started >= options_.ttl) {
    Release(in_flight_.begin());
  }
  return to_delete;
}

void SessionCache::DropInstance(int instance) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    const auto next = std::next(it);
    if (it->second.session.instance == instance) Remove(it);
    it = next;
  }
}

SessionCache::Stats SessionCache::stats() const {
  Stats stats = stats_;
  stats.entries = entries_.size();
  stats.in_flight = in_flight_.size();
  return stats;
}

bool SessionCache::Expired(const Entry& entry, TimePoint now) const {
  return now - entry.last_used >= options_.ttl;
}

UpstreamSession SessionCache::Remove(
    std::unordered_map<Fingerprint, Entry, FingerprintHash>::iterator it) {
  UpstreamSession session = std::move(it->second.session);
  lru_.erase(it->second.lru);
  entries_.erase(it);
  return session;
}

SessionCache::InFlight SessionCache::Release(std::map<std::uint64_t, InFlight>::iterator it) {
  InFlight flight = std::move(it->second);
  if (flight.consumed_key) {
    const auto claim = in_use_.find(*flight.consumed_key);
    if (claim != in_use_.end() && claim->second == it->first) in_use_.erase(claim);
  }
  in_flight_.erase(it);
  return flight;
}

}  // namespace chat
