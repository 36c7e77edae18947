// The load driver; see driver.hpp.
#include "bench/loadgen/driver.hpp"

#include <sys/resource.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bench/loadgen/clients.hpp"
#include "bench/loadgen/report.hpp"

namespace loadgen {
namespace {

namespace asio = boost::asio;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// Turns end by their own deadline; this much later the run is cut off regardless.
constexpr auto kWatchdogSlack = std::chrono::seconds(15);
// How often a direct run samples how far behind the simulator it is.
constexpr auto kUnreadSampleEvery = std::chrono::milliseconds(250);

double CpuSeconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

class Driver {
 public:
  Driver(asio::io_context& io, const Options& options, TurnClient& client, Recorder& recorder,
         Clock::time_point started)
      : io_(io),
        options_(options),
        client_(client),
        recorder_(recorder),
        started_(started),
        stop_at_(options.duration_s > 0
                     ? started + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(options.duration_s))
                     : Clock::time_point::max()) {}

  void Start() {
    if (options_.rate > 0) {
      asio::co_spawn(io_, Ticker(), asio::detached);
    } else {
      running_ = options_.concurrency;
      for (int i = 0; i < options_.concurrency; ++i) asio::co_spawn(io_, Worker(i), asio::detached);
    }
  }

  bool finished() const { return finished_; }
  std::uint64_t rate_skipped() const { return rate_skipped_; }
  Clock::time_point stop_at() const { return stop_at_; }

 private:
  bool MoreTurns() const {
    return Clock::now() < stop_at_ && (options_.requests == 0 || begun_ < options_.requests);
  }

  void Done() { finished_ = true; }

  asio::awaitable<void> Worker(int index) {
    asio::steady_timer timer(io_);
    if (options_.ramp_ms > 0) {
      timer.expires_at(started_ +
                       std::chrono::milliseconds(options_.ramp_ms) * index / options_.concurrency);
      co_await timer.async_wait(kUseTuple);
    }
    auto session = client_.NewSession(index);
    while (MoreTurns()) {
      ++begun_;
      TurnTrace trace(recorder_, Clock::now(), options_.expect_deltas);
      co_await session->Run(trace);
    }
    if (--running_ == 0) Done();
  }

  asio::awaitable<void> Ticker() {
    asio::steady_timer timer(io_);
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / options_.rate));
    auto next = started_;
    int index = 0;
    while (next < stop_at_ && (options_.requests == 0 || begun_ < options_.requests)) {
      timer.expires_at(next);
      co_await timer.async_wait(kUseTuple);
      if (in_flight_ >= static_cast<std::size_t>(options_.concurrency)) {
        ++rate_skipped_;
      } else {
        ++begun_;
        ++in_flight_;
        std::unique_ptr<TurnSession> session;
        if (idle_.empty()) {
          session = client_.NewSession(index++);
        } else {
          session = std::move(idle_.back());
          idle_.pop_back();
        }
        asio::co_spawn(io_, ScheduledTurn(std::move(session), next), asio::detached);
      }
      next += interval;
    }
    ticking_ = false;
    if (in_flight_ == 0) Done();
  }

  asio::awaitable<void> ScheduledTurn(std::unique_ptr<TurnSession> session,
                                      Clock::time_point scheduled) {
    {
      TurnTrace trace(recorder_, scheduled, options_.expect_deltas);
      co_await session->Run(trace);
    }
    idle_.push_back(std::move(session));
    if (--in_flight_ == 0 && !ticking_) Done();
  }

  asio::io_context& io_;
  const Options& options_;
  TurnClient& client_;
  Recorder& recorder_;
  Clock::time_point started_;
  Clock::time_point stop_at_;
  std::uint64_t begun_ = 0;
  int running_ = 0;
  std::size_t in_flight_ = 0;
  bool ticking_ = true;
  std::vector<std::unique_ptr<TurnSession>> idle_;
  std::uint64_t rate_skipped_ = 0;
  bool finished_ = false;
};

}  // namespace

int RunLoad(const Options& options, std::string& error) {
  asio::io_context io(1);
  auto client = options.mode == Options::Mode::kGateway
                    ? MakeHttpClient(io.get_executor(), options)
                    : MakeDirectClient(io.get_executor(), options);
  bool started_ok = false;
  bool start_done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        started_ok = co_await client->Start(error);
        start_done = true;
      },
      asio::detached);
  while (!start_done && !io.stopped()) io.run_one();
  if (!started_ok) {
    client->Stop();
    io.run_for(std::chrono::milliseconds(100));
    if (error.empty()) error = "the client did not start";
    return 1;
  }

  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  const auto t0 = Clock::now();
  Recorder recorder(t0 + std::chrono::milliseconds(options.warmup_ms));
  Driver driver(io, options, *client, recorder, t0);
  driver.Start();
  // Every turn has its own deadline; the watchdog only guards against a stuck client.
  const auto timeout = std::chrono::milliseconds(options.timeout_ms);
  Clock::time_point last_start = driver.stop_at();
  if (last_start == Clock::time_point::max()) {
    // --requests without --duration-s: when the last turn can start at the latest.
    const double rounds = options.rate > 0
                              ? static_cast<double>(options.requests) / options.rate
                              : static_cast<double>((options.requests + options.concurrency - 1) /
                                                    options.concurrency) *
                                    options.timeout_ms / 1000.0;
    last_start = t0 + std::chrono::milliseconds(options.ramp_ms) +
                 std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(rounds));
  }
  const auto watchdog_at = last_start + timeout + kWatchdogSlack;
  bool watchdog = false;
  std::vector<std::size_t> unread;
  auto next_sample = t0 + kUnreadSampleEvery;
  while (!driver.finished()) {
    io.run_for(std::chrono::milliseconds(50));
    if (Clock::now() >= next_sample) {
      next_sample += kUnreadSampleEvery;
      if (auto bytes = client->UnreadUpstreamBytes()) unread.push_back(*bytes);
    }
    if (io.stopped()) io.restart();
    if (Clock::now() > watchdog_at) {
      watchdog = true;
      break;
    }
  }
  const auto t1 = Clock::now();
  rusage after{};
  getrusage(RUSAGE_SELF, &after);

  RunInfo info;
  info.started = t0;
  info.ended = t1;
  info.cpu_user_s = CpuSeconds(after.ru_utime) - CpuSeconds(before.ru_utime);
  info.cpu_sys_s = CpuSeconds(after.ru_stime) - CpuSeconds(before.ru_stime);
  info.max_rss_kib = after.ru_maxrss;
  info.rate_skipped = driver.rate_skipped();
  info.watchdog = watchdog;
  info.upstream_unread = std::move(unread);
  const Report report = BuildReport(options, recorder, info);
  std::fwrite(report.json.data(), 1, report.json.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
  if (!options.quiet) {
    std::fwrite(report.text.data(), 1, report.text.size(), stderr);
    std::fflush(stderr);
  }
  if (watchdog) std::_Exit(3);
  client->Stop();
  io.run_for(std::chrono::milliseconds(50));
  return 0;
}

}  // namespace loadgen
