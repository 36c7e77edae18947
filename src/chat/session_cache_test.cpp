// Tests of the session-affinity cache (with a fake clock) and of the SHA-256 behind its keys.
#include "chat/session_cache.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "chat/hashing.hpp"

namespace chat {
namespace {

using std::chrono::seconds;

Message Msg(Role role, std::string content, std::string tool_call_id = "") {
  return Message{role, std::move(content), "", std::move(tool_call_id)};
}
Message System(std::string content) { return Msg(Role::kSystem, std::move(content)); }
Message User(std::string content) { return Msg(Role::kUser, std::move(content)); }
Message Assistant(std::string content) { return Msg(Role::kAssistant, std::move(content)); }

ChatRequest Request(std::vector<Message> messages, ConversationHints hints = {}) {
  ChatRequest request;
  request.messages = std::move(messages);
  request.hints = std::move(hints);
  return request;
}

UpstreamSession Session(std::string id, int instance = 0, std::uint64_t generation = 1) {
  return UpstreamSession{std::move(id), instance, generation};
}

ConversationHints SessionHeader(std::string id, std::string agent = "") {
  ConversationHints hints;
  hints.session_header = std::move(id);
  hints.agent_header = std::move(agent);
  return hints;
}

using Sessions = std::vector<UpstreamSession>;

constexpr std::string_view kScope = "key-a";

class SessionCacheTest : public ::testing::Test {
 protected:
  SessionCache MakeCache(SessionCacheOptions options = {}) {
    return SessionCache(options, [this] { return now_; });
  }

  SessionLookup Begin(SessionCache& cache, const ChatRequest& request,
                      std::string_view scope = kScope) {
    return cache.Begin(scope, request, [this](int instance) -> std::optional<std::uint64_t> {
      const auto it = generations_.find(instance);
      if (it == generations_.end()) return std::nullopt;
      return it->second;
    });
  }

  // One complete turn: lookup, then a commit with what Lingma reported.
  SessionLookup Turn(SessionCache& cache, const ChatRequest& request, const UpstreamSession& used,
                     std::string_view answer, std::string_view scope = kScope) {
    SessionLookup lookup = Begin(cache, request, scope);
    last_commit_ = cache.Commit(lookup.ticket, used, answer);
    return lookup;
  }

  std::chrono::steady_clock::time_point now_{};
  std::map<int, std::uint64_t> generations_{{0, 1}, {1, 1}, {2, 1}};
  Sessions last_commit_;
};

// A two-turn conversation, committed: turn 1 on "s1" answered "Paris.".
const std::vector<Message> kTurn1 = {System("Be terse."), User("Capital of France?")};
const std::vector<Message> kTurn2 = {System("Be terse."), User("Capital of France?"),
                                     Assistant("Paris."), User("And of Italy?")};

TEST_F(SessionCacheTest, FirstTurnIsAMiss) {
  SessionCache cache = MakeCache();
  const SessionLookup lookup = Begin(cache, Request(kTurn1));
  EXPECT_EQ(lookup.outcome, SessionOutcome::kMiss);
  EXPECT_EQ(lookup.reason, "no earlier turn");
  EXPECT_FALSE(lookup.session.has_value());
  EXPECT_TRUE(lookup.abandoned.empty());
  EXPECT_NE(lookup.ticket, 0u);
}

TEST_F(SessionCacheTest, SecondTurnHitsTheSessionLingmaReportedAtCommit) {
  SessionCache cache = MakeCache();
  // Asked for "asked-1", Lingma answered on "lingma-1": the cache must store the latter.
  Turn(cache, Request(kTurn1), Session("lingma-1", 1), "Paris.");
  EXPECT_TRUE(last_commit_.empty());

  const SessionLookup second = Begin(cache, Request(kTurn2));
  EXPECT_EQ(second.outcome, SessionOutcome::kHit);
  EXPECT_EQ(second.reason, "cached session");
  ASSERT_TRUE(second.session.has_value());
  EXPECT_EQ(*second.session, Session("lingma-1", 1));
  EXPECT_TRUE(second.abandoned.empty());

  // Lingma moves the conversation to another session: the old one is stale, the new one stored.
  EXPECT_EQ(cache.Commit(second.ticket, Session("lingma-2", 1), "Rome."),
            Sessions{Session("lingma-1", 1)});
  std::vector<Message> turn3 = kTurn2;
  turn3.push_back(Assistant("Rome."));
  turn3.push_back(User("And of Spain?"));
  const SessionLookup third = Begin(cache, Request(turn3));
  EXPECT_EQ(third.outcome, SessionOutcome::kHit);
  EXPECT_EQ(third.session, Session("lingma-2", 1));
}

TEST_F(SessionCacheTest, ContinuingTheSameSessionReturnsNothingToDelete) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  const SessionLookup second = Turn(cache, Request(kTurn2), Session("s1"), "Rome.");
  EXPECT_EQ(second.outcome, SessionOutcome::kHit);
  EXPECT_TRUE(last_commit_.empty());
  EXPECT_EQ(cache.stats().entries, 1u);
}

TEST_F(SessionCacheTest, WhitespaceReformattedAnswerStillHits) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1"), "Paris is the capital.\n\nIt lies on the Seine.\n");
  const SessionLookup lookup =
      Begin(cache, Request({System("Be terse."), User("Capital of France?"),
                            Assistant("  Paris is the capital. It lies\r\n on\tthe   Seine."),
                            User("And of Italy?")}));
  EXPECT_EQ(lookup.outcome, SessionOutcome::kHit);
  EXPECT_EQ(lookup.session, Session("s1"));
}

