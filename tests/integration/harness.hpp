// Shared helpers of the integration tests: temp dirs, running coroutines to completion with a
// deadline, and a Lingma instance under test wired to lingma-sim.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "lingma/instance.hpp"
#include "obs/log.hpp"

namespace itest {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline fs::path MakeTempDir(const std::string& tag) {
  std::string pattern = (fs::temp_directory_path() / ("lgw-" + tag + "-XXXXXX")).string();
  const char* made = mkdtemp(pattern.data());
  if (made == nullptr) throw std::runtime_error("mkdtemp failed");
  return fs::path(made);
}

inline void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs the io_context until `task` completes or `limit` passes (then the test fails).
template <class T>
T RunFor(boost::asio::io_context& io, boost::asio::awaitable<T> task,
         std::chrono::milliseconds limit = 20s) {
  auto future = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (future.wait_for(0s) != std::future_status::ready) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "coroutine did not finish within " << limit.count() << " ms";
      throw std::runtime_error("timeout");
    }
    io.run_for(10ms);
    if (io.stopped()) io.restart();
  }
  return future.get();
}

// Runs the io_context until `condition` holds or `limit` passes; returns the condition.
inline bool RunUntil(boost::asio::io_context& io, const std::function<bool()>& condition,
                     std::chrono::milliseconds limit = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.run_for(10ms);
    if (io.stopped()) io.restart();
  }
  return true;
}

// Pids of live processes whose command line mentions `needle` (to prove nothing leaked).
inline std::vector<int> ProcessesMentioning(const std::string& needle) {
  std::vector<int> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = ReadFile(entry.path() / "cmdline");
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    std::string stat = ReadFile(entry.path() / "stat");
    const auto paren = stat.rfind(')');
    const bool zombie =
        paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
    if (!zombie && cmdline.find(needle) != std::string::npos) out.push_back(std::stoi(name));
  }
  return out;
}

struct Turn {
  std::string text;
  std::string reasoning_pushes;
  bool overwritten = false;
  bool filtered = false;
  std::optional<lingma::FinishPush> finish;
  std::optional<lingma::Error> error;
};

// Collects a whole chat turn.
inline boost::asio::awaitable<Turn> Collect(lingma::ChatTurn& turn,
                                            std::chrono::milliseconds idle = 5000ms) {
  Turn out;
  while (true) {
    auto event = co_await turn.Next(idle);
    if (!event) {
      out.error = event.error();
      co_return out;
    }
    if (auto* answer = std::get_if<lingma::AnswerPush>(&*event)) {
      if (answer->overwrite) {
        out.text = answer->text;
        out.overwritten = true;
      } else {
        out.text += answer->text;
      }
      out.filtered |= answer->filtered;
    } else if (auto* think = std::get_if<lingma::ThinkPush>(&*event)) {
      out.reasoning_pushes += think->text;
    } else if (auto* finish = std::get_if<lingma::FinishPush>(&*event)) {
      out.finish = *finish;
      co_return out;
    }
  }
}

// One Lingma instance running lingma-sim in a temp work dir.
class SimInstanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("inst");
    control_ = dir_ / "control.json";
    env_ = {{"PATH", "/usr/bin:/bin"},
            {"HOME", dir_.string()},
            {"LINGMA_SIM_CONTROL", control_.string()},
            {"LINGMA_SIM_ASK_LOG", (dir_ / "asks.jsonl").string()}};
  }

  void TearDown() override {
    if (instance_) {
      RunFor(io_, instance_->Stop());
      instance_.reset();
    }
    EXPECT_TRUE(ProcessesMentioning(dir_.string()).empty()) << "a Lingma process leaked";
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  lingma::InstanceOptions Options() {
    lingma::InstanceOptions o;
    o.binary = LGW_SIM_PATH;
    o.work_dir = dir_ / "work";
    o.child_env = env_;
    o.startup_timeout = 5s;
    o.rpc_timeout = 3s;
    o.heartbeat_interval = 0ms;
    o.stop_grace = 2s;
    o.backoff.initial = 50ms;
    o.backoff.max = 200ms;
    o.client_version = "test";
    return o;
  }

  lingma::Instance& StartInstance(lingma::InstanceOptions options) {
    instance_ = std::make_unique<lingma::Instance>(io_.get_executor(), std::move(options), logger_);
    instance_->Start();
    return *instance_;
  }

  bool WaitForState(lingma::InstanceState state, std::chrono::milliseconds limit = 10s) {
    return RunUntil(
        io_, [&] { return instance_->state() == state; }, limit);
  }

  lingma::ChatAsk Ask(std::string question, std::string session = "", bool reply = false) {
    lingma::ChatAsk ask;
    ask.request_id = lingma::NewRequestId(++counter_, 0x5eed);
    ask.session_id = std::move(session);
    ask.question = questions_.emplace_back(std::move(question));  // the ask views it
    ask.model_key = "auto";
    ask.is_reply = reply;
    return ask;
  }

  // Starts a turn and collects it.
  Turn Chat(lingma::ChatAsk ask, std::chrono::milliseconds idle = 5000ms) {
    return RunFor(io_, [&]() -> boost::asio::awaitable<Turn> {
      auto started = co_await instance_->StartChat(ask);
      if (!started) {
        Turn t;
        t.error = started.error();
        co_return t;
      }
      Turn collected = co_await Collect(**started, idle);
      co_return collected;
    }());
  }

  // Starts one turn per question at once and collects them all (a turn that cannot start carries
  // its error); nullopt if they are not all done within `limit`.
  std::optional<std::vector<Turn>> ChatConcurrently(const std::vector<std::string>& questions,
                                                    std::chrono::milliseconds limit = 20s) {
    struct Shared {
      std::vector<Turn> results;
      std::size_t done = 0;
    };
    // Shared, not on this frame: turns still running after a timeout must not outlive it.
    auto shared = std::make_shared<Shared>();
    shared->results.resize(questions.size());
    for (std::size_t i = 0; i < questions.size(); ++i) {
      boost::asio::co_spawn(
          io_,
          [this, shared, i, ask = Ask(questions[i])]() -> boost::asio::awaitable<void> {
            auto started = co_await instance_->StartChat(ask);
            if (started) {
              shared->results[i] = co_await Collect(**started);
            } else {
              shared->results[i].error = started.error();
            }
            ++shared->done;
          },
          boost::asio::detached);
    }
    if (!RunUntil(
            io_, [&] { return shared->done == questions.size(); }, limit)) {
      return std::nullopt;
    }
    return std::move(shared->results);
  }

  void Control(const std::string& json) { WriteFile(control_, json); }

  boost::asio::io_context io_{1};
  std::string log_text_;
  obs::Logger logger_{obs::Level::kDebug, [this](std::string_view line) { log_text_ += line; }};
  fs::path dir_;
  fs::path control_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<lingma::Instance> instance_;
  std::uint64_t counter_ = 0;
  std::deque<std::string> questions_;  // what the asks made by Ask() view
};

}  // namespace itest
