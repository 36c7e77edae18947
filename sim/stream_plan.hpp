// The sequence of pushes one chat turn produces, decided up front from the knobs: the server
// only walks it, waiting and sending, so every ordering variant is unit-testable.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "sim/options.hpp"

namespace sim {

// The wrong text sent before an overwrite:true correction.
inline constexpr std::string_view kWrongPartial = "SIM-WRONG-PARTIAL";

struct StreamStep {
  enum class Kind {
    kStepStart,  // chat/process_step_callback step_start
    kTitle,      // session/title/update
    kPrefill,    // wait for the prompt's prefill time
    kDelta,      // chat/answer
    kStepEnd,    // chat/process_step_callback step_end
    kFinish,     // chat/finish
    kExit,       // crash: flush what was sent, then _exit
    kHang,       // never finish (until chat/stop)
  };
  Kind kind;
  std::string_view text;     // kDelta: the delta; kFinish: fullAnswer
  bool overwrite = false;    // kDelta
  bool delay = false;        // kDelta: wait delta_delay_ms first
  std::size_t answered = 0;  // kDelta: bytes of the answer the client holds correctly after it
  int status = 200;          // kStepEnd ("done" or "error"), kFinish (statusCode)
  std::string_view reason;   // kFinish
};

// Plans a turn whose full answer is `answer`. Views point into `answer`, `knobs` and static
// text: keep both alive while the plan is used.
std::vector<StreamStep> PlanStream(std::string_view answer, bool new_session, const Knobs& knobs);

// "success" for 200, else knobs.finish_reason or a fixed text per status.
std::string_view FinishReason(const Knobs& knobs);

}  // namespace sim
