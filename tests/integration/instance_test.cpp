// lingma::Instance against lingma-sim: start-up variants, chat turns, faults, reconnects.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include "harness.hpp"
#include "lingma/discovery.hpp"
#include "net/child_process.hpp"

namespace itest {
namespace {

using lingma::ErrorKind;
using lingma::InstanceState;

TEST_F(SimInstanceTest, SpawnsInitializesAndAnswers) {
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  auto snap = instance_->Snapshot();
  EXPECT_GT(snap.pid, 0);
  EXPECT_GT(snap.port, 0);
  EXPECT_TRUE(snap.auth.logged_in);
  EXPECT_EQ(log_text_.find("pt-sim"), std::string::npos) << "a Lingma token reached the log";
  // The work dir holds Lingma's login state: owner only.
  EXPECT_EQ(fs::status(dir_ / "work").permissions() & fs::perms::all, fs::perms::owner_all);

  auto turn = Chat(Ask("Reply with exactly: pong"));
  ASSERT_FALSE(turn.error) << turn.error->message;
  ASSERT_TRUE(turn.finish);
  EXPECT_EQ(turn.finish->status_code, 200);
  EXPECT_NE(turn.text.find("turn=1"), std::string::npos) << turn.text;
  EXPECT_NE(turn.text.find("Reply with exactly: pong"), std::string::npos) << turn.text;
  EXPECT_FALSE(turn.finish->session_id.empty());
}

TEST_F(SimInstanceTest, RefusesARequestIdItDidNotMake) {
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  lingma::ChatAsk ask = Ask("never sent");
  ask.request_id = "req-1";  // turns are routed by ids of NewRequestId's length
  auto turn = Chat(ask);
  ASSERT_TRUE(turn.error);
  EXPECT_EQ(turn.error->kind, lingma::ErrorKind::kRejected);
  EXPECT_NE(turn.error->message.find("req-1"), std::string::npos) << turn.error->message;
  EXPECT_EQ(instance_->Snapshot().active_turns, 0u);
  // The instance serves the next turn as usual.
  auto next = Chat(Ask("Reply with exactly: pong"));
  ASSERT_FALSE(next.error) << next.error->message;
  ASSERT_TRUE(next.finish);
}

TEST_F(SimInstanceTest, ContinuesTheSessionLingmaReported) {
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  auto first = Chat(Ask("first question"));
  ASSERT_TRUE(first.finish) << (first.error ? first.error->message : "");
  const std::string session = first.finish->session_id;
  auto second = Chat(Ask("second question", session, true));
  ASSERT_TRUE(second.finish);
  EXPECT_NE(second.text.find("turn=2"), std::string::npos) << second.text;
  EXPECT_NE(second.text.find(session), std::string::npos) << second.text;
  // The sim's log shows it processed only the new question on the reply turn.
  const std::string asks = ReadFile(dir_ / "asks.jsonl");
  EXPECT_NE(asks.find("\"isReply\":true"), std::string::npos) << asks;
}

TEST_F(SimInstanceTest, ManyConcurrentTurnsOnOneConnectionStayApart) {
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  Control(R"({"deltas": 6, "delta_delay_ms": 5})");
  constexpr int kTurns = 40;
  std::vector<std::string> questions;
  for (int i = 0; i < kTurns; ++i) questions.push_back("question number " + std::to_string(i));
  const auto turns = ChatConcurrently(questions);
  ASSERT_TRUE(turns);
  const std::vector<Turn>& results = *turns;
  for (int i = 0; i < kTurns; ++i) {
    ASSERT_TRUE(results[i].finish)
        << i << ": " << (results[i].error ? results[i].error->message : "");
    EXPECT_NE(results[i].text.find("question number " + std::to_string(i)), std::string::npos)
        << results[i].text;
  }
}

TEST_F(SimInstanceTest, InfoJsonFormat) {
  env_["LINGMA_SIM_INFO_FORMAT"] = "json";
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  EXPECT_TRUE(fs::exists(dir_ / "work" / ".info.json"));
  EXPECT_TRUE(Chat(Ask("hello")).finish);
}

TEST_F(SimInstanceTest, DaemonizingLingmaIsFollowedAndStopped) {
  env_["LINGMA_SIM_DAEMONIZE"] = "true";
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  const int daemon = instance_->Snapshot().pid;
  EXPECT_TRUE(lingma::IsProcessAlive(daemon));
  EXPECT_TRUE(Chat(Ask("hello")).finish);
  RunFor(io_, instance_->Stop());
  EXPECT_EQ(instance_->state(), InstanceState::kClosed);
  EXPECT_FALSE(lingma::IsProcessAlive(daemon));
}

TEST_F(SimInstanceTest, SlowStartWithinTheTimeout) {
  env_["LINGMA_SIM_STARTUP_DELAY_MS"] = "800";
  StartInstance(Options());
  EXPECT_TRUE(RunUntil(
      io_, [&] { return instance_->state() == InstanceState::kStarting; }, 2s));
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
}

TEST_F(SimInstanceTest, NeverWritingInfoFailsClearlyAndLeaksNothing) {
  env_["LINGMA_SIM_STARTUP_DELAY_MS"] = "600000";
  auto options = Options();
  options.startup_timeout = 700ms;
  options.failures_before_failed = 2;
  StartInstance(options);
  ASSERT_TRUE(WaitForState(InstanceState::kFailed, 10s)) << log_text_;
  const auto snap = instance_->Snapshot();
  EXPECT_NE(snap.last_error.find("did not write"), std::string::npos) << snap.last_error;
  EXPECT_NE(snap.last_error.find(".info"), std::string::npos) << snap.last_error;
  // Each attempt stopped its child before the next: at most one sim alive at any time.
  EXPECT_LE(ProcessesMentioning(dir_.string()).size(), 1u);
}

TEST_F(SimInstanceTest, StaleInfoFromADeadProcessIsIgnored) {
  fs::create_directories(dir_ / "work");
  // A pid that is certainly dead: a child we reaped.
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  WriteFile(dir_ / "work" / ".info", "1\n" + std::to_string(dead) + "\n");
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  EXPECT_NE(instance_->Snapshot().pid, dead);
  EXPECT_TRUE(Chat(Ask("hello")).finish);
}

TEST_F(SimInstanceTest, AttachRefusesAStaleInfo) {
  fs::create_directories(dir_ / "work");
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  WriteFile(dir_ / "work" / ".info.json",
            R"({"websocketPort": 1, "pid": )" + std::to_string(dead) + "}");
  auto options = Options();
  options.mode = lingma::LaunchMode::kAttach;
  options.failures_before_failed = 1;
  StartInstance(options);
  ASSERT_TRUE(WaitForState(InstanceState::kFailed)) << log_text_;
  EXPECT_NE(instance_->Snapshot().last_error.find("stale"), std::string::npos)
      << instance_->Snapshot().last_error;
}

TEST_F(SimInstanceTest, AttachesToARunningLingma) {
  // Someone else's Lingma (here: a sim we start by hand) with its `.info` in a shared dir.
  const fs::path shared = dir_ / "shared";
  fs::create_directories(shared);
  const pid_t pid = fork();
  if (pid == 0) {
    setenv("LINGMA_SIM_CONTROL", control_.c_str(), 1);
    execl(LGW_SIM_PATH, LGW_SIM_PATH, "start", "--workDir", shared.c_str(), nullptr);
    _exit(127);
  }
  ASSERT_TRUE(RunUntil(
      io_, [&] { return lingma::ReadInfoFile(shared).has_value(); }, 5s));
  auto options = Options();
  options.mode = lingma::LaunchMode::kAttach;
  options.work_dir = shared;
  StartInstance(options);
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  EXPECT_EQ(instance_->Snapshot().pid, pid);
  EXPECT_TRUE(Chat(Ask("hello")).finish);
  RunFor(io_, instance_->Stop());
  instance_.reset();
  EXPECT_TRUE(lingma::IsProcessAlive(pid)) << "attach mode must not stop a Lingma it did not start";
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
}

TEST_F(SimInstanceTest, BinaryMissingOrNotExecutable) {
  auto options = Options();
  options.binary = dir_ / "no-such-lingma";
  options.failures_before_failed = 1;
  StartInstance(options);
  ASSERT_TRUE(WaitForState(InstanceState::kFailed)) << log_text_;
  EXPECT_NE(instance_->Snapshot().last_error.find("not found"), std::string::npos)
      << instance_->Snapshot().last_error;
  RunFor(io_, instance_->Stop());

  WriteFile(dir_ / "Lingma", "#!/bin/sh\n");
  options.binary = dir_ / "Lingma";  // not executable
  StartInstance(options);
  ASSERT_TRUE(WaitForState(InstanceState::kFailed)) << log_text_;
  EXPECT_NE(instance_->Snapshot().last_error.find("not executable"), std::string::npos)
      << instance_->Snapshot().last_error;
}

TEST_F(SimInstanceTest, SocketPortInUseFailsWithLingmasOwnReason) {
  // Something else holds the port Lingma is told to use.
  const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(holder, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(holder, 1), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&address), &length), 0);

