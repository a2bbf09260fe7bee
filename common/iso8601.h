// ISO-8601 as Chronos schedules use it: durations (PnYnMnWnDTnHnMnS), date-times
// with a zone, and repeating intervals R[n]/<start>/<period>.
//
// Example:
//
//   ASSIGN_OR_RETURN(RepeatingInterval schedule,
//                    ParseRepeatingInterval("R/2014-09-25T00:00:00Z/PT24H"));
//   // schedule.repetitions == -1 (forever), schedule.period.days == 0,
//   // schedule.period.hours == 24
#ifndef PAASTA_COMMON_ISO8601_H_
#define PAASTA_COMMON_ISO8601_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace paasta {

// A duration in ISO-8601 designators. Years and months have no fixed length, so
// they are kept apart from the rest.
struct IsoDuration {
  int64_t years = 0;
  int64_t months = 0;
  int64_t weeks = 0;
  int64_t days = 0;
  int64_t hours = 0;
  int64_t minutes = 0;
  double seconds = 0;

  // True when years or months are set.
  bool HasCalendarUnits() const { return years != 0 || months != 0; }
  // Weeks through seconds as a fixed span (days are 24 h here).
  absl::Duration FixedPart() const;
};

// Parses "PnYnMnWnDTnHnMnS" (at least one component, each at most 1,000,000;
// only seconds may have a fraction, written with '.' or ','). INVALID_ARGUMENT
// says what is wrong.
absl::StatusOr<IsoDuration> ParseIsoDuration(absl::string_view text);

// Parses "YYYY-MM-DDTHH:MM[:SS[.fraction]]" followed by "Z", "+HH:MM", "+HHMM",
// "+HH" (or '-'), or nothing, in which case the time is read in
// `default_zone`. INVALID_ARGUMENT says what is wrong.
absl::StatusOr<absl::Time> ParseIsoDateTime(absl::string_view text,
                                            absl::TimeZone default_zone = absl::UTCTimeZone());

// "R[n]/<start>/<period>" (Chronos's form; the start may be empty, meaning now).
struct RepeatingInterval {
  // How many runs; -1 for "R" (forever).
  int64_t repetitions = -1;
  // The start as written; empty when the schedule has none.
  std::string start_text;
  // The parsed start (meaningless when start_text is empty).
  absl::Time start;
  // The period between runs.
  IsoDuration period;
};

// Parses a repeating interval, reading a zoneless start in `default_zone`.
// INVALID_ARGUMENT names the part at fault.
absl::StatusOr<RepeatingInterval> ParseRepeatingInterval(
    absl::string_view text, absl::TimeZone default_zone = absl::UTCTimeZone());

}  // namespace paasta

#endif  // PAASTA_COMMON_ISO8601_H_