TEST_F(SessionCacheTest, WhitespaceInsideWordsIsNotIgnored) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  const SessionLookup lookup =
      Begin(cache, Request({System("Be terse."), User("Capital of France?"), Assistant("Par is."),
                            User("And of Italy?")}));
  EXPECT_EQ(lookup.outcome, SessionOutcome::kFork);
  EXPECT_EQ(lookup.reason, "answer differs");
}

TEST_F(SessionCacheTest, EditedAnswerForksAndAbandonsTheSession) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  const SessionLookup lookup =
      Begin(cache, Request({System("Be terse."), User("Capital of France?"),
                            Assistant("Paris, on the Seine."), User("And of Italy?")}));
  EXPECT_EQ(lookup.outcome, SessionOutcome::kFork);
  EXPECT_EQ(lookup.reason, "answer differs");
  EXPECT_FALSE(lookup.session.has_value());
  EXPECT_EQ(lookup.abandoned, Sessions{Session("s1")});
  EXPECT_EQ(cache.stats().entries, 0u);

  // The abandoned session is gone for the original branch too.
  const SessionLookup original = Begin(cache, Request(kTurn2));
  EXPECT_EQ(original.outcome, SessionOutcome::kMiss);
  EXPECT_EQ(original.reason, "no cached session");
}

TEST_F(SessionCacheTest, AnswerFromElsewhereForks) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  // The client regenerated turn 1 somewhere else and continues from that answer.
  const SessionLookup lookup =
      Begin(cache, Request({System("Be terse."), User("Capital of France?"),
                            Assistant("The capital of France is Paris."), User("And of Italy?")}));
  EXPECT_EQ(lookup.outcome, SessionOutcome::kFork);
  EXPECT_EQ(lookup.reason, "answer differs");
  EXPECT_EQ(lookup.abandoned, Sessions{Session("s1")});
}

TEST_F(SessionCacheTest, RegeneratedTurnReplacesTheEntry) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  // The client asks the gateway to regenerate turn 1: a new session with a new answer replaces
  // the old entry, whose session is returned for deletion.
  const SessionLookup again = Turn(cache, Request(kTurn1), Session("s2"), "It is Paris.");
  EXPECT_EQ(again.outcome, SessionOutcome::kMiss);
  EXPECT_EQ(last_commit_, Sessions{Session("s1")});

  const SessionLookup old_branch = Begin(cache, Request(kTurn2));
  EXPECT_EQ(old_branch.outcome, SessionOutcome::kFork);
  EXPECT_EQ(old_branch.reason, "answer differs");
  EXPECT_EQ(old_branch.abandoned, Sessions{Session("s2")});
}

TEST_F(SessionCacheTest, RegeneratedAnswerContinues) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  Turn(cache, Request(kTurn1), Session("s2"), "It is Paris.");
  const SessionLookup lookup =
      Begin(cache, Request({System("Be terse."), User("Capital of France?"),
                            Assistant("It is Paris."), User("And of Italy?")}));
  EXPECT_EQ(lookup.outcome, SessionOutcome::kHit);
  EXPECT_EQ(lookup.session, Session("s2"));
}

// Three turns stored: kTurn1 → "Paris.", kTurn2 → "Rome."; turn 3 continues.
std::vector<Message> Turn3(std::string first_question = "Capital of France?",
                           std::string second_question = "And of Italy?") {
  return {System("Be terse."), User(std::move(first_question)),
          Assistant("Paris."), User(std::move(second_question)),
          Assistant("Rome."),  User("And of Spain?")};
}

TEST_F(SessionCacheTest, EditedEarlierUserMessageMissesUnderPrefixIdentity) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  Turn(cache, Request(kTurn2), Session("s1"), "Rome.");
  const SessionLookup lookup = Begin(cache, Request(Turn3("Capital of France?", "And of Peru?")));
  EXPECT_EQ(lookup.outcome, SessionOutcome::kMiss);
  EXPECT_EQ(lookup.reason, "no cached session");
  EXPECT_TRUE(lookup.abandoned.empty());
  EXPECT_EQ(cache.stats().entries, 1u);  // the unedited branch may still come back

  const SessionLookup unedited = Begin(cache, Request(Turn3()));
  EXPECT_EQ(unedited.outcome, SessionOutcome::kHit);
}

TEST_F(SessionCacheTest, EditedEarlierUserMessageForksUnderExplicitId) {
  SessionCache cache = MakeCache();
  const ConversationHints hints = SessionHeader("cc-1");
  Turn(cache, Request(kTurn1, hints), Session("s1"), "Paris.");
  Turn(cache, Request(kTurn2, hints), Session("s1"), "Rome.");
  const SessionLookup lookup =
      Begin(cache, Request(Turn3("Capital of France?", "And of Peru?"), hints));
  EXPECT_EQ(lookup.outcome, SessionOutcome::kFork);
  EXPECT_EQ(lookup.reason, "history diverged");
  EXPECT_FALSE(lookup.session.has_value());
  EXPECT_EQ(lookup.abandoned, Sessions{Session("s1")});
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST_F(SessionCacheTest, EditedOpeningIsAnotherConversationUnderExplicitId) {
  // The opening (messages up to the first user message) is part of an explicit key.
  SessionCache cache = MakeCache();
  const ConversationHints hints = SessionHeader("cc-1");
  Turn(cache, Request(kTurn1, hints), Session("s1"), "Paris.");
  Turn(cache, Request(kTurn2, hints), Session("s1"), "Rome.");
  const SessionLookup lookup =
      Begin(cache, Request(Turn3("Capital of Germany?", "And of Italy?"), hints));
  EXPECT_EQ(lookup.outcome, SessionOutcome::kMiss);
  EXPECT_EQ(lookup.reason, "no cached session");
  EXPECT_EQ(cache.stats().entries, 1u);
}

TEST_F(SessionCacheTest, InsertedAssistantTurnForks) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  Turn(cache, Request(kTurn2), Session("s1"), "Rome.");
  // Same user messages, same last answer, but an assistant turn the session never saw.
  const SessionLookup lookup =
      Begin(cache, Request({System("Be terse."), User("Capital of France?"), Assistant("Paris."),
                            User("And of Italy?"), Assistant("Hmm."), Assistant("Rome."),
                            User("And of Spain?")}));
  EXPECT_EQ(lookup.outcome, SessionOutcome::kFork);
  EXPECT_EQ(lookup.reason, "history diverged");
  EXPECT_EQ(lookup.abandoned, Sessions{Session("s1")});
}