  auto options = Options();
  options.socket_port = ntohs(address.sin_port);
  options.failures_before_failed = 1;
  StartInstance(options);
  ASSERT_TRUE(WaitForState(InstanceState::kFailed)) << log_text_;
  const std::string error = instance_->Snapshot().last_error;
  EXPECT_NE(error.find("before it was ready: "), std::string::npos) << error;
  EXPECT_NE(error.find("Address already in use"), std::string::npos) << error;
  EXPECT_NE(error.find("lingma.out.log"), std::string::npos) << error;
  ::close(holder);
}

TEST_F(SimInstanceTest, KilledMidStreamFailsTheTurnAndReconnects) {
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  const int first_pid = instance_->Snapshot().pid;
  Control(R"({"exit_after_deltas": 2, "deltas": 6, "delta_delay_ms": 20})");
  auto turn = Chat(Ask("this answer is cut off"));
  ASSERT_TRUE(turn.error) << "a cut-off answer must not look complete: " << turn.text;
  EXPECT_EQ(turn.error->kind, ErrorKind::kDisconnected) << turn.error->message;
  EXPECT_FALSE(turn.finish);
  Control("{}");
  ASSERT_TRUE(RunUntil(io_, [&] {
    auto s = instance_->Snapshot();
    return s.state == InstanceState::kReady && s.restarts == 1;
  })) << log_text_;
  EXPECT_NE(instance_->Snapshot().pid, first_pid);
  EXPECT_FALSE(lingma::IsProcessAlive(first_pid));
  EXPECT_TRUE(Chat(Ask("and now it works")).finish);
}

