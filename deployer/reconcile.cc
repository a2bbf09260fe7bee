#include "deployer/reconcile.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "deployer/bounce.h"
#include "deployer/config_hash.h"

namespace paasta::deployer {
namespace {

TaskHealth HealthOf(const OrchestratorTask& task, absl::Time now) {
  TaskHealth health;
  health.started = task.started;
  health.uptime = task.started ? now - task.started_at : absl::ZeroDuration();
  health.results = task.health_results;
  health.alive_results = task.alive_results;
  return health;
}

}  // namespace

absl::StatusOr<ReconcileResult> ReconcileInstance(const config::MarathonInstanceConfig& config,
                                                  const ComposedApp& desired, Orchestrator& orchestrator,
                                                  DrainClient& drainer, absl::Time now) {
  // The trailing dot keeps "main" from matching "main_foo".
  absl::StatusOr<std::vector<OrchestratorApp>> apps =
      orchestrator.ListApps(AppIdPrefix(config.service, config.instance) + ".");
  if (!apps.ok()) return apps.status();
  return ReconcileInstance(config, desired, *apps, orchestrator, drainer, now);
}

absl::StatusOr<ReconcileResult> ReconcileInstance(const config::MarathonInstanceConfig& config,
                                                  const ComposedApp& desired,
                                                  const std::vector<OrchestratorApp>& listed,
                                                  Orchestrator& orchestrator, DrainClient& drainer, absl::Time now,
                                                  const std::set<std::string>* haproxy_up) {
  ReconcileResult result;
  result.desired_app_id = desired.id;
  result.expected_instances = desired.instances;
  std::vector<std::string> actions;
  const std::vector<OrchestratorApp>* apps = &listed;

  const config::ConfigValue health_params = config.BounceHealthParams();
  absl::Duration min_uptime = absl::ZeroDuration();
  if (const config::ConfigValue* value = health_params.Find("min_task_uptime"); value != nullptr && value->IsNumber()) {
    min_uptime = absl::Seconds(value->number_value());
  }
  // check_haproxy needs SmartStack's view of the backends; without it (no
  // SmartStack, or it cannot be reached) the health checks decide alone.
  const config::ConfigValue* check_haproxy_value = health_params.Find("check_haproxy");
  const bool check_haproxy = haproxy_up != nullptr && check_haproxy_value != nullptr && check_haproxy_value->IsBool() &&
                             check_haproxy_value->bool_value();
  auto happy = [&](const OrchestratorApp& app, const OrchestratorTask& task) {
    TaskHealth health = HealthOf(task, now);
    if (check_haproxy) {
      health.up_in_haproxy = !task.ports.empty() && haproxy_up->count(absl::StrCat(task.host, ":", task.ports[0])) > 0;
    }
    return IsHappy(health, app.has_health_checks, min_uptime, check_haproxy);
  };
  auto target = [&](const OrchestratorTask& task) {
    DrainTarget drain;
    drain.service = config.service;
    drain.instance = config.instance;
    drain.nerve_ns = config.NerveNamespace();
    drain.task = task;
    drain.method = config.DrainMethod();
    drain.params_json = config.DrainMethodParams().ToJson();
    return drain;
  };

  const OrchestratorApp* new_app = nullptr;
  std::vector<const OrchestratorApp*> old;
  for (const OrchestratorApp& app : *apps) {
    if (app.id == desired.id) {
      new_app = &app;
    } else {
      old.push_back(&app);
    }
  }

  TasksByApp old_happy, old_unhappy;
  std::map<std::string, std::vector<OrchestratorTask>> old_draining;
  std::map<std::string, OrchestratorTask> by_id;
  std::vector<std::string> happy_new;

  if (new_app != nullptr) {
    // The new app's tasks: draining, unhappy, happy.
    std::vector<const OrchestratorTask*> draining, unhappy, happy_tasks;
    for (const OrchestratorTask& task : new_app->tasks) {
      by_id[task.id] = task;
      result.running += task.started ? 1 : 0;
      const absl::StatusOr<bool> is_draining = drainer.IsDraining(target(task));
      if (is_draining.ok() && *is_draining) {
        draining.push_back(&task);
      } else if (happy(*new_app, task)) {
        happy_tasks.push_back(&task);
        ++result.healthy;
      } else {
        unhappy.push_back(&task);
      }
    }
    // Scaling without a bounce. Down: up to k extra tasks join the old ones
    // (draining first, then unhappy, then happy).
    int64_t k = 0;
    if (new_app->instances < desired.instances) {
      absl::Status scaled = orchestrator.ScaleApp(new_app->id, desired.instances);
      if (!scaled.ok()) return scaled;
      actions.push_back(absl::StrCat("scaled ", new_app->id, " to ", desired.instances));
    } else {
      k = std::max<int64_t>(
          std::min<int64_t>(static_cast<int64_t>(new_app->tasks.size()), new_app->instances) - desired.instances, 0);
    }
    std::set<std::string> staying_down;
    for (const auto* group : {&draining, &unhappy, &happy_tasks}) {
      for (const OrchestratorTask* task : *group) {
        if (k > 0) {
          --k;
          if (group == &draining) {
            old_draining[new_app->id].push_back(*task);
            staying_down.insert(task->id);
          } else {
            (group == &unhappy ? old_unhappy : old_happy)[new_app->id].push_back(task->id);
          }
        } else if (group == &happy_tasks) {
          happy_new.push_back(task->id);
        }
      }
    }
    // A rollback to an app whose tasks were draining puts them back.
    for (const OrchestratorTask* task : draining) {
      if (staying_down.count(task->id) == 0) drainer.StopDraining(target(*task)).IgnoreError();
    }
  }

  for (const OrchestratorApp* app : old) {
    old_happy[app->id];  // an old app counts even with no task
    OldAppState state;
    state.app_id = app->id;
    for (const OrchestratorTask& task : app->tasks) {
      by_id[task.id] = task;
      const absl::StatusOr<bool> is_draining = drainer.IsDraining(target(task));
      if (is_draining.ok() && *is_draining) {
        old_draining[app->id].push_back(task);
        ++state.draining;
      } else if (happy(*app, task)) {
        old_happy[app->id].push_back(task.id);
        ++state.happy;
      } else {
        old_unhappy[app->id].push_back(task.id);
        ++state.unhappy;
      }
    }
    result.old_apps.push_back(state);
  }

  BounceInputs inputs;
  inputs.instances = desired.instances;
  inputs.new_app_running = new_app != nullptr;
  inputs.happy_new_tasks = happy_new;
  inputs.old_happy = old_happy;
  inputs.old_unhappy = old_unhappy;
  inputs.margin_factor = config.bounce_margin_factor;
  absl::StatusOr<BounceDecision> decision = DecideBounce(config.bounce_method, inputs);
  if (!decision.ok()) return decision.status();

  if (decision->create_app && new_app == nullptr) {
    absl::Status created = orchestrator.CreateApp(desired);
    if (!created.ok()) return created;
    actions.push_back(absl::StrCat("created ", desired.id));
  }

  // Drain (again: it is idempotent) what is draining and what the bounce chose;
  // kill what is safe, or what could not even be drained.
  std::set<std::string> to_drain = decision->tasks_to_drain;
  for (const auto& [app, tasks] : old_draining) {
    for (const OrchestratorTask& task : tasks) to_drain.insert(task.id);
  }
  std::set<std::string> kill;
  int drained = 0;
  for (const std::string& id : to_drain) {
    const DrainTarget drain = target(by_id[id]);
    if (!drainer.Drain(drain).ok()) {
      kill.insert(id);
      continue;
    }
    ++drained;
    const absl::StatusOr<bool> safe = drainer.IsSafeToKill(drain);
    if (!safe.ok() || *safe) kill.insert(id);
  }
  if (drained > 0) actions.push_back(absl::StrCat("draining ", drained, " task", drained == 1 ? "" : "s"));
  if (!kill.empty()) {
    absl::Status killed = orchestrator.KillTasks({kill.begin(), kill.end()}, /*scale=*/true);
    if (!killed.ok()) return killed;
    actions.push_back(absl::StrCat("killed ", absl::StrJoin(kill, ", ")));
  }

  std::map<std::string, std::set<std::string>> old_tasks;
  for (const OrchestratorApp* app : old) {
    std::set<std::string>& tasks = old_tasks[app->id];
    for (const OrchestratorTask& task : app->tasks) tasks.insert(task.id);
  }
  int deleted = 0;
  for (const std::string& app : OldAppsToDelete(old_tasks, kill)) {
    // Scale to zero first (Marathon's delete of a scaled app misbehaved, #725).
    if (orchestrator.ScaleApp(app, 0).ok() && orchestrator.DeleteApp(app).ok()) {
      ++deleted;
      actions.push_back(absl::StrCat("deleted ", app));
    }
  }
  result.bounce_in_progress = static_cast<int>(old.size()) > deleted;
  result.actions = absl::StrJoin(actions, "; ");
  return result;
}

}  // namespace paasta::deployer
