// The Marathon deployer's passes: for every marathon instance of the cluster,
// compose its app from the soa-configs, deployments.json and the system config,
// and take one reconcile step on the orchestrator; keep each instance's status.
//
// A failing instance never stops the others; an instance whose config has
// errors is skipped and its running app left untouched. Emergency stops are
// kept as a label on the instance's apps (paasta.emergency_stopped = the app id
// that was desired then), so they hold across deployer restarts and end by
// themselves with the next deploy (a new desired app id).
//
// Thread-safe; passes run one at a time (one bounce step at a time per instance).
#ifndef PAASTA_DEPLOYER_DEPLOYER_H_
#define PAASTA_DEPLOYER_DEPLOYER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/event_log.h"
#include "deployer/orchestrator.h"
#include "protos/deployer.pb.h"

namespace paasta::deployer {

struct DeployerOptions {
  std::string soa_dir;
  std::string system_config_dir;
  // Overrides the system config's cluster when set.
  std::string cluster;
  // Distinct values of the discover attribute among hosts (1 on one machine).
  int location_count = 1;
};

class Deployer {
 public:
  // Not owned; must outlive the deployer. `backends` (SmartStack's view, for
  // the check_haproxy bounce health parameter) may be null.
  Deployer(DeployerOptions options, Orchestrator* orchestrator, DrainClient* drainer, Clock* clock,
           BackendSource* backends = nullptr);

  // One pass over every marathon instance of the cluster, or of one service, or
  // one instance. Returns their statuses after the pass.
  std::vector<v1::InstanceStatus> Reconcile(const std::string& service, const std::string& instance);

  // The last known statuses (of one service when given).
  std::vector<v1::InstanceStatus> List(const std::string& service);
  absl::StatusOr<v1::InstanceStatus> Get(const std::string& service, const std::string& instance);

  // Kills every task of the instance at once (no draining) and holds it at zero
  // until its next deploy. Returns how many tasks were killed.
  absl::StatusOr<int> EmergencyStop(const std::string& service, const std::string& instance);
  // Lifts an emergency stop and reconciles the instance now.
  absl::StatusOr<v1::InstanceStatus> EmergencyStart(const std::string& service, const std::string& instance);

  // Bounce steps, deploy errors and emergency stops, for `paasta logs`.
  const EventLog& events() const { return events_; }

 private:
  // Reconciles (or, with `stop`, emergency-stops) the selected instances.
  std::vector<v1::InstanceStatus> Pass(const std::string& service, const std::string& instance, int* killed_for_stop,
                                       bool stop, bool start) ABSL_EXCLUSIVE_LOCKS_REQUIRED(pass_mu_);

  const DeployerOptions options_;
  Orchestrator* const orchestrator_;
  DrainClient* const drainer_;
  Clock* const clock_;
  BackendSource* const backends_;
  EventLog events_;

  absl::Mutex pass_mu_;
  absl::Mutex mu_;
  // "<service>.<instance>" -> last status.
  std::map<std::string, v1::InstanceStatus> statuses_ ABSL_GUARDED_BY(mu_);
};

// Fills the status's tasks (the desired app's first), launch delay and app
// creation time from the instance's apps.
void DescribeTasks(const std::vector<OrchestratorApp>& apps, const std::string& desired_app_id,
                   v1::InstanceStatus* status);

}  // namespace paasta::deployer

#endif  // PAASTA_DEPLOYER_DEPLOYER_H_
