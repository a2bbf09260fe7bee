#include "deployer/deployer.h"

#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/config/deployments.h"
#include "common/config/soa_loader.h"
#include "common/config/system_config.h"
#include "deployer/app_composer.h"
#include "deployer/config_hash.h"
#include "deployer/reconcile.h"
#include "google/protobuf/util/time_util.h"
#include "spdlog/spdlog.h"

namespace paasta::deployer {
namespace {

using google::protobuf::util::TimeUtil;

std::string Key(const std::string& service, const std::string& instance) {
  return absl::StrCat(service, ".", instance);
}

}  // namespace

Deployer::Deployer(DeployerOptions options, Orchestrator* orchestrator, DrainClient* drainer, Clock* clock,
                   BackendSource* backends)
    : options_(std::move(options)),
      orchestrator_(orchestrator),
      drainer_(drainer),
      clock_(clock),
      backends_(backends),
      events_("deployer", clock) {}

std::vector<v1::InstanceStatus> Deployer::Reconcile(const std::string& service, const std::string& instance) {
  absl::MutexLock pass(&pass_mu_);
  return Pass(service, instance, nullptr, false, false);
}

absl::StatusOr<int> Deployer::EmergencyStop(const std::string& service, const std::string& instance) {
  absl::MutexLock pass(&pass_mu_);
  int killed = 0;
  const std::vector<v1::InstanceStatus> statuses = Pass(service, instance, &killed, true, false);
  if (statuses.empty()) {
    return absl::NotFoundError(absl::StrCat(Key(service, instance), " is not a marathon instance of this cluster"));
  }
  if (!statuses[0].last_error().empty()) return absl::FailedPreconditionError(statuses[0].last_error());
  return killed;
}

absl::StatusOr<v1::InstanceStatus> Deployer::EmergencyStart(const std::string& service, const std::string& instance) {
  absl::MutexLock pass(&pass_mu_);
  const std::vector<v1::InstanceStatus> statuses = Pass(service, instance, nullptr, false, true);
  if (statuses.empty()) {
    return absl::NotFoundError(absl::StrCat(Key(service, instance), " is not a marathon instance of this cluster"));
  }
  return statuses[0];
}

std::vector<v1::InstanceStatus> Deployer::List(const std::string& service) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::InstanceStatus> out;
  for (const auto& [key, status] : statuses_) {
    if (service.empty() || status.instance().service() == service) out.push_back(status);
  }
  return out;
}

absl::StatusOr<v1::InstanceStatus> Deployer::Get(const std::string& service, const std::string& instance) {
  absl::MutexLock lock(&mu_);
  auto it = statuses_.find(Key(service, instance));
  if (it == statuses_.end()) {
    return absl::NotFoundError(absl::StrCat(Key(service, instance), " is not a marathon instance of this cluster"));
  }
  return it->second;
}