TEST_F(SessionCacheTest, RemovedAssistantTurnForks) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  Turn(cache, Request(kTurn2), Session("s1"), "Rome.");
  const SessionLookup lookup =
      Begin(cache, Request({System("Be terse."), User("Capital of France?"), User("And of Italy?"),
                            Assistant("Rome."), User("And of Spain?")}));
  EXPECT_EQ(lookup.outcome, SessionOutcome::kFork);
  EXPECT_EQ(lookup.reason, "history diverged");
}

TEST_F(SessionCacheTest, ToolResultsContinueAndAreCompared) {
  SessionCache cache = MakeCache();
  Turn(cache, Request({User("What is 6*7? Use the calculator.")}), Session("s1"),
       "Calling calculator.");
  const std::vector<Message> with_result = {User("What is 6*7? Use the calculator."),
                                            Assistant("Calling calculator."),
                                            Msg(Role::kTool, "42", "call_1")};
  const SessionLookup second = Turn(cache, Request(with_result), Session("s1"), "It is 42.");
  EXPECT_EQ(second.outcome, SessionOutcome::kHit);

  std::vector<Message> next = with_result;
  next.push_back(Assistant("It is 42."));
  next.push_back(User("Thanks."));
  std::vector<Message> other_result = next;
  other_result[2].content = "41";
  const SessionLookup changed = Begin(cache, Request(other_result));
  EXPECT_EQ(changed.outcome, SessionOutcome::kMiss);
  const SessionLookup same = Begin(cache, Request(next));
  EXPECT_EQ(same.outcome, SessionOutcome::kHit);
  EXPECT_EQ(same.session, Session("s1"));
}

TEST_F(SessionCacheTest, RequestEndingWithAnAssistantMessageIsAMiss) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  const SessionLookup lookup =
      Begin(cache, Request({System("Be terse."), User("Capital of France?"), Assistant("Paris.")}));
  EXPECT_EQ(lookup.outcome, SessionOutcome::kMiss);
  EXPECT_EQ(lookup.reason, "ends with an assistant message");
  EXPECT_EQ(cache.stats().entries, 1u);
}

// Each explicit hint kind, by itself, identifies the conversation.
class SessionCacheHintTest : public SessionCacheTest, public ::testing::WithParamInterface<int> {
 protected:
  static ConversationHints Hint(int kind, std::string id) {
    ConversationHints hints;
    switch (kind) {
      case 0:
        hints.session_header = std::move(id);
        break;
      case 1:
        hints.prompt_cache_key = std::move(id);
        break;
      case 2:
        hints.metadata_user_id = std::move(id);
        break;
      default:
        hints.user = std::move(id);
        break;
    }
    return hints;
  }
};

TEST_P(SessionCacheHintTest, IdentifiesTheConversation) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1, Hint(GetParam(), "id-1")), Session("s1"), "Paris.");
  EXPECT_EQ(Begin(cache, Request(kTurn2)).outcome, SessionOutcome::kMiss);  // no hint: prefix key
  EXPECT_EQ(Begin(cache, Request(kTurn2, Hint(GetParam(), "id-2"))).outcome, SessionOutcome::kMiss);
  EXPECT_EQ(Begin(cache, Request(kTurn2, Hint((GetParam() + 1) % 4, "id-1"))).outcome,
            SessionOutcome::kMiss);  // the same string in another hint is another id
  const SessionLookup lookup = Begin(cache, Request(kTurn2, Hint(GetParam(), "id-1")));
  EXPECT_EQ(lookup.outcome, SessionOutcome::kHit);
  EXPECT_EQ(lookup.session, Session("s1"));
}

TEST_P(SessionCacheHintTest, SeparatesConversationsWithEqualPrefixes) {
  // Without ids these two would share one key (and the second commit would replace the first).
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1, Hint(GetParam(), "a")), Session("sa"), "Paris.");
  Turn(cache, Request(kTurn1, Hint(GetParam(), "b")), Session("sb"), "Paris!");
  EXPECT_TRUE(last_commit_.empty());
  EXPECT_EQ(Begin(cache, Request(kTurn2, Hint(GetParam(), "a"))).session, Session("sa"));
  const SessionLookup b = Begin(cache, Request({System("Be terse."), User("Capital of France?"),
                                                Assistant("Paris!"), User("And of Italy?")},
                                               Hint(GetParam(), "b")));
  EXPECT_EQ(b.session, Session("sb"));
}

std::string HintName(const ::testing::TestParamInfo<int>& info) {
  static const char* const kNames[] = {"SessionHeader", "PromptCacheKey", "MetadataUserId", "User"};
  return kNames[info.param];
}

INSTANTIATE_TEST_SUITE_P(SessionCacheHintKinds, SessionCacheHintTest, ::testing::Values(0, 1, 2, 3),
                         HintName);

