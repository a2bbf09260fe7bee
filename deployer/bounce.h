// Bounce decisions (../shared/reference/paasta-behaviour.md §4.3–§4.5), as pure
// functions. One pass of the deployer takes one step: it decides, from what
// runs now, whether to create the new app and which old tasks to drain; the
// executor drains them, kills those the drainer says are safe, and deletes old
// apps left with nothing.
//
// Worked example (crossover, 3 instances, margin 1.0): the new app has 1 happy
// task; the old app has 3 happy tasks. needed = ceil(3 x 1.0) - 1 = 2 old tasks
// keep serving, so 1 old task is drained now. With 3 happy new tasks, all old
// tasks are drained.
#ifndef PAASTA_DEPLOYER_BOUNCE_H_
#define PAASTA_DEPLOYER_BOUNCE_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace paasta::deployer {

// Tasks of old apps, by app id (ids ordered). An app key with no tasks still
// counts as an old app (the original's dict truthiness).
using TasksByApp = std::map<std::string, std::vector<std::string>>;

struct BounceInputs {
  // The new config's instance count.
  int64_t instances = 0;
  // The new app exists.
  bool new_app_running = false;
  // Happy tasks of the new app.
  std::vector<std::string> happy_new_tasks;
  // Old apps' live tasks, happy and not.
  TasksByApp old_happy;
  TasksByApp old_unhappy;
  // crossover: keep ceil(instances x margin_factor) happy tasks (0 < f <= 1).
  double margin_factor = 1.0;
};

struct BounceDecision {
  bool create_app = false;
  std::set<std::string> tasks_to_drain;
};

// What `method` decides. INVALID_ARGUMENT ("bounce_method not recognized: X.
// Must be one of (...)") for an unknown method.
absl::StatusOr<BounceDecision> DecideBounce(const std::string& method, const BounceInputs& inputs);

// A task as the happy/unhappy classification sees it.
struct TaskHealth {
  // It has started running.
  bool started = false;
  // How long it has run.
  absl::Duration uptime;
  // Its health results exist, and how many passed.
  int results = 0;
  int alive_results = 0;
  // In HAProxy as UP (only asked when check_haproxy).
  bool up_in_haproxy = true;
};

// §4.5: happy = started, up at least min_task_uptime, in HAProxy when
// check_haproxy, and (when the app has health checks) at least one passing
// result.
bool IsHappy(const TaskHealth& task, bool app_has_health_checks, absl::Duration min_task_uptime,
             bool check_haproxy);

// §4.4: the old apps every one of whose tasks is in `killed` (apps with no task
// at all included), to be deleted.
std::vector<std::string> OldAppsToDelete(const std::map<std::string, std::set<std::string>>& old_app_tasks,
                                         const std::set<std::string>& killed);

}  // namespace paasta::deployer

#endif  // PAASTA_DEPLOYER_BOUNCE_H_