std::vector<v1::InstanceStatus> Deployer::Pass(const std::string& only_service, const std::string& only_instance,
                                               int* killed_for_stop, bool stop, bool start) {
  std::vector<v1::InstanceStatus> out;
  const absl::StatusOr<config::SystemConfig> system = config::LoadSystemConfig(options_.system_config_dir);
  if (!system.ok()) {
    spdlog::error("deployer pass skipped: {}", std::string(system.status().message()));
    return out;
  }
  const std::string cluster = options_.cluster.empty() ? system->cluster : options_.cluster;
  const config::SoaDir soa(options_.soa_dir);
  const absl::StatusOr<std::vector<std::string>> services = soa.ServicesToVisit(only_service);
  if (!services.ok()) {
    spdlog::error("deployer pass skipped: {}", std::string(services.status().message()));
    return out;
  }

  // What runs, listed once for the whole pass and looked up by id prefix.
  std::string scope;
  if (!only_service.empty()) {
    scope = only_instance.empty() ? FormatIdPart(only_service) + "." : AppIdPrefix(only_service, only_instance) + ".";
  }
  std::map<std::string, OrchestratorApp> running;
  absl::StatusOr<std::vector<OrchestratorApp>> listed = orchestrator_->ListApps(scope);
  if (listed.ok()) {
    for (OrchestratorApp& app : *listed) running.emplace(app.id, std::move(app));
  }
  // SmartStack's view of the backends, once per pass (check_haproxy).
  absl::StatusOr<std::map<std::string, std::set<std::string>>> up_backends = absl::UnavailableError("no SmartStack");
  if (backends_ != nullptr) {
    up_backends = backends_->UpBackends();
    if (!up_backends.ok()) {
      spdlog::warn("{}; health checks alone decide which tasks are happy this pass",
                   std::string(up_backends.status().message()));
    }
  }
  // The instance's apps; the trailing dot keeps "main" from matching "main_foo".
  auto apps_of = [&](const config::MarathonInstanceConfig& config) -> absl::StatusOr<std::vector<OrchestratorApp>> {
    if (!listed.ok()) return listed.status();
    const std::string prefix = AppIdPrefix(config.service, config.instance) + ".";
    std::vector<OrchestratorApp> apps;
    for (auto it = running.lower_bound(prefix); it != running.end() && absl::StartsWith(it->first, prefix); ++it) {
      apps.push_back(it->second);
    }
    return apps;
  };

  for (const std::string& service_name : *services) {
    std::vector<config::Problem> problems;
    const absl::StatusOr<config::ServiceConfig> service = soa.LoadService(service_name, &problems);
    if (!service.ok()) continue;
    const absl::StatusOr<config::Deployments> deployments = config::ReadDeployments(options_.soa_dir, service_name);
    for (const config::MarathonInstanceConfig& config : service->marathon) {
      if (config.cluster != cluster || (!only_instance.empty() && config.instance != only_instance)) continue;
      v1::InstanceStatus status;
      status.mutable_instance()->set_service(config.service);
      status.mutable_instance()->set_instance(config.instance);
      status.mutable_instance()->set_cluster(cluster);
      status.set_bounce_method(config.bounce_method);
      *status.mutable_last_pass() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(clock_->Now()));
      auto finish = [&](v1::InstanceStatus done) {
        // Bounce steps are events; an error is one event until it changes or ends.
        events_.RecordChange(config.service, config.instance,
                             done.last_error().empty() ? "" : absl::StrCat("cannot deploy: ", done.last_error()));
        out.push_back(done);
        absl::MutexLock lock(&mu_);
        statuses_[Key(config.service, config.instance)] = std::move(done);
      };

      // A bad config leaves the running app untouched.
      std::string config_error;
      for (const config::Problem& problem : problems) {
        if (problem.severity == config::Problem::Severity::kError && problem.instance == config.Name()) {
          config_error = problem.ToString();
          break;
        }
      }
      if (!config_error.empty()) {
        status.set_last_error(absl::StrCat("bad config, the running app is left as it is: ", config_error));
        finish(status);
        continue;
      }
      if (!deployments.ok() && absl::IsNotFound(deployments.status())) {
        // No deployments.json at all: nothing was ever marked for deployment.
        // Not a broken config, but the instance does not run: say why.
        status.set_last_action("not deployed yet");
        status.set_last_error(std::string(deployments.status().message()));
        finish(status);
        continue;
      }
      if (!deployments.ok()) {
        status.set_last_error(std::string(deployments.status().message()));
        finish(status);
        continue;
      }
      const config::BranchDeployment* entry = deployments->ForBranch(config.service, config.branch);
      if (entry == nullptr) {
        status.set_last_action("not deployed yet");
        status.set_last_error(absl::StrCat("no deployment of ", config.service, ":", config.branch, " in ",
                                           options_.soa_dir, "/", config.service, "/deployments.json: has ",
                                           config.Name(), " been deployed?"));
        finish(status);
        continue;
      }
      status.set_git_sha(entry->GitSha());
      status.set_desired_state(entry->desired_state == config::DesiredState::kStop ? v1::DESIRED_STATE_STOP
                                                                                   : v1::DESIRED_STATE_START);
      const absl::StatusOr<ComposedApp> desired =
          ComposeApp(config, *entry, *system, options_.location_count, service->git_url);
      if (!desired.ok()) {
        status.set_last_error(std::string(desired.status().message()));
        finish(status);
        continue;
      }
      status.set_desired_app_id(desired->id);
      status.set_expected_instances(desired->instances);

      // Emergency stops live on the apps: held while the desired app is the one
      // that was desired at the stop.
      const absl::StatusOr<std::vector<OrchestratorApp>> apps = apps_of(config);
      if (!apps.ok()) {
        status.set_last_error(std::string(apps.status().message()));
        finish(status);
        continue;
      }
      DescribeTasks(*apps, desired->id, &status);
      bool stopped = false;
      for (const OrchestratorApp& app : *apps) {
        auto label = app.labels.find(kEmergencyStopLabel);
        if (label != app.labels.end() && label->second == desired->id) stopped = true;
      }
      if (start && stopped) {
        for (const OrchestratorApp& app : *apps) {
          if (app.labels.count(kEmergencyStopLabel) != 0) {
            orchestrator_->SetLabel(app.id, kEmergencyStopLabel, "").IgnoreError();
          }
        }
        stopped = false;
        status.set_last_action("emergency stop lifted");
        events_.Record(config.service, config.instance, status.last_action());
      }
      if (stop) {
        std::vector<std::string> tasks;
        for (const OrchestratorApp& app : *apps) {
          for (const OrchestratorTask& task : app.tasks) tasks.push_back(task.id);
        }
        absl::Status killed = tasks.empty() ? absl::OkStatus() : orchestrator_->KillTasks(tasks, /*scale=*/true);
        for (const OrchestratorApp& app : *apps) {
          if (killed.ok()) killed = orchestrator_->ScaleApp(app.id, 0);
          if (killed.ok()) killed = orchestrator_->SetLabel(app.id, kEmergencyStopLabel, desired->id);
        }
        if (!killed.ok()) {
          status.set_last_error(absl::StrCat("emergency stop failed: ", killed.message()));
        } else {
          if (killed_for_stop != nullptr) *killed_for_stop += static_cast<int>(tasks.size());
          status.set_last_action(absl::StrCat("emergency stop: killed ", tasks.size(), " tasks"));
          events_.Record(config.service, config.instance, status.last_action());
          spdlog::warn("emergency stop of {}: killed {} tasks without draining", config.Name(), tasks.size());
        }
        stopped = true;
      }
      if (stopped) {
        status.set_emergency_stopped(true);
        status.set_expected_instances(0);
        finish(status);
        continue;
      }

      const std::set<std::string>* haproxy_up = nullptr;
      if (up_backends.ok() && config.InSmartstack()) {
        auto ns = up_backends->find(config.Registrations()[0]);
        static const std::set<std::string> kNone;
        haproxy_up = ns != up_backends->end() ? &ns->second : &kNone;
      }
      const absl::StatusOr<ReconcileResult> result =
          ReconcileInstance(config, *desired, *apps, *orchestrator_, *drainer_, clock_->Now(), haproxy_up);
      if (!result.ok()) {
        status.set_last_error(std::string(result.status().message()));
        spdlog::warn("cannot deploy {}: {}", config.Name(), status.last_error());
        finish(status);
        continue;
      }
      status.set_bounce_in_progress(result->bounce_in_progress);
      status.set_running_tasks(result->running);
      status.set_healthy_tasks(result->healthy);
      for (const OldAppState& old : result->old_apps) {
        v1::OldApp* out_old = status.add_old_apps();
        out_old->set_app_id(old.app_id);
        out_old->set_happy_tasks(old.happy);
        out_old->set_unhappy_tasks(old.unhappy);
        out_old->set_draining_tasks(old.draining);
      }
      if (!result->actions.empty()) {
        status.set_last_action(result->actions);
        events_.Record(config.service, config.instance,
                       absl::StrCat(config.bounce_method, " bounce: ", result->actions));
        spdlog::info("{} bounce on {}: {}", config.bounce_method, config.Name(), result->actions);
      }
      finish(status);
    }
  }
  return out;
}