TEST_F(SimInstanceTest, ErrorFinishesCarryTheirStatus) {
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  for (int status : {403, 406, 408, 429, 500, 601}) {
    Control(R"({"finish_status": )" + std::to_string(status) +
            R"(, "finish_reason": "simulated failure"})");
    auto turn = Chat(Ask("status " + std::to_string(status)));
    ASSERT_TRUE(turn.finish) << status;
    EXPECT_EQ(turn.finish->status_code, status);
    EXPECT_EQ(turn.finish->reason, "simulated failure");
    const auto outcome = lingma::MapFinish(*turn.finish, turn.filtered);
    if (status == 406 || status == 601) {
      EXPECT_TRUE(outcome.ok);
      EXPECT_EQ(outcome.finish_reason, "content_filter");
    } else {
      EXPECT_FALSE(outcome.ok) << status;
    }
  }
}

TEST_F(SimInstanceTest, HangingTurnTimesOutAndIsStopped) {
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  Control(R"({"hang": true})");
  auto turn = Chat(Ask("this never finishes"), 400ms);
  ASSERT_TRUE(turn.error);
  EXPECT_EQ(turn.error->kind, ErrorKind::kTimeout);
  EXPECT_EQ(instance_->Snapshot().active_turns, 0u) << "the timed-out turn was not released";
  Control("{}");
  EXPECT_TRUE(Chat(Ask("the instance is still usable")).finish);
}

