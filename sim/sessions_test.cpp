// Tests for the sim's session histories: turns, aliases and prefill accounting.
#include "sim/sessions.hpp"

#include <gtest/gtest.h>

namespace sim {
namespace {

Sessions::IdGenerator Counter() {
  return [n = 0]() mutable { return "gen-" + std::to_string(++n); };
}

TEST(SessionsTest, EmptyIdAllocatesANewSession) {
  Sessions sessions(Counter());
  const TurnPlan plan = sessions.BeginTurn("", 10, false);
  EXPECT_EQ(plan.session_id, "gen-1");
  EXPECT_EQ(plan.canonical_id, "gen-1");
  EXPECT_EQ(plan.finish_session_id, "gen-1");
  EXPECT_TRUE(plan.new_session);
  EXPECT_EQ(plan.turn, 1);
  EXPECT_EQ(plan.prompt_bytes, 10u);
  EXPECT_EQ(plan.processed_bytes, 10u);
  EXPECT_TRUE(sessions.Knows("gen-1"));
}

TEST(SessionsTest, ContinuationCountsTurnsAndPrefillsOnlyTheQuestion) {
  Sessions sessions(Counter());
  TurnPlan first = sessions.BeginTurn("s1", 100, false);
  sessions.AddAnswer("s1", 40);
  const TurnPlan second = sessions.BeginTurn("s1", 7, false);
  EXPECT_FALSE(second.new_session);
  EXPECT_EQ(second.turn, 2);
  EXPECT_EQ(second.session_id, "s1");
  EXPECT_EQ(second.prompt_bytes, 147u);   // history (100 + 40) + question
  EXPECT_EQ(second.processed_bytes, 7u);  // history is cached upstream
  EXPECT_EQ(first.turn, 1);
}

TEST(SessionsTest, UnknownIdStartsAHistoryUnderThatId) {
  Sessions sessions(Counter());
  const TurnPlan plan = sessions.BeginTurn("client-chosen", 5, false);
  EXPECT_TRUE(plan.new_session);
  EXPECT_EQ(plan.canonical_id, "client-chosen");
  EXPECT_EQ(sessions.size(), 1u);
}

TEST(SessionsTest, FinishAliasContinuesTheSameHistory) {
  Sessions sessions(Counter());
  const TurnPlan first = sessions.BeginTurn("s1", 10, true);
  EXPECT_EQ(first.session_id, "s1");
  EXPECT_EQ(first.finish_session_id, "gen-1");
  sessions.AddAnswer(first.finish_session_id, 20);

  const TurnPlan second = sessions.BeginTurn(first.finish_session_id, 3, true);
  EXPECT_FALSE(second.new_session);
  EXPECT_EQ(second.turn, 2);
  EXPECT_EQ(second.session_id, "gen-1");  // pushes carry the id the client sent
  EXPECT_EQ(second.canonical_id, "s1");
  EXPECT_EQ(second.finish_session_id, "gen-2");
  EXPECT_EQ(second.prompt_bytes, 33u);
  EXPECT_EQ(second.processed_bytes, 3u);

  // The original id still works too.
  EXPECT_EQ(sessions.BeginTurn("s1", 1, false).turn, 3);
  EXPECT_EQ(sessions.size(), 1u);
}

TEST(SessionsTest, ConcurrentTurnsOnOneSessionGetDistinctNumbers) {
  Sessions sessions(Counter());
  EXPECT_EQ(sessions.BeginTurn("s", 1, false).turn, 1);
  EXPECT_EQ(sessions.BeginTurn("s", 1, false).turn, 2);
  EXPECT_EQ(sessions.BeginTurn("s", 1, false).turn, 3);
}

TEST(SessionsTest, DeleteForgetsHistoryAndAliases) {
  Sessions sessions(Counter());
  const TurnPlan first = sessions.BeginTurn("s1", 10, true);
  EXPECT_TRUE(sessions.Delete(first.finish_session_id));
  EXPECT_FALSE(sessions.Knows("s1"));
  EXPECT_FALSE(sessions.Knows(first.finish_session_id));
  EXPECT_FALSE(sessions.Delete("s1"));
  const TurnPlan again = sessions.BeginTurn("s1", 4, false);
  EXPECT_TRUE(again.new_session);
  EXPECT_EQ(again.turn, 1);
  EXPECT_EQ(again.prompt_bytes, 4u);
}

TEST(SessionsTest, AliasNeverCollidesWithAKnownId) {
  int calls = 0;
  Sessions sessions([&calls] { return ++calls <= 2 ? std::string("taken") : "fresh"; });
  sessions.BeginTurn("taken", 1, false);
  const TurnPlan plan = sessions.BeginTurn("taken", 1, true);
  EXPECT_EQ(plan.finish_session_id, "fresh");
}

}  // namespace
}  // namespace sim