void DescribeTasks(const std::vector<OrchestratorApp>& apps, const std::string& desired_app_id,
                   v1::InstanceStatus* status) {
  std::vector<const OrchestratorApp*> ordered;
  for (const OrchestratorApp& app : apps) {
    if (app.id == desired_app_id) {
      ordered.insert(ordered.begin(), &app);
      if (app.launch_delay > absl::ZeroDuration()) {
        *status->mutable_launch_delay() = TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(app.launch_delay));
      }
      if (app.version != absl::InfinitePast()) {
        *status->mutable_app_created() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(app.version));
      }
    } else {
      ordered.push_back(&app);
    }
  }
  for (const OrchestratorApp* app : ordered) {
    for (const OrchestratorTask& task : app->tasks) {
      v1::InstanceTask* out = status->add_tasks();
      out->set_id(task.id);
      out->set_app_id(app->id);
      out->set_host(task.host);
      if (!task.ports.empty()) out->set_port(static_cast<uint32_t>(task.ports[0]));
      if (task.started)
        *out->mutable_started_at() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(task.started_at));
      out->set_health(task.health_results == 0                    ? v1::HEALTH_STATE_UNKNOWN
                      : task.alive_results == task.health_results ? v1::HEALTH_STATE_HEALTHY
                                                                  : v1::HEALTH_STATE_UNHEALTHY);
    }
  }
}

}  // namespace paasta::deployer