TEST_F(SimInstanceTest, CancelSendsChatStopAndIgnoresLatePushes) {
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  Control(R"({"deltas": 20, "delta_delay_ms": 50})");
  auto result = RunFor(io_, [&]() -> boost::asio::awaitable<std::string> {
    auto started = co_await instance_->StartChat(Ask("long answer"));
    if (!started) co_return "start failed";
    auto& turn = **started;
    auto first = co_await turn.Next(2000ms);
    if (!first) co_return "no first event";
    turn.Cancel();
    auto after = co_await turn.Next(2000ms);
    co_return after ? "event after cancel" : lingma::ToString(after.error().kind);
  }());
  EXPECT_EQ(result, "cancelled");
  // The sim ends a stopped turn with a `cancelled` finish, which nobody may receive.
  RunUntil(
      io_, [] { return false; }, 300ms);
  EXPECT_EQ(instance_->Snapshot().active_turns, 0u);
  auto stats = RunFor(io_, instance_->Call("sim/stats", boost::json::object{}));
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->at("stops").to_number<std::int64_t>(), 1) << boost::json::serialize(*stats);
  EXPECT_EQ(stats->at("turns_cancelled").to_number<std::int64_t>(), 1)
      << boost::json::serialize(*stats);
  EXPECT_TRUE(Chat(Ask("next")).finish);
}

TEST_F(SimInstanceTest, DeltasOfferedDirectlyKeepTheirOrderWithThoseThatWereNot) {
  // Every other push is declined; those and the finish must come through Next() in between the
  // taken ones, so that the answer read in arrival order is Lingma's answer.
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  Control(R"({"deltas": 12, "delta_delay_ms": 5})");
  struct Seen {
    std::string text;
    int offered = 0, taken = 0, via_next = 0;
    bool finish_offered = false;
    std::optional<lingma::FinishPush> finish;
  };
  auto seen = RunFor(io_, [&]() -> boost::asio::awaitable<Seen> {
    Seen out;
    auto started = co_await instance_->StartChat(Ask("offer me the deltas"));
    if (!started) co_return out;
    auto& turn = **started;
    turn.OfferDirectly([&out](lingma::ChatEvent& event) {
      out.finish_offered |= std::holds_alternative<lingma::FinishPush>(event);
      if (++out.offered % 2 == 0) return false;
      out.text += std::get<lingma::AnswerPush>(event).text;
      ++out.taken;
      return true;
    });
    while (true) {
      auto event = co_await turn.Next(2000ms);
      if (!event) break;
      if (auto* finish = std::get_if<lingma::FinishPush>(&*event)) {
        out.finish = *finish;
        break;
      }
      out.text += std::get<lingma::AnswerPush>(*event).text;
      ++out.via_next;
    }
    co_return out;
  }());
  ASSERT_TRUE(seen.finish) << log_text_;
  EXPECT_EQ(seen.text, seen.finish->full_answer);
  EXPECT_GT(seen.taken, 0);
  EXPECT_GT(seen.via_next, 0);
  EXPECT_FALSE(seen.finish_offered);
}

TEST_F(SimInstanceTest, NothingIsOfferedDirectlyWhileTheCallerIsBusy) {
  // Pushes that arrive while the caller is not waiting in Next() are queued, never offered: the
  // caller may be in the middle of handling an earlier one. (Once it waits again, later pushes
  // may be offered; the offer is declined so that they come through Next() too.)
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  Control(R"({"deltas": 6, "delta_delay_ms": 1})");
  int offered = 0;
  int offered_while_busy = -1;
  std::size_t queued_while_busy = 0;
  auto turn = RunFor(io_, [&]() -> boost::asio::awaitable<Turn> {
    auto started = co_await instance_->StartChat(Ask("queue them all"));
    if (!started) co_return Turn{};
    (*started)->OfferDirectly([&offered](lingma::ChatEvent&) { return ++offered, false; });
    auto executor = co_await boost::asio::this_coro::executor;
    co_await net::SleepFor(executor, 300ms);  // pushes arrive meanwhile
    offered_while_busy = offered;
    queued_while_busy = (*started)->ready();
    Turn out = co_await Collect(**started);
    co_return out;
  }());
  ASSERT_TRUE(turn.finish) << (turn.error ? turn.error->message : log_text_);
  EXPECT_GT(queued_while_busy, 0u) << "nothing arrived while the caller was busy";
  EXPECT_EQ(offered_while_busy, 0);
  EXPECT_EQ(turn.text, turn.finish->full_answer);
}

TEST_F(SimInstanceTest, PushesAsNotifications) {
  env_["LINGMA_SIM_PUSH_MODE"] = "notifications";
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  auto turn = Chat(Ask("hello"));
  ASSERT_TRUE(turn.finish);
  EXPECT_NE(turn.text.find("turn=1"), std::string::npos);
}

