// The monitor's checks as pure functions: the replication arithmetic of the
// original's check_marathon_services_replication (../shared/reference/
// paasta-behaviour.md §8), and the alert state machine that turns a condition
// into OK / PENDING / FIRING with the monitoring.yaml `alert_after` delay.
//
//   ReplicationCheck r = CheckReplication("svc.main", 4, 1, 50);
//   r.under_replicated == true, r.ratio_percent == 25
#ifndef PAASTA_MONITOR_CHECKS_H_
#define PAASTA_MONITOR_CHECKS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "protos/types.pb.h"

namespace paasta::monitor {

struct ReplicationCheck {
  int expected = 0;
  int available = 0;
  // available / expected × 100; 100 when nothing is expected.
  double ratio_percent = 100;
  int threshold_percent = 50;
  // ratio_percent < threshold_percent (never when nothing is expected).
  bool under_replicated = false;
  // "Service S.I has A out of E expected instances available! (threshold: T%)".
  std::string message;
};

// The check of one instance.
ReplicationCheck CheckReplication(const std::string& name, int expected, int available, int threshold_percent);

// An alert's condition at one check.
struct Condition {
  // The check ("check_marathon_services_replication", "setup_marathon_job",
  // "check_chronos_jobs") and the instance or job.
  std::string check;
  v1::InstanceRef instance;
  // Whether it holds now, and what is wrong if it does.
  bool holds = false;
  std::string message;
  // How long it must hold before the alert fires (monitoring.yaml alert_after).
  absl::Duration alert_after = absl::Minutes(2);
  std::string team;
  std::string runbook;
};

// Alerts over time: a condition that starts holding is PENDING, FIRING once it
// has held for alert_after, OK again as soon as it stops (or its instance is
// gone). Not thread-safe.
class AlertTracker {
 public:
  // Records one round of checks at `now`: every alert whose key is not among
  // `conditions` (of a check in `checks_run`) is dropped.
  void Update(const std::vector<Condition>& conditions, const std::vector<std::string>& checks_run, absl::Time now);

  // Every alert, ordered by check then instance.
  std::vector<v1::Alert> Alerts() const;

 private:
  struct State {
    Condition condition;
    // When the condition started holding (or stopped).
    absl::Time since;
    v1::AlertState state = v1::ALERT_STATE_OK;
  };
  // "<check> <service>.<instance>" -> state.
  std::map<std::string, State> alerts_;
};

}  // namespace paasta::monitor

#endif  // PAASTA_MONITOR_CHECKS_H_