TEST_F(SessionCacheTest, HintPrecedence) {
  // session header > prompt_cache_key > metadata.user_id > user: only the first present counts.
  auto hints = [](std::string session, std::string cache_key, std::string metadata,
                  std::string user) {
    ConversationHints result;
    result.session_header = std::move(session);
    result.prompt_cache_key = std::move(cache_key);
    result.metadata_user_id = std::move(metadata);
    result.user = std::move(user);
    return result;
  };
  const std::vector<std::vector<ConversationHints>> cases = {
      // {stored with, continues with (hit), does not continue with (miss)}
      {hints("S", "P", "M", "U"), hints("S", "p", "m", "u"), hints("s", "P", "M", "U")},
      {hints("", "P", "M", "U"), hints("", "P", "m", "u"), hints("", "p", "M", "U")},
      {hints("", "", "M", "U"), hints("", "", "M", "u"), hints("", "", "m", "U")},
      {hints("", "", "", "U"), hints("", "", "", "U"), hints("", "", "", "u")},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    SessionCache cache = MakeCache();
    Turn(cache, Request(kTurn1, cases[i][0]), Session("s1"), "Paris.");
    const SessionLookup miss = Begin(cache, Request(kTurn2, cases[i][2]));
    EXPECT_EQ(miss.outcome, SessionOutcome::kMiss);
    const SessionLookup hit = Begin(cache, Request(kTurn2, cases[i][1]));
    EXPECT_EQ(hit.outcome, SessionOutcome::kHit);
  }
}

TEST_F(SessionCacheTest, AgentHeaderSeparatesSubAgents) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1, SessionHeader("cc-1")), Session("main"), "Paris.");
  Turn(cache, Request(kTurn1, SessionHeader("cc-1", "agent-7")), Session("sub"), "PARIS");
  EXPECT_TRUE(last_commit_.empty());  // the sub-agent did not replace the main conversation
  EXPECT_EQ(cache.stats().entries, 2u);

  const SessionLookup main = Begin(cache, Request(kTurn2, SessionHeader("cc-1")));
  EXPECT_EQ(main.outcome, SessionOutcome::kHit);
  EXPECT_EQ(main.session, Session("main"));
  const SessionLookup sub = Begin(cache, Request({System("Be terse."), User("Capital of France?"),
                                                  Assistant("PARIS"), User("And of Italy?")},
                                                 SessionHeader("cc-1", "agent-7")));
  EXPECT_EQ(sub.outcome, SessionOutcome::kHit);
  EXPECT_EQ(sub.session, Session("sub"));
}

TEST_F(SessionCacheTest, SideRequestUnderTheSameIdLeavesTheConversationAlone) {
  // Clients send title or summary requests under the conversation's id, with another opening.
  SessionCache cache = MakeCache();
  const ConversationHints hints = SessionHeader("cc-1");
  Turn(cache, Request(kTurn1, hints), Session("s1"), "Paris.");
  Turn(cache, Request({System("Write a title."), User("Capital of France?")}, hints),
       Session("title"), "French capital");
  EXPECT_TRUE(last_commit_.empty());
  const SessionLookup lookup = Begin(cache, Request(kTurn2, hints));
  EXPECT_EQ(lookup.outcome, SessionOutcome::kHit);
  EXPECT_EQ(lookup.session, Session("s1"));
}

TEST_F(SessionCacheTest, ScopesNeverShareSessions) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("a1"), "Paris.", "key-a");
  Turn(cache, Request(kTurn1, SessionHeader("cc-1")), Session("a2"), "Paris.", "key-a");
  EXPECT_EQ(Begin(cache, Request(kTurn2), "key-b").outcome, SessionOutcome::kMiss);
  EXPECT_EQ(Begin(cache, Request(kTurn2, SessionHeader("cc-1")), "key-b").outcome,
            SessionOutcome::kMiss);
  EXPECT_EQ(cache.stats().entries, 2u);  // a miss in one scope leaves the other's entries
  EXPECT_EQ(Begin(cache, Request(kTurn2), "key-a").session, Session("a1"));
  EXPECT_EQ(Begin(cache, Request(kTurn2, SessionHeader("cc-1")), "key-a").session, Session("a2"));
}

TEST_F(SessionCacheTest, ScopeBoundaryIsUnambiguous) {
  // The scope is length-prefixed: moving bytes between scope and id must not collide.
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1, SessionHeader("bc")), Session("s1"), "Paris.", "a");
  EXPECT_EQ(Begin(cache, Request(kTurn2, SessionHeader("c")), "ab").outcome, SessionOutcome::kMiss);
}

TEST_F(SessionCacheTest, ConcurrentContinuationGetsAFreshSession) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  const SessionLookup first = Begin(cache, Request(kTurn2));
  std::vector<Message> other_branch = kTurn2;
  other_branch.back().content = "And of Peru?";
  const SessionLookup second = Begin(cache, Request(other_branch));
  EXPECT_EQ(first.outcome, SessionOutcome::kHit);
  EXPECT_EQ(second.outcome, SessionOutcome::kFork);
  EXPECT_EQ(second.reason, "in use by a concurrent request");
  EXPECT_FALSE(second.session.has_value());
  EXPECT_TRUE(second.abandoned.empty());  // the session is busy, not abandoned
  EXPECT_EQ(cache.stats().in_flight, 2u);

  // Both branches are stored and continue independently.
  EXPECT_TRUE(cache.Commit(second.ticket, Session("s2"), "Lima.").empty());
  EXPECT_TRUE(cache.Commit(first.ticket, Session("s1"), "Rome.").empty());
  EXPECT_EQ(cache.stats().entries, 2u);
  std::vector<Message> peru = other_branch;
  peru.push_back(Assistant("Lima."));
  peru.push_back(User("Thanks."));
  EXPECT_EQ(Begin(cache, Request(peru)).session, Session("s2"));
  EXPECT_EQ(Begin(cache, Request(Turn3())).session, Session("s1"));
}