TEST_F(SimInstanceTest, SplitAndCoalescedFrames) {
  env_["LINGMA_SIM_SPLIT_FRAMES"] = "true";
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  Control(R"({"deltas": 12, "empty_deltas": true})");
  for (int i = 0; i < 5; ++i) {
    auto turn = Chat(Ask("你好，世界 😀 number " + std::to_string(i)));
    ASSERT_TRUE(turn.finish) << (turn.error ? turn.error->message : "");
    EXPECT_NE(turn.text.find("你好，世界 😀 number " + std::to_string(i)), std::string::npos)
        << turn.text;
  }
}

TEST_F(SimInstanceTest, ARequestLargerThanTheSocketTakesLeavesWholeAndFirst) {
  // A request goes out at once when the connection's writer is idle; what the socket does not
  // take then (6 MiB is far more than a loopback socket takes in one send) must leave before
  // the request that follows it.
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  const std::string big = "big question " + std::string(6 << 20, 'x');
  const auto turns = ChatConcurrently({big, "small question"});
  ASSERT_TRUE(turns);
  const std::vector<Turn>& results = *turns;
  for (const Turn& turn : results) {
    ASSERT_TRUE(turn.finish) << (turn.error ? turn.error->message : "");
  }
  EXPECT_NE(results[0].text.find("big question xxx"), std::string::npos) << results[0].text;
  EXPECT_NE(results[1].text.find("small question"), std::string::npos) << results[1].text;
  auto stats = RunFor(io_, instance_->Call("sim/stats", boost::json::object{}));
  ASSERT_TRUE(stats) << stats.error().message;
  const auto& obj = stats->as_object();
  EXPECT_GT(obj.at("bytes_received").to_number<std::int64_t>(), 6 << 20)
      << boost::json::serialize(obj);
  EXPECT_EQ(obj.at("bad_frames").to_number<std::int64_t>(), 0) << boost::json::serialize(obj);
  EXPECT_EQ(obj.at("bad_messages").to_number<std::int64_t>(), 0) << boost::json::serialize(obj);
}

TEST_F(SimInstanceTest, TurnsOnACommonTickShareMessages) {
  // A model server decoding many sequences in one step: deltas due together, frames coalesced.
  env_["LINGMA_SIM_TICK_US"] = "5000";
  env_["LINGMA_SIM_COALESCE_FRAMES"] = "true";
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  Control(R"({"deltas": 8, "delta_delay_ms": 2})");
  constexpr int kTurns = 30;
  std::vector<std::string> questions;
  for (int i = 0; i < kTurns; ++i) questions.push_back("tick question " + std::to_string(i));
  const auto turns = ChatConcurrently(questions);
  ASSERT_TRUE(turns);
  const std::vector<Turn>& results = *turns;
  for (int i = 0; i < kTurns; ++i) {
    ASSERT_TRUE(results[i].finish)
        << i << ": " << (results[i].error ? results[i].error->message : "");
    EXPECT_NE(results[i].text.find("tick question " + std::to_string(i)), std::string::npos)
        << results[i].text;
  }
  auto stats = RunFor(io_, instance_->Call("sim/stats", boost::json::object{}));
  ASSERT_TRUE(stats) << stats.error().message;
  const auto& obj = stats->as_object();
  // Each turn sends at least 8 answers and a finish; sharing messages, far fewer went out.
  EXPECT_LT(obj.at("messages_sent").to_number<std::int64_t>(), kTurns * 9 / 2)
      << boost::json::serialize(obj);
  // And the replies to pushes that arrived together left together: far fewer messages came back
  // than pushes were answered (one write per reply would be 360 messages; batched, about 16),
  // besides the requests, which leave at once, one message each.
  EXPECT_EQ(obj.at("push_responses").to_number<std::int64_t>(),
            obj.at("push_requests_sent").to_number<std::int64_t>())
      << boost::json::serialize(obj);
  const std::int64_t request_messages = obj.at("requests").to_number<std::int64_t>() +
                                        obj.at("notifications").to_number<std::int64_t>();
  EXPECT_LT(obj.at("messages_received").to_number<std::int64_t>() - request_messages,
            obj.at("push_responses").to_number<std::int64_t>() / 8)
      << boost::json::serialize(obj);
  EXPECT_EQ(obj.at("unanswered_pushes").to_number<std::int64_t>(), 0)
      << boost::json::serialize(obj);
  EXPECT_EQ(obj.at("bad_frames").to_number<std::int64_t>(), 0) << boost::json::serialize(obj);
}

