// Runs one chat turn for any API protocol: picks an instance, builds the prompt, streams Lingma's
// answer as neutral chat events, stops the turn when the client leaves, and reports what happened.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "chat/model.hpp"
#include "lingma/instance.hpp"

namespace obs {
class Logger;
}

namespace relay {

// Where a turn's answer goes. Every call returns false when the client is gone.
class AnswerSink {
 public:
  virtual ~AnswerSink() = default;
  // Content and reasoning deltas, then exactly one Finish or Failure.
  virtual boost::asio::awaitable<bool> OnEvent(const chat::ChatEvent& event) = 0;
  // Lingma has been silent for the keep-alive interval (a stream sends a comment).
  virtual boost::asio::awaitable<bool> OnSilence() = 0;
  // Set by the HTTP layer when the client disconnects while the turn waits for Lingma.
  virtual bool client_gone() const = 0;
};

struct RelayOptions {
  std::chrono::milliseconds idle_timeout{120000};     // silence from Lingma that fails the turn
  std::chrono::milliseconds silence_interval{15000};  // OnSilence period; 0 = never
  std::string ask_mode = "chat";
};

// What happened, for logs and metrics.
struct TurnReport {
  int instance = -1;
  std::string outcome;  // "ok", "content_filter", "client_gone", or the failure code
  int http_status = 200;
  std::size_t prompt_bytes = 0;
  std::chrono::microseconds time_to_first_token{0};
  chat::Usage usage;
};

class ChatRelay {
 public:
  ChatRelay(std::vector<lingma::Instance*> instances, RelayOptions options, obs::Logger& logger);

  // `model_key` is the upstream key (already resolved and known to exist).
  boost::asio::awaitable<TurnReport> Run(const chat::ChatRequest& request, std::string model_key,
                                         AnswerSink& sink);

  // A ready, logged-in instance with the fewest turns in progress; nullptr if none.
  lingma::Instance* PickInstance() const;
  // Why no instance can serve (for 503 messages).
  chat::Failure Unavailable() const;

 private:
  std::vector<lingma::Instance*> instances_;
  RelayOptions options_;
  obs::Logger& logger_;
  std::mt19937_64 random_;
};

}  // namespace relay
