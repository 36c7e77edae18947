// One attempt's answer on its way from Lingma's pushes to the sink: the assembler, the time to
// the first token, and what the relay decides with at the end (a filtered answer, whether the
// client saw output, when Lingma last spoke).
//
// Pushes reach it two ways. The relay's loop awaits them (Take), which can wait for the sink.
// While that loop waits for Lingma with nothing queued, the turn offers each delta as it
// arrives (TakeNow, see lingma::ChatTurn::OfferDirectly): it is taken only if the sink can send
// it without waiting, so a steady stream of deltas does not resume the loop once per delta.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>

#include "chat/answer_assembler.hpp"
#include "lingma/instance.hpp"
#include "relay/answer_sink.hpp"
#include "relay/turn_report.hpp"

namespace relay {

class AnswerFlow {
 public:
  using Clock = std::chrono::steady_clock;

  // `started`: when the request arrived (time to first token is measured from it).
  AnswerFlow(AnswerSink& sink, TurnReport& report, Clock::time_point started);

  // A push the loop awaited. `more_ready`: further pushes are queued behind it, so the sink may
  // hold this one back to send them together; otherwise it is flushed (a finish is sent by the
  // sink at once). False: the client is gone.
  boost::asio::awaitable<bool> Take(lingma::ChatEvent& event, bool more_ready);

  // An answer or think push offered while the loop waits; false (and nothing done) when the
  // sink cannot take it without waiting, or for a finish.
  bool TakeNow(lingma::ChatEvent& event);

  // A keep-alive reached the client: a retry elsewhere would now repeat output.
  void NoteKeepAlive() { client_saw_output_ = true; }

  chat::AnswerAssembler& assembler() { return assembler_; }
  bool filtered() const { return filtered_; }
  bool client_saw_output() const { return client_saw_output_; }
  Clock::time_point last_push() const { return last_push_; }

 private:
  chat::AnswerAssembler::Output Assemble(lingma::ChatEvent& event);
  void Note(const chat::AnswerAssembler::Output& out);

  AnswerSink& sink_;
  TurnReport& report_;
  Clock::time_point started_;
  Clock::time_point last_push_;
  chat::AnswerAssembler assembler_;
  bool filtered_ = false;
  bool first_token_pending_ = true;
  bool client_saw_output_ = false;  // a delta or a keep-alive went out: no more retries
};

}  // namespace relay