TEST_F(SessionCacheTest, ConcurrentContinuationUnderExplicitIdLastCommitWins) {
  SessionCache cache = MakeCache();
  const ConversationHints hints = SessionHeader("cc-1");
  Turn(cache, Request(kTurn1, hints), Session("s1"), "Paris.");
  const SessionLookup first = Begin(cache, Request(kTurn2, hints));
  const SessionLookup second = Begin(cache, Request(kTurn2, hints));
  EXPECT_EQ(first.outcome, SessionOutcome::kHit);
  EXPECT_EQ(second.outcome, SessionOutcome::kFork);
  EXPECT_EQ(second.reason, "in use by a concurrent request");
  EXPECT_TRUE(cache.Commit(second.ticket, Session("s2"), "Rome.").empty());
  // The same key: the later commit replaces the earlier entry, whose session is returned.
  EXPECT_EQ(cache.Commit(first.ticket, Session("s1"), "Rome!"), Sessions{Session("s2")});
  const SessionLookup next =
      Begin(cache, Request({System("Be terse."), User("Capital of France?"), Assistant("Paris."),
                            User("And of Italy?"), Assistant("Rome!"), User("And of Spain?")},
                           hints));
  EXPECT_EQ(next.session, Session("s1"));
}

TEST_F(SessionCacheTest, ConcurrentFirstTurnsLastCommitWins) {
  SessionCache cache = MakeCache();
  const SessionLookup first = Begin(cache, Request(kTurn1));
  const SessionLookup second = Begin(cache, Request(kTurn1));
  EXPECT_NE(first.ticket, second.ticket);
  EXPECT_TRUE(cache.Commit(first.ticket, Session("s1"), "Paris.").empty());
  EXPECT_EQ(cache.Commit(second.ticket, Session("s2"), "Paris."), Sessions{Session("s1")});
  EXPECT_EQ(Begin(cache, Request(kTurn2)).session, Session("s2"));
}

TEST_F(SessionCacheTest, ReleasedClaimIsNoLongerInUse) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  const SessionLookup first = Begin(cache, Request(kTurn2));
  cache.Abort(first.ticket, Session("s1"));
  const SessionLookup later = Begin(cache, Request(kTurn2));
  EXPECT_EQ(later.outcome, SessionOutcome::kMiss);
  EXPECT_EQ(later.reason, "no cached session");
}

TEST_F(SessionCacheTest, AbortStoresNothingAndReturnsTheSessions) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  const SessionLookup hit = Begin(cache, Request(kTurn2));
  ASSERT_EQ(hit.outcome, SessionOutcome::kHit);
  EXPECT_EQ(cache.Abort(hit.ticket, Session("s1")), Sessions{Session("s1")});
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().in_flight, 0u);
  EXPECT_EQ(Begin(cache, Request(kTurn2)).outcome, SessionOutcome::kMiss);

  // A failed first turn: its fresh session is returned, nothing is stored.
  const SessionLookup miss = Begin(cache, Request(kTurn1));
  EXPECT_EQ(cache.Abort(miss.ticket, Session("fresh")), Sessions{Session("fresh")});
  EXPECT_EQ(cache.Abort(Begin(cache, Request(kTurn1)).ticket, std::nullopt), Sessions{});
  EXPECT_EQ(Begin(cache, Request(kTurn2)).outcome, SessionOutcome::kMiss);
}

TEST_F(SessionCacheTest, AbortReturnsTheConsumedSessionToo) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  const SessionLookup hit = Begin(cache, Request(kTurn2));
  EXPECT_EQ(cache.Abort(hit.ticket, Session("moved")), (Sessions{Session("moved"), Session("s1")}));

  Turn(cache, Request(kTurn1), Session("s2"), "Paris.");
  const SessionLookup failed_early = Begin(cache, Request(kTurn2));
  EXPECT_EQ(cache.Abort(failed_early.ticket, std::nullopt), Sessions{Session("s2")});
}

TEST_F(SessionCacheTest, CommitAfterAbortIsImpossible) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  const SessionLookup hit = Begin(cache, Request(kTurn2));
  cache.Abort(hit.ticket, Session("s1"));
  EXPECT_TRUE(cache.Commit(hit.ticket, Session("s1"), "Rome.").empty());
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(Begin(cache, Request(Turn3())).outcome, SessionOutcome::kMiss);
  // Neither can a ticket end twice, nor an unknown ticket do anything.
  EXPECT_TRUE(cache.Abort(hit.ticket, Session("s1")).empty());
  EXPECT_TRUE(cache.Commit(0, Session("x"), "Rome.").empty());
  EXPECT_TRUE(cache.Commit(12345, Session("x"), "Rome.").empty());
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST_F(SessionCacheTest, SecondCommitOfATicketDoesNothing) {
  SessionCache cache = MakeCache();
  const SessionLookup first = Begin(cache, Request(kTurn1));
  EXPECT_TRUE(cache.Commit(first.ticket, Session("s1"), "Paris.").empty());
  EXPECT_TRUE(cache.Commit(first.ticket, Session("s2"), "Paris?").empty());
  EXPECT_TRUE(cache.Abort(first.ticket, Session("s1")).empty());  // never delete a stored session
  EXPECT_EQ(Begin(cache, Request(kTurn2)).session, Session("s1"));
}

