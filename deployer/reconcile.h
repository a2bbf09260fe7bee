// One reconcile step for one marathon instance: the original's deploy_service
// (../shared/reference/paasta-behaviour.md §4.2, §4.4). Level-triggered: it
// reads what runs now, decides with the bounce method, and acts once:
//
//   1. the new app (the composed id) and the old apps (same service.instance);
//   2. scaling without bouncing when only the count changed (extra tasks of the
//      new app are drained first: draining, then unhappy, then happy ones);
//   3. old tasks sorted into draining, happy and unhappy;
//   4. the bounce decision: create the new app, which old tasks to drain;
//   5. drain them (a failing drain kills the task at once), kill those the
//      drainer says are safe (scaling their apps down), delete old apps left
//      with nothing.
#ifndef PAASTA_DEPLOYER_RECONCILE_H_
#define PAASTA_DEPLOYER_RECONCILE_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/soa_config.h"
#include "deployer/app_composer.h"
#include "deployer/orchestrator.h"

namespace paasta::deployer {

struct OldAppState {
  std::string app_id;
  int happy = 0;
  int unhappy = 0;
  int draining = 0;
};

struct ReconcileResult {
  std::string desired_app_id;
  int64_t expected_instances = 0;
  // Tasks of the desired app that run, and that are happy.
  int running = 0;
  int healthy = 0;
  std::vector<OldAppState> old_apps;
  // Old apps remain after this step.
  bool bounce_in_progress = false;
  // What this step did, e.g. "created app ...; drained 1 task; killed 1 task".
  std::string actions;
};

// Takes one step. Errors are the orchestrator's (nothing destructive is done
// on a failed read) or an unknown bounce method.
absl::StatusOr<ReconcileResult> ReconcileInstance(const config::MarathonInstanceConfig& config,
                                                  const ComposedApp& desired, Orchestrator& orchestrator,
                                                  DrainClient& drainer, absl::Time now);

// The same step from `apps`, the instance's apps as listed at the start of the
// pass (the deployer lists a whole cluster once per pass, not once per instance).
// `haproxy_up`: the "host:port" backends HAProxy has UP in the instance's
// namespace, when SmartStack could say; with the bounce health parameter
// check_haproxy a task is happy only when it is among them (§4.5), so a
// crossover never drains an old task before its replacement takes traffic.
absl::StatusOr<ReconcileResult> ReconcileInstance(const config::MarathonInstanceConfig& config,
                                                  const ComposedApp& desired, const std::vector<OrchestratorApp>& apps,
                                                  Orchestrator& orchestrator, DrainClient& drainer, absl::Time now,
                                                  const std::set<std::string>* haproxy_up = nullptr);

}  // namespace paasta::deployer

#endif  // PAASTA_DEPLOYER_RECONCILE_H_
