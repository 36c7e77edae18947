// Planning a chat turn's pushes; see stream_plan.hpp.
#include "sim/stream_plan.hpp"

#include <algorithm>

#include "sim/utf8.hpp"

namespace sim {

std::string_view FinishReason(const Knobs& knobs) {
  if (!knobs.finish_reason.empty()) return knobs.finish_reason;
  switch (knobs.finish_status) {
    case 200:
      return "success";
    case 401:
      return "not logged in";
    case 403:
      return "auth or quota error: quota exhausted";
    case 406:
      return "Session blocked, Please clear context try again";
    case 408:
      return "timeout: empty response";
    case 429:
      return "Too many requests, rate limited";
    case 500:
      return "internal server error";
    case 601:
      return "content intercepted";
    default:
      return "error";
  }
}

std::vector<StreamStep> PlanStream(std::string_view answer, bool new_session, const Knobs& knobs,
                                   std::string& ill_formed) {
  using Kind = StreamStep::Kind;
  const bool failing = knobs.finish_status != 200;
  std::vector<std::string_view> parts =
      SplitByCodePoints(answer, static_cast<std::size_t>(knobs.deltas));
  if (failing && parts.size() > static_cast<std::size_t>(knobs.error_after_deltas)) {
    parts.resize(static_cast<std::size_t>(knobs.error_after_deltas));
  }
  std::string_view wrong_partial = kWrongPartial;
  ill_formed.clear();
  if (knobs.invalid_utf8) {
    // The streamed text becomes the corrupted pieces end to end (then the corrupted wrong
    // partial, which the client never keeps); the views are taken once it is complete.
    std::vector<std::size_t> ends;
    ends.reserve(parts.size());
    for (std::string_view part : parts) {
      ill_formed.append(WithIllFormedUtf8(part));
      ends.push_back(ill_formed.size());
    }
    const std::size_t streamed_size = ill_formed.size();
    if (knobs.overwrite) ill_formed.append(WithIllFormedUtf8(kWrongPartial));
    const std::string_view all = ill_formed;
    std::size_t begin = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      parts[i] = all.substr(begin, ends[i] - begin);
      begin = ends[i];
    }
    wrong_partial = all.substr(streamed_size);
    answer = all.substr(0, streamed_size);
  }
  const std::size_t count = parts.size();
  const bool crash = knobs.exit_after_deltas >= 0;
  const std::size_t crash_after =
      crash ? std::min(count, static_cast<std::size_t>(knobs.exit_after_deltas)) : 0;
  const std::size_t overwrite_at = count >= 2 ? 1 : 0;
  const int end_status = failing ? knobs.finish_status : 200;

  std::vector<StreamStep> steps;
  steps.reserve(count * 3 + 8);
  steps.push_back({.kind = Kind::kStepStart});
  if (new_session) steps.push_back({.kind = Kind::kTitle});
  steps.push_back({.kind = Kind::kPrefill});

  bool step_end_sent = false;
  std::size_t answered = 0;  // bytes of `answer` sent so far
  for (std::size_t i = 0; i < count; ++i) {
    if (crash && crash_after == i) {
      steps.push_back({.kind = Kind::kExit});
      return steps;
    }
    if (i + 1 == count && knobs.step_end == StepEndPosition::kBeforeLastDelta) {
      steps.push_back({.kind = Kind::kStepEnd, .status = end_status});
      step_end_sent = true;
    }
    const std::size_t end = answered + parts[i].size();
    if (knobs.overwrite && i == overwrite_at) {
      steps.push_back(
          {.kind = Kind::kDelta, .text = wrong_partial, .delay = true, .answered = answered});
      steps.push_back({.kind = Kind::kDelta,
                       .text = answer.substr(0, end),
                       .overwrite = true,
                       .answered = end});
    } else {
      steps.push_back({.kind = Kind::kDelta, .text = parts[i], .delay = true, .answered = end});
    }
    answered = end;
    if (knobs.empty_deltas) {
      steps.push_back(
          {.kind = Kind::kDelta, .text = answer.substr(answered, 0), .answered = answered});
    }
  }
  if (crash) {  // exit_after_deltas >= count: crash before the turn can end
    steps.push_back({.kind = Kind::kExit});
    return steps;
  }
  if (!step_end_sent) steps.push_back({.kind = Kind::kStepEnd, .status = end_status});
  if (knobs.hang) {
    steps.push_back({.kind = Kind::kHang});
  } else {
    steps.push_back({.kind = Kind::kFinish,
                     .text = answer.substr(0, answered),
                     .status = end_status,
                     .reason = FinishReason(knobs)});
  }
  return steps;
}

}  // namespace sim