TEST_F(SimInstanceTest, FinishMayReportADifferentSession) {
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  Control(R"({"finish_new_session": true})");
  auto ask = Ask("hello", lingma::NewSessionId(1, 2));
  auto first = Chat(ask);
  ASSERT_TRUE(first.finish);
  EXPECT_NE(first.finish->session_id, ask.session_id);
  Control("{}");
  auto second = Chat(Ask("again", first.finish->session_id, true));
  ASSERT_TRUE(second.finish);
  EXPECT_NE(second.text.find("turn=2"), std::string::npos) << second.text;
}

TEST_F(SimInstanceTest, ThinkFilteredAndOverwriteDeltasArrive) {
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  Control(R"({"think": true})");
  auto think = Chat(Ask("think first"));
  ASSERT_TRUE(think.finish);
  EXPECT_NE(think.text.find("````think::"), std::string::npos) << think.text;

  Control(R"({"filtered": true})");
  auto filtered = Chat(Ask("filtered"));
  ASSERT_TRUE(filtered.finish);
  EXPECT_TRUE(filtered.filtered);
  EXPECT_EQ(lingma::MapFinish(*filtered.finish, filtered.filtered).finish_reason, "content_filter");

  Control(R"({"overwrite": true})");
  auto overwrite = Chat(Ask("overwrite me"));
  ASSERT_TRUE(overwrite.finish);
  EXPECT_TRUE(overwrite.overwritten);
  EXPECT_EQ(overwrite.text, overwrite.finish->full_answer);
}

TEST_F(SimInstanceTest, LoggedOutThenLoginCompletes) {
  env_["LINGMA_SIM_AUTH"] = "logged_out";
  env_["LINGMA_SIM_LOGIN_AFTER_MS"] = "200";
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  EXPECT_FALSE(instance_->Snapshot().auth.logged_in);
  auto rejected = Chat(Ask("hello"));
  ASSERT_TRUE(rejected.error);
  EXPECT_EQ(rejected.error->kind, ErrorKind::kRejected);
  // The operator asks for a login URL; the sim completes the login and pushes auth/report.
  auto url = RunFor(
      io_, instance_->Call("login/generateUrl", boost::json::object{{"loginDedicatedType", ""}}));
  ASSERT_TRUE(url) << url.error().message;
  ASSERT_TRUE(RunUntil(
      io_, [&] { return instance_->Snapshot().auth.logged_in; }, 5s))
      << log_text_;
  EXPECT_TRUE(Chat(Ask("hello again")).finish);
}

TEST_F(SimInstanceTest, EveryPushIsAnsweredPromptly) {
  StartInstance(Options());
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Chat(Ask("q" + std::to_string(i))).finish);
  auto stats = RunFor(io_, instance_->Call("sim/stats", boost::json::object{}));
  ASSERT_TRUE(stats) << stats.error().message;
  const auto& obj = stats->as_object();
  EXPECT_EQ(obj.at("unanswered_pushes").to_number<std::int64_t>(), 0)
      << boost::json::serialize(obj);
  EXPECT_EQ(obj.at("bad_frames").to_number<std::int64_t>(), 0) << boost::json::serialize(obj);
}

TEST_F(SimInstanceTest, HeartbeatDetectsADeadConnection) {
  auto options = Options();
  options.heartbeat_interval = 200ms;
  options.rpc_timeout = 300ms;
  StartInstance(options);
  ASSERT_TRUE(WaitForState(InstanceState::kReady)) << log_text_;
  const int pid = instance_->Snapshot().pid;
  // A frozen Lingma: the socket stays open but nothing answers.
  kill(pid, SIGSTOP);
  ASSERT_TRUE(RunUntil(
      io_, [&] { return instance_->state() != InstanceState::kReady; }, 5s));
  kill(pid, SIGCONT);
  ASSERT_TRUE(RunUntil(
      io_,
      [&] {
        return instance_->state() == InstanceState::kReady && instance_->Snapshot().pid != pid;
      },
      10s))
      << log_text_;
  EXPECT_FALSE(lingma::IsProcessAlive(pid));
}

}  // namespace
}  // namespace itest
