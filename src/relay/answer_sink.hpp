// Where a chat turn's answer goes: the interface between the relay and an API protocol's
// response (a stream of chunks, or a body collected whole).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string_view>

#include "chat/model.hpp"
#include "chat/session_cache.hpp"

namespace relay {

// What the relay decided before the first answer byte (a stream puts it in its headers).
struct TurnStart {
  chat::SessionOutcome session = chat::SessionOutcome::kOff;
  int instance = -1;
};

// Where a turn's answer goes. Every call returns false when the client is gone.
class AnswerSink {
 public:
  virtual ~AnswerSink() = default;
  virtual void OnStart(const TurnStart& start) = 0;
  // Content and reasoning deltas, then exactly one Finish or Failure. A sink may hold deltas
  // back to send several at once; the relay calls Flush() whenever no further event is ready, and
  // Finish and Failure are always sent at once.
  virtual boost::asio::awaitable<bool> OnEvent(const chat::ChatEvent& event) = 0;
  // Sends what OnEvent held back.
  virtual boost::asio::awaitable<bool> Flush() = 0;
  // Lingma has been silent for the keep-alive interval (a stream sends a comment).
  virtual boost::asio::awaitable<bool> OnSilence() = 0;
  // The synchronous path for deltas: when ready_now(), TakeNow() sends (or queues) a reasoning
  // and a content delta (either may be empty) without waiting and without holding them back.
  // While ready_now() is false, deltas come through OnEvent.
  virtual bool ready_now() const = 0;
  virtual void TakeNow(std::string_view reasoning, std::string_view content) = 0;
  // True once the client disconnected.
  virtual bool client_gone() const = 0;
  // Runs `callback` as soon as the client disconnects (empty: forget it).
  virtual void OnClientGone(std::function<void()> callback) = 0;
};

}  // namespace relay