TEST_F(SessionCacheTest, CommitWithoutASessionIdStoresNothing) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session(""), "Paris.");
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST_F(SessionCacheTest, LruEvictionAtMaxEntriesReturnsTheEvictedSession) {
  SessionCache cache = MakeCache({.max_entries = 3});
  auto question = [](int i) { return std::vector<Message>{User("Question " + std::to_string(i))}; };
  auto follow_up = [](int i) {
    return std::vector<Message>{User("Question " + std::to_string(i)), Assistant("Answer"),
                                User("More")};
  };
  // Begun in order 0..3 but committed 1, 0, 2, 3: recency is by commit.
  std::vector<SessionLookup> lookups;
  for (int i = 0; i < 4; ++i) lookups.push_back(Begin(cache, Request(question(i))));
  EXPECT_TRUE(cache.Commit(lookups[1].ticket, Session("s1"), "Answer").empty());
  EXPECT_TRUE(cache.Commit(lookups[0].ticket, Session("s0"), "Answer").empty());
  EXPECT_TRUE(cache.Commit(lookups[2].ticket, Session("s2"), "Answer").empty());
  EXPECT_EQ(cache.Commit(lookups[3].ticket, Session("s3"), "Answer"), Sessions{Session("s1")});
  EXPECT_EQ(cache.stats().entries, 3u);
  EXPECT_EQ(cache.stats().evictions, 1u);

  EXPECT_EQ(Begin(cache, Request(follow_up(1))).outcome, SessionOutcome::kMiss);
  EXPECT_EQ(Begin(cache, Request(follow_up(0))).session, Session("s0"));
  EXPECT_EQ(Begin(cache, Request(follow_up(2))).session, Session("s2"));
  EXPECT_EQ(Begin(cache, Request(follow_up(3))).session, Session("s3"));
}

TEST_F(SessionCacheTest, LiveBeforeTtl) {
  SessionCache cache = MakeCache({.ttl = seconds(60)});
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  now_ += seconds(59);
  EXPECT_TRUE(cache.Expire().empty());
  EXPECT_EQ(Begin(cache, Request(kTurn2)).outcome, SessionOutcome::kHit);
}

TEST_F(SessionCacheTest, ExpiredEntryFoundByLookupIsAMissAndAbandoned) {
  SessionCache cache = MakeCache({.ttl = seconds(60)});
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  now_ += seconds(60);
  const SessionLookup lookup = Begin(cache, Request(kTurn2));
  EXPECT_EQ(lookup.outcome, SessionOutcome::kMiss);
  EXPECT_EQ(lookup.reason, "expired");
  EXPECT_EQ(lookup.abandoned, Sessions{Session("s1")});
  EXPECT_EQ(cache.stats().expirations, 1u);
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST_F(SessionCacheTest, ExpireReturnsOnlyExpiredEntries) {
  SessionCache cache = MakeCache({.ttl = seconds(60)});
  Turn(cache, Request(kTurn1), Session("old"), "Paris.");
  now_ += seconds(30);
  Turn(cache, Request({User("Hello")}), Session("young"), "Hi.");
  now_ += seconds(30);
  EXPECT_EQ(cache.Expire(), Sessions{Session("old")});
  EXPECT_TRUE(cache.Expire().empty());
  EXPECT_EQ(cache.stats().expirations, 1u);
  EXPECT_EQ(Begin(cache, Request(kTurn2)).outcome, SessionOutcome::kMiss);
  EXPECT_EQ(Begin(cache, Request({User("Hello"), Assistant("Hi."), User("Bye")})).session,
            Session("young"));
}

TEST_F(SessionCacheTest, TtlCountsFromTheLastUse) {
  SessionCache cache = MakeCache({.ttl = seconds(60)});
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  now_ += seconds(50);
  Turn(cache, Request(kTurn2), Session("s1"), "Rome.");  // stored again, stamped now
  now_ += seconds(50);
  EXPECT_TRUE(cache.Expire().empty());
  EXPECT_EQ(Begin(cache, Request(Turn3())).outcome, SessionOutcome::kHit);
}

TEST_F(SessionCacheTest, ExpireDropsForgottenTickets) {
  SessionCache cache = MakeCache({.ttl = seconds(60)});
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");
  const SessionLookup forgotten = Begin(cache, Request(kTurn2));
  ASSERT_EQ(forgotten.outcome, SessionOutcome::kHit);
  now_ += seconds(30);
  const SessionLookup recent = Begin(cache, Request({User("Hello")}));
  EXPECT_EQ(cache.stats().in_flight, 2u);
  now_ += seconds(30);
  EXPECT_TRUE(cache.Expire().empty());  // a stuck request may still use its session
  EXPECT_EQ(cache.stats().in_flight, 1u);
  // Its claim is gone too: the conversation is no longer "in use".
  EXPECT_EQ(Begin(cache, Request(kTurn2)).reason, "no cached session");
  EXPECT_TRUE(cache.Commit(forgotten.ticket, Session("s1"), "Rome.").empty());
  EXPECT_EQ(cache.stats().entries, 0u);
  cache.Commit(recent.ticket, Session("s2"), "Hi.");
  EXPECT_EQ(cache.stats().entries, 1u);
}

TEST_F(SessionCacheTest, RestartedInstanceIsAMissNotAHit) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1", 1, 1), "Paris.");
  generations_[1] = 2;
  const SessionLookup lookup = Begin(cache, Request(kTurn2));
  EXPECT_EQ(lookup.outcome, SessionOutcome::kMiss);
  EXPECT_EQ(lookup.reason, "instance restarted");
  EXPECT_FALSE(lookup.session.has_value());
  EXPECT_TRUE(lookup.abandoned.empty());  // the session died with the process
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST_F(SessionCacheTest, UnavailableInstanceIsAMiss) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1", 2, 1), "Paris.");
  generations_.erase(2);
  const SessionLookup lookup = Begin(cache, Request(kTurn2));
  EXPECT_EQ(lookup.outcome, SessionOutcome::kMiss);
  EXPECT_EQ(lookup.reason, "instance unavailable");
  EXPECT_TRUE(lookup.abandoned.empty());
}

