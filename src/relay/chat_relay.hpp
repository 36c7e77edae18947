// Runs one chat turn for any API protocol: session-affinity lookup, instance choice, the prompt,
// Lingma's answer as neutral chat events, cancellation when the client leaves, and the cache
// write-back of a complete turn.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "chat/model.hpp"
#include "chat/session_cache.hpp"
#include "lingma/pool.hpp"
#include "relay/answer_sink.hpp"
#include "relay/turn_report.hpp"

namespace obs {
class Logger;
}

namespace relay {

class AnswerFlow;

struct RelayOptions {
  std::chrono::milliseconds idle_timeout{120000};     // silence from Lingma that fails the turn
  std::chrono::milliseconds silence_interval{15000};  // OnSilence period; 0 = never
  std::string ask_mode = "chat";
};

class ChatRelay {
 public:
  ChatRelay(lingma::Pool& pool, chat::SessionCache& cache, RelayOptions options,
            obs::Logger& logger);

  // `scope`: the API key's fingerprint. `model_key`: the upstream key (resolved and known).
  // `report` is filled in as the turn runs (the caller keeps it: it is logged afterwards).
  boost::asio::awaitable<void> Run(const chat::ChatRequest& request, std::string_view scope,
                                   const std::string& model_key, AnswerSink& sink,
                                   TurnReport& report);

  // Why no instance can serve (for 503 messages).
  chat::Failure Unavailable() const;

  // Deletes upstream sessions nobody will continue (best effort: Lingma's answer is not awaited).
  void DeleteSessions(const std::vector<chat::UpstreamSession>& sessions);

 private:
  enum class AttemptResult { kDone, kRetry };
  // One try of the turn on one instance; kRetry only when `may_retry` and nothing reached the
  // client yet.
  boost::asio::awaitable<AttemptResult> Attempt(const chat::ChatRequest& request,
                                                std::string_view scope,
                                                const std::string& model_key, AnswerSink& sink,
                                                TurnReport& report,
                                                std::chrono::steady_clock::time_point started,
                                                bool may_retry);
  // The end of an attempt whose turn finished: cache write-back, usage, the finish or failure.
  boost::asio::awaitable<void> Conclude(const chat::ChatRequest& request,
                                        const lingma::FinishPush& finish, AnswerFlow& flow,
                                        std::string_view prompt_text, std::uint64_t ticket,
                                        const chat::UpstreamSession& used, AnswerSink& sink,
                                        TurnReport& report);
  // Sends the chat/ask. Apart from Attempt so that the ask is not kept in its frame while the
  // answer streams.
  boost::asio::awaitable<lingma::Result<std::unique_ptr<lingma::ChatTurn>>> StartTurn(
      lingma::Instance& instance, std::string_view question, const std::string& session_id,
      bool is_reply, const std::string& model_key);
  boost::asio::awaitable<void> FailUnavailable(AnswerSink& sink, TurnReport& report) const;

  lingma::Pool& pool_;
  chat::SessionCache& cache_;
  RelayOptions options_;
  obs::Logger& logger_;
  std::mt19937_64 random_;
};

}  // namespace relay
