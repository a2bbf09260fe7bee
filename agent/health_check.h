// Health checks of tasks, as Marathon ran them (../shared/reference/
// external-apis.md §1.3): HTTP (GET path on the task's port; 2xx and 3xx pass),
// TCP (a connection succeeds) and COMMAND (a shell command exits 0), each within
// its timeout; and HealthTracker, the pure bookkeeping that decides a task's
// health and when it must be killed.
//
// Marathon's rules, kept here: failures within gracePeriodSeconds of the
// task's start are ignored until the check first passes; after
// maxConsecutiveFailures failures in a row the task is killed (0: never).
//
// Worked example (grace 60 s, interval 10 s, max 3): a task failing from its
// start is ignored for 60 s, then checks at 70, 80, 90 s fail and it is killed
// at 90 s. A task that passed once at 20 s and fails from 30 s on is killed at 50 s.
#ifndef PAASTA_AGENT_HEALTH_CHECK_H_
#define PAASTA_AGENT_HEALTH_CHECK_H_

#include <map>
#include <string>

#include "absl/time/time.h"
#include "protos/types.pb.h"

namespace paasta::agent {

struct CheckResult {
  bool passed = false;
  // Why it failed, e.g. "HTTP 503", "connection refused", "timed out after 2s".
  std::string cause;
};

// Runs one check against a task on `host` whose ports are `ports`. COMMAND
// checks run with `env` (PORT and friends) in `work_dir`. Blocks for at most
// the check's timeout (plus a little).
CheckResult RunHealthCheck(const v1::HealthCheck& check, const std::string& host,
                           const std::vector<int>& ports, const std::map<std::string, std::string>& env,
                           const std::string& work_dir);

// One task's health under one check.
class HealthTracker {
 public:
  HealthTracker(const v1::HealthCheck& check, absl::Time task_started);

  // Records a result at `now`.
  void Record(const CheckResult& result, absl::Time now);

  // True when the task must be killed: past the grace period (or after a first
  // success) with max_consecutive_failures failures in a row.
  bool ShouldKill() const;

  // Marathon's healthCheckResults entry.
  v1::HealthCheckResult Result() const;
  // Whether any result exists yet.
  bool HasResult() const { return has_result_; }
  bool Alive() const { return alive_; }

  // When the next check is due.
  absl::Time NextCheck() const { return next_check_; }

 private:
  // Constant after construction.
  const int max_failures_;
  const absl::Duration grace_;
  const absl::Duration interval_;
  const absl::Time started_;

  bool has_result_ = false;
  bool alive_ = false;
  bool ever_passed_ = false;
  int consecutive_failures_ = 0;
  absl::Time first_success_ = absl::InfinitePast();
  absl::Time last_success_ = absl::InfinitePast();
  absl::Time last_failure_ = absl::InfinitePast();
  std::string last_failure_cause_;
  absl::Time next_check_;
};

// The checks' defaults when the definition leaves them unset (Marathon's).
absl::Duration GracePeriod(const v1::HealthCheck& check);
absl::Duration Interval(const v1::HealthCheck& check);
absl::Duration Timeout(const v1::HealthCheck& check);

}  // namespace paasta::agent

#endif  // PAASTA_AGENT_HEALTH_CHECK_H_
