#include "deployer/bounce.h"

#include <algorithm>
#include <cmath>

#include "common/config/soa_config.h"

namespace paasta::deployer {
namespace {

std::set<std::string> All(const BounceInputs& inputs) {
  std::set<std::string> all;
  for (const TasksByApp* tasks : {&inputs.old_happy, &inputs.old_unhappy}) {
    for (const auto& [app, ids] : *tasks) all.insert(ids.begin(), ids.end());
  }
  return all;
}

}  // namespace

absl::StatusOr<BounceDecision> DecideBounce(const std::string& method, const BounceInputs& inputs) {
  BounceDecision decision;
  if (method == "brutal") {
    decision.create_app = !inputs.new_app_running;
    decision.tasks_to_drain = All(inputs);
  } else if (method == "upthendown") {
    decision.create_app = !inputs.new_app_running;
    // Exactly the instance count: more happy tasks than that does not trigger it.
    if (inputs.new_app_running &&
        static_cast<int64_t>(inputs.happy_new_tasks.size()) == inputs.instances) {
      decision.tasks_to_drain = All(inputs);
    }
  } else if (method == "crossover") {
    decision.create_app = !inputs.new_app_running;
    const int64_t needed = std::max<int64_t>(
        static_cast<int64_t>(std::ceil(static_cast<double>(inputs.instances) * inputs.margin_factor)) -
            static_cast<int64_t>(inputs.happy_new_tasks.size()),
        0);
    // Happy tasks app by app, then unhappy ones: the first `needed` keep
    // serving (so unhappy tasks are the first drained).
    std::vector<std::string> ordered;
    for (const TasksByApp* tasks : {&inputs.old_happy, &inputs.old_unhappy}) {
      for (const auto& [app, ids] : *tasks) ordered.insert(ordered.end(), ids.begin(), ids.end());
    }
    for (size_t i = static_cast<size_t>(std::min<int64_t>(needed, static_cast<int64_t>(ordered.size())));
         i < ordered.size(); ++i) {
      decision.tasks_to_drain.insert(ordered[i]);
    }
  } else if (method == "downthenup") {
    decision.create_app = inputs.old_happy.empty() && !inputs.new_app_running;
    decision.tasks_to_drain = All(inputs);
  } else if (method == "down") {
    decision.create_app = false;
    decision.tasks_to_drain = All(inputs);
  } else {
    return absl::InvalidArgumentError(config::NotRecognized("bounce_method", method, config::BounceMethods()));
  }
  return decision;
}

bool IsHappy(const TaskHealth& task, bool app_has_health_checks, absl::Duration min_task_uptime,
             bool check_haproxy) {
  if (check_haproxy && !task.up_in_haproxy) return false;
  if (!task.started) return false;
  if (task.uptime < min_task_uptime) return false;
  if (app_has_health_checks && task.results == 0) return false;
  if (task.results > 0 && task.alive_results == 0) return false;
  return true;
}

std::vector<std::string> OldAppsToDelete(const std::map<std::string, std::set<std::string>>& old_app_tasks,
                                         const std::set<std::string>& killed) {
  std::vector<std::string> apps;
  for (const auto& [app, tasks] : old_app_tasks) {
    if (std::all_of(tasks.begin(), tasks.end(), [&](const std::string& task) { return killed.count(task) != 0; })) {
      apps.push_back(app);
    }
  }
  return apps;
}

}  // namespace paasta::deployer
