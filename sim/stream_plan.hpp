// The sequence of pushes one chat turn produces, decided up front from the knobs: the server
// only walks it, waiting and sending, so every ordering variant is unit-testable.
#pragma once

#include <cstddef>
#include <string>
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
  std::size_t answered = 0;  // kDelta: bytes of the streamed text the client then holds correctly
  int status = 200;          // kStepEnd ("done" or "error"), kFinish (statusCode)
  std::string_view reason;   // kFinish
};

// Plans a turn whose full answer is `answer`. Views point into `answer`, `knobs`, `ill_formed`
// and static text: keep them alive (and `ill_formed` unchanged) while the plan is used.
//
// With knobs.invalid_utf8 every non-empty delta carries WithIllFormedUtf8(piece) instead of the
// piece (the wrong partial too), and what the client holds — the overwrite correction, the
// finish's fullAnswer and `answered` — is the concatenation of those corrupted pieces: that
// text is built in `ill_formed`. Otherwise `ill_formed` is left empty.
std::vector<StreamStep> PlanStream(std::string_view answer, bool new_session, const Knobs& knobs,
                                   std::string& ill_formed);

// "success" for 200, else knobs.finish_reason or a fixed text per status.
std::string_view FinishReason(const Knobs& knobs);

}  // namespace sim
