// The hacheck drain method: marks a task down in the spool of the hacheck on
// its host, and reads its state back (../shared/reference/external-apis.md §3).
//
//   URL    http://<host>:<hacheck_port>/spool/<service>.<nerve_ns>/<port>/status
//   drain  POST status=down, expiration=<now + expiration>, reason=Drained by Paasta
//   stop   POST status=up
//   state  GET: 200 means up; otherwise the body
//          "Service <name> in <state> state[ since <t>][ until <t>][: <reason>]"
//
// Parameters (drain_method_params): delay (s, default 60; the original's smartstack
// default), hacheck_port (default 6666), expiration (s, default 10 x delay, and
// 60 when that is 0).
// Safe to kill once the task is down and was marked down more than `delay` ago.
#ifndef PAASTA_DRAINER_HACHECK_DRAIN_H_
#define PAASTA_DRAINER_HACHECK_DRAIN_H_

#include <string>

#include "absl/status/statusor.h"
#include "drainer/drain_method.h"

namespace paasta::drainer {

// A spool state as hacheck reports it.
struct HacheckState {
  // "up", or what the body says ("down").
  std::string state = "up";
  // When it was marked down (Unix seconds; 0 when not given).
  double since = 0;
  // When the down state expires (Unix seconds; 0 when not given).
  double until = 0;
  std::string reason;
};

// Parses a hacheck status answer: 200 is up; otherwise the body must match the
// down message exactly. INVALID_ARGUMENT (quoting the body) when it does not.
// Answers longer than this are refused (hacheck's are one short line).
inline constexpr size_t kMaxHacheckAnswer = 1024;

absl::StatusOr<HacheckState> ParseHacheckAnswer(long status_code, const std::string& body);

struct HacheckParams {
  absl::Duration delay = absl::Seconds(60);
  int port = 6666;
  absl::Duration expiration = absl::ZeroDuration();  // zero: 10 x delay
};

class HacheckDrainMethod : public DrainMethod {
 public:
  HacheckDrainMethod(HacheckParams params, const DrainContext& context) : params_(params), context_(context) {}

  absl::Status Drain(const DrainTask& task) override;
  absl::Status StopDraining(const DrainTask& task) override;
  absl::StatusOr<bool> IsDraining(const DrainTask& task) override;
  absl::StatusOr<bool> IsSafeToKill(const DrainTask& task) override;

  // The spool URL of a task.
  std::string SpoolUrl(const DrainTask& task) const;

 private:
  absl::StatusOr<HacheckState> Query(const DrainTask& task);
  absl::Status Post(const DrainTask& task, const std::string& body);

  const HacheckParams params_;
  const DrainContext context_;
};

}  // namespace paasta::drainer

#endif  // PAASTA_DRAINER_HACHECK_DRAIN_H_