TEST_F(SessionCacheTest, InstanceIsCheckedBeforeTheHistory) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1", 1, 1), "Paris.");
  generations_[1] = 2;
  const SessionLookup lookup =
      Begin(cache, Request({System("Be terse."), User("Capital of France?"), Assistant("Lyon."),
                            User("And of Italy?")}));
  EXPECT_EQ(lookup.reason, "instance restarted");
  EXPECT_TRUE(lookup.abandoned.empty());
}

TEST_F(SessionCacheTest, DropInstanceForgetsItsEntries) {
  SessionCache cache = MakeCache();
  Turn(cache, Request(kTurn1), Session("s1", 1), "Paris.");
  Turn(cache, Request({User("Hello")}), Session("s0", 0), "Hi.");
  Turn(cache, Request({User("Bonjour")}), Session("s1b", 1), "Salut.");
  cache.DropInstance(1);
  EXPECT_EQ(cache.stats().entries, 1u);
  EXPECT_EQ(Begin(cache, Request(kTurn2)).reason, "no cached session");
  EXPECT_EQ(Begin(cache, Request({User("Hello"), Assistant("Hi."), User("Bye")})).session,
            Session("s0", 0));
  EXPECT_TRUE(cache.Expire().empty());  // nothing of instance 1 is left to expire either
}

TEST_F(SessionCacheTest, DisabledIsOff) {
  SessionCache cache = MakeCache({.enabled = false});
  const SessionLookup first = Begin(cache, Request(kTurn1));
  EXPECT_EQ(first.outcome, SessionOutcome::kOff);
  EXPECT_EQ(first.reason, "session reuse disabled");
  EXPECT_NE(first.ticket, 0u);
  EXPECT_TRUE(cache.Commit(first.ticket, Session("s1"), "Paris.").empty());
  const SessionLookup second = Begin(cache, Request(kTurn2));
  EXPECT_EQ(second.outcome, SessionOutcome::kOff);
  EXPECT_FALSE(second.session.has_value());
  EXPECT_NE(second.ticket, first.ticket);
  EXPECT_TRUE(cache.Abort(second.ticket, Session("s2")).empty());
  const SessionCache::Stats stats = cache.stats();
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.in_flight, 0u);
  EXPECT_EQ(stats.hits + stats.misses + stats.forks, 0u);
}

TEST_F(SessionCacheTest, OutcomeNames) {
  EXPECT_STREQ(ToString(SessionOutcome::kHit), "hit");
  EXPECT_STREQ(ToString(SessionOutcome::kMiss), "miss");
  EXPECT_STREQ(ToString(SessionOutcome::kFork), "fork");
  EXPECT_STREQ(ToString(SessionOutcome::kOff), "off");
}

TEST_F(SessionCacheTest, StatsCountEveryOutcome) {
  SessionCache cache = MakeCache({.max_entries = 2, .ttl = seconds(60)});
  Turn(cache, Request(kTurn1), Session("s1"), "Paris.");     // miss
  const SessionLookup hit = Begin(cache, Request(kTurn2));   // hit
  const SessionLookup busy = Begin(cache, Request(kTurn2));  // fork (in use)
  EXPECT_EQ(cache.stats().in_flight, 2u);
  cache.Commit(hit.ticket, Session("s1"), "Rome.");
  cache.Abort(busy.ticket, std::nullopt);
  Begin(cache, Request({System("Be terse."), User("Capital of France?"), Assistant("Paris."),
                        User("And of Italy?"), Assistant("Milan."), User("And of Spain?")}));
  // fork (answer differs); its ticket is left open
  Turn(cache, Request({User("a")}), Session("a"), "A");  // miss
  Turn(cache, Request({User("b")}), Session("b"), "B");  // miss
  Turn(cache, Request({User("c")}), Session("c"), "C");  // miss, evicts "a"
  now_ += seconds(60);
  cache.Expire();  // expires "b" and "c", and the open ticket

  const SessionCache::Stats stats = cache.stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 4u);
  EXPECT_EQ(stats.forks, 2u);
  EXPECT_EQ(stats.evictions, 1u);
  EXPECT_EQ(stats.expirations, 2u);
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.in_flight, 0u);
}

