// A Chronos schedule "R[n]/<start>/<period>" parsed once into a form that
// answers "when is the next run", as Chronos computes runs: each run is the
// previous one plus the period, in the job's time zone (`schedule_time_zone`,
// else the start's own offset). Years, months, weeks and days move the
// wall-clock date (so P1D keeps 09:00 across a daylight-saving change and P1M
// from January 31 gives February 29, then March 29); hours, minutes and seconds
// are exact spans (PT24H is 24 real hours).
//
//   ASSIGN_OR_RETURN(Schedule schedule,
//                    Schedule::Parse("R/2016-03-12T09:00:00-08:00/P1D", "America/Los_Angeles"));
//   std::optional<absl::Time> next = schedule.NextRunAtOrAfter(absl::Now());
#ifndef PAASTA_SCHEDULER_BRIDGE_SCHEDULE_H_
#define PAASTA_SCHEDULER_BRIDGE_SCHEDULE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/iso8601.h"

namespace paasta::scheduler {

class Schedule {
 public:
  // INVALID_ARGUMENT for a malformed schedule, an empty start (PaaSTA refuses
  // it: every such job would fire whenever the scheduler restarts), a period
  // under one minute, or an unknown time zone name.
  static absl::StatusOr<Schedule> Parse(absl::string_view text, absl::string_view time_zone);

  // The first run at or after `t`; none when the repetitions end before it (R0
  // never runs on schedule).
  std::optional<absl::Time> NextRunAtOrAfter(absl::Time t) const;

  // -1 for "R" (forever).
  int64_t repetitions() const { return repetitions_; }
  absl::Time start() const { return start_; }

 private:
  Schedule(int64_t repetitions, absl::Time start, IsoDuration period, absl::TimeZone zone)
      : repetitions_(repetitions), start_(start), period_(period), zone_(zone) {}
  // The run after `run`.
  absl::Time After(absl::Time run) const;
  // The k-th run (0-based), for periods without years or months.
  absl::Time Run(int64_t k) const;

  int64_t repetitions_;
  absl::Time start_;
  IsoDuration period_;
  absl::TimeZone zone_;
};

}  // namespace paasta::scheduler

#endif  // PAASTA_SCHEDULER_BRIDGE_SCHEDULE_H_
