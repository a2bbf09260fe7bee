// Tron-style time variables in scheduled job commands, exactly as the original
// PaaSTA rendered them (../shared/reference/paasta-behaviour.md §6.7):
//
//   ./rollup --date %(shortdate-1)s --hour %(hour)s   at 2016-03-01 05:30
//   -> ./rollup --date 2016-02-29 --hour 05
//
// Variables: shortdate (YYYY-MM-DD, offset in days), year (offset in years),
// month (offset in months), day (offset in days), hour (offset in hours),
// unixtime (seconds, offset in seconds) and daynumber (proleptic Gregorian day
// ordinal, offset in days). `%%` is a literal percent sign. The key is read as
// the original's `re.match(r"(\w+)([+-]\d+)?")`: anything after that is
// ignored, so `%(shortdate - 1)s` is today's date, as it was.
#ifndef PAASTA_SCHEDULER_BRIDGE_TIME_VARIABLES_H_
#define PAASTA_SCHEDULER_BRIDGE_TIME_VARIABLES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace paasta::scheduler {

// Renders `command` at `at`, read in `zone` (the original used the host's local
// time). All or nothing: INVALID_ARGUMENT naming `job` and the variable or the
// format problem (an unknown variable, a day the target month lacks such as
// `%(month+1)s` on January 31, a `%` not followed by `%` or `(name)`, a missing
// `)`, a conversion other than s, d, i or r), never a half-rendered command.
absl::StatusOr<std::string> RenderTimeVariables(absl::string_view command, absl::Time at, absl::TimeZone zone,
                                                absl::string_view job);

// Whether `command` uses any `%(...)` variable (a rerun of such a job needs a date).
bool HasTimeVariables(absl::string_view command);

}  // namespace paasta::scheduler

#endif  // PAASTA_SCHEDULER_BRIDGE_TIME_VARIABLES_H_