// Many conversations interleaved at random, under every kind of identity, several turns in flight
// at once: every follow-up turn hits its own conversation's latest session, and nothing is ever
// returned for deletion except that conversation's own superseded session.
TEST_F(SessionCacheTest, InterleavedConversationsNeverCross) {
  constexpr int kConversations = 50;
  constexpr int kTurns = 5;
  SessionCache cache = MakeCache();
  std::mt19937 random(20240607);

  struct Conversation {
    std::string scope;
    ConversationHints hints;
    std::vector<Message> messages;  // the next request
    int turns_done = 0;
    std::optional<UpstreamSession> session;
    std::optional<std::uint64_t> pending;  // ticket in flight
  };
  std::vector<Conversation> conversations(kConversations);
  for (int i = 0; i < kConversations; ++i) {
    Conversation& c = conversations[i];
    c.scope = "key-" + std::to_string(i % 3);
    // Conversations with an explicit per-conversation id share their opening; the others differ
    // in it (`user` names a person who has several conversations).
    std::string opening = "Hello";
    switch (i % 4) {
      case 0:
        c.hints.session_header = "cc-" + std::to_string(i);
        c.hints.agent_header = i % 8 == 0 ? "agent" : "";
        break;
      case 1:
        c.hints.user = "person-" + std::to_string(i % 5);
        opening += " from conversation " + std::to_string(i);
        break;
      case 2:
        opening += " from conversation " + std::to_string(i);
        break;
      default:
        c.hints.prompt_cache_key = "pck-" + std::to_string(i);
        break;
    }
    c.messages = {System("You are helpful."), User(opening)};
  }

  std::map<std::string, int> owner;  // upstream session id → conversation
  int sessions_made = 0;
  int hits = 0;
  int finished = 0;
  while (finished < kConversations) {
    const int i = static_cast<int>(random() % kConversations);
    Conversation& c = conversations[i];
    if (c.turns_done == kTurns) continue;
    SCOPED_TRACE("conversation " + std::to_string(i) + ", turn " +
                 std::to_string(c.turns_done + 1));
    if (!c.pending) {
      const SessionLookup lookup = Begin(cache, Request(c.messages, c.hints), c.scope);
      EXPECT_TRUE(lookup.abandoned.empty());
      if (c.turns_done == 0) {
        EXPECT_EQ(lookup.outcome, SessionOutcome::kMiss);
      } else {
        EXPECT_EQ(lookup.outcome, SessionOutcome::kHit) << lookup.reason;
        EXPECT_EQ(lookup.session, c.session);
        hits += lookup.outcome == SessionOutcome::kHit;
      }
      c.pending = lookup.ticket;
      continue;
    }
    // Lingma sometimes moves to a new session and the instance may differ on a fresh session.
    UpstreamSession used;
    if (c.session && random() % 3 != 0) {
      used = *c.session;
    } else {
      used = Session("u" + std::to_string(sessions_made++), static_cast<int>(random() % 3));
      owner[used.session_id] = i;
    }
    const std::string answer =
        "Answer " + std::to_string(c.turns_done + 1) + "\nof conversation " + std::to_string(i);
    for (const UpstreamSession& stale : cache.Commit(*c.pending, used, answer)) {
      EXPECT_EQ(owner[stale.session_id], i);
      EXPECT_EQ(stale, c.session);
    }
    c.pending.reset();
    c.session = used;
    ++c.turns_done;
    if (c.turns_done == kTurns) {
      ++finished;
      continue;
    }
    // Some clients re-wrap the answer they show.
    std::string echoed = answer;
    if (random() % 2 == 0)
      echoed = "  " + answer.substr(0, answer.find('\n')) + "  " +
               answer.substr(answer.find('\n') + 1) + "\n";
    c.messages.push_back(Assistant(echoed));
    c.messages.push_back(User("Follow-up " + std::to_string(c.turns_done)));
  }
  EXPECT_EQ(hits, kConversations * (kTurns - 1));
  const SessionCache::Stats stats = cache.stats();
  EXPECT_EQ(stats.hits, static_cast<std::uint64_t>(kConversations * (kTurns - 1)));
  EXPECT_EQ(stats.misses, static_cast<std::uint64_t>(kConversations));
  EXPECT_EQ(stats.forks, 0u);
  EXPECT_EQ(stats.entries, static_cast<std::size_t>(kConversations));
  EXPECT_EQ(stats.in_flight, 0u);
}

// SHA-256 against the FIPS 180-4 / NIST examples.
TEST(SessionCacheHashingTest, KnownDigests) {
  auto hex = [](std::string_view text) {
    Sha256 hasher;
    hasher.Update(text);
    return ToHex(hasher.Finish());
  };
  EXPECT_EQ(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(
      hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklm"
          "nopqrlmnopqrsmnopqrstnopqrstu"),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(SessionCacheHashingTest, ChunkingDoesNotMatter) {
  Sha256 hasher;
  const std::string a(1000, 'a');
  for (int i = 0; i < 1000; ++i) hasher.Update(std::string_view(a).substr(0, 1 + i % 7 * 150));
  Sha256 whole;
  std::string all;
  for (int i = 0; i < 1000; ++i) all.append(a.substr(0, 1 + i % 7 * 150));
  whole.Update(all);
  EXPECT_EQ(ToHex(hasher.Finish()), ToHex(whole.Finish()));

  Sha256 million;
  for (int i = 0; i < 1000; ++i) million.Update(a);
  EXPECT_EQ(ToHex(million.Finish()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(SessionCacheHashingTest, FinishIsASnapshot) {
  Sha256 hasher;
  hasher.Update("ab");
  const Sha256::Digest prefix = hasher.Finish();
  hasher.Update("c");
  EXPECT_EQ(ToHex(prefix), "fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603");
  EXPECT_EQ(ToHex(hasher.Finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(SessionCacheHashingTest, FieldsAreUnambiguous) {
  Sha256 ab_c;
  ab_c.UpdateField("ab");
  ab_c.UpdateField("c");
  Sha256 a_bc;
  a_bc.UpdateField("a");
  a_bc.UpdateField("bc");
  EXPECT_NE(Fingerprint::Of(ab_c), Fingerprint::Of(a_bc));
}

TEST(SessionCacheHashingTest, FingerprintIsTheDigestsFirstHalf) {
  Sha256 hasher;
  hasher.Update("abc");
  const Fingerprint fingerprint = Fingerprint::Of(hasher);
  EXPECT_EQ(fingerprint.hi, 0xba7816bf8f01cfeaULL);
  EXPECT_EQ(fingerprint.lo, 0x414140de5dae2223ULL);
}

}  // namespace
}  // namespace chat
