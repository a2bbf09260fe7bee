#include "scheduler-bridge/bridge.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/config/deployments.h"
#include "common/config/soa_loader.h"
#include "common/config/system_config.h"
#include "common/file_util.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"
#include "scheduler-bridge/time_variables.h"
#include "spdlog/spdlog.h"

namespace paasta::scheduler {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToProto(absl::Time t) { return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t)); }

std::string StopsPath(const BridgeOptions& options) { return options.state_dir + "/emergency_stops.json"; }

// The first error about `instance` ("service.instance"), or "".
std::string ConfigError(const std::vector<config::Problem>& problems, const std::string& instance) {
  for (const config::Problem& problem : problems) {
    if (problem.severity == config::Problem::Severity::kError && problem.instance == instance) {
      return problem.ToString();
    }
  }
  return "";
}

// Whether a whole file of the service could not be read (its jobs are then
// unknown, not gone).
bool FileError(const std::vector<config::Problem>& problems) {
  for (const config::Problem& problem : problems) {
    if (problem.severity == config::Problem::Severity::kError && problem.instance.empty()) return true;
  }
  return false;
}

}  // namespace

Bridge::Bridge(BridgeOptions options, JobEngine* engine, Clock* clock)
    : options_(std::move(options)), engine_(engine), clock_(clock), events_("scheduler-bridge", clock) {
  absl::StatusOr<std::string> stops = ReadFile(StopsPath(options_));
  if (!stops.ok()) return;  // none yet
  const nlohmann::json parsed = nlohmann::json::parse(*stops, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    spdlog::error("{}: not a JSON object; emergency stops are forgotten", StopsPath(options_));
    return;
  }
  absl::MutexLock lock(&mu_);
  for (const auto& [name, sha] : parsed.items()) {
    if (sha.is_string()) emergency_stops_[name] = sha.get<std::string>();
  }
}

absl::Status Bridge::SaveEmergencyStops() {
  nlohmann::json stops = nlohmann::json::object();
  for (const auto& [name, sha] : emergency_stops_) stops[name] = sha;
  if (absl::Status made = MakeDirs(options_.state_dir); !made.ok()) return made;
  return WriteFileAtomically(StopsPath(options_), stops.dump(2) + "\n");
}

JobInputs Bridge::Inputs(const config::ChronosJobConfig& config, const config::BranchDeployment& deployment,
                         const config::SystemConfig& system, const std::string& git_url) {
  JobInputs inputs;
  inputs.config = &config;
  inputs.deployment = &deployment;
  inputs.system = &system;
  inputs.team = config::ServiceConfig::Team(config.monitoring);
  inputs.git_url = git_url;
  absl::MutexLock lock(&mu_);
  auto stop = emergency_stops_.find(ChronosJobName(config.service, config.instance));
  inputs.emergency_stopped = stop != emergency_stops_.end() && stop->second == deployment.GitSha();
  return inputs;
}

absl::StatusOr<ComposedJob> Bridge::Compose(const std::string& service_name, const std::string& instance) {
  absl::StatusOr<config::SystemConfig> system = config::LoadSystemConfig(options_.system_config_dir);
  if (!system.ok()) return system.status();
  const std::string cluster = options_.cluster.empty() ? system->cluster : options_.cluster;
  std::vector<config::Problem> problems;
  absl::StatusOr<config::ServiceConfig> service = config::SoaDir(options_.soa_dir).LoadService(service_name, &problems);
  if (!service.ok()) return service.status();
  const std::string name = absl::StrCat(service_name, ".", instance);
  for (const config::ChronosJobConfig& config : service->chronos) {
    if (config.cluster != cluster || config.instance != instance) continue;
    if (std::string error = ConfigError(problems, name); !error.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("bad config: ", error));
    }
    absl::StatusOr<config::Deployments> deployments = config::ReadDeployments(options_.soa_dir, service_name);
    if (!deployments.ok()) return deployments.status();
    const config::BranchDeployment* entry = deployments->ForBranch(config.service, config.branch);
    if (entry == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "instance \"", instance, "\" is either invalid or has not been deployed to \"", cluster, "\" yet"));
    }
    return ComposeJob(Inputs(config, *entry, *system, service->git_url), clock_->Now());
  }
  return absl::NotFoundError(absl::StrCat(name, " is not a chronos job of cluster ", cluster, " (no such key in ",
                                          options_.soa_dir, "/", service_name, "/chronos-", cluster, ".yaml)"));
}

v1::SyncResponse Bridge::Sync(const std::string& only_service) {
  absl::MutexLock sync(&sync_mu_);
  v1::SyncResponse response;
  auto fail = [&](const absl::Status& status) {
    response.add_errors(absl::StrCat("nothing was changed: ", status.message()));
    spdlog::error("sync skipped: {}", std::string(status.message()));
    return response;
  };
  const absl::StatusOr<config::SystemConfig> system = config::LoadSystemConfig(options_.system_config_dir);
  if (!system.ok()) return fail(system.status());
  const std::string cluster = options_.cluster.empty() ? system->cluster : options_.cluster;
  const config::SoaDir soa(options_.soa_dir);
  const absl::StatusOr<std::vector<std::string>> services = soa.ServicesToVisit(only_service);
  if (!services.ok()) return fail(services.status());
  absl::StatusOr<std::vector<EngineJob>> existing = engine_->ListJobs();
  if (!existing.ok()) return fail(existing.status());
  std::map<std::string, const EngineJob*> by_name;
  for (const EngineJob& job : *existing) by_name[job.job.name()] = &job;

  // Jobs configured for the cluster, and services whose jobs are unknown.
  std::set<std::string> configured;
  std::set<std::string> unreadable;
  std::vector<v1::Job> to_put;  // scheduled jobs first: Chronos needs parents before children
  std::vector<v1::Job> dependents;
  std::map<std::string, Known> known;
  const absl::Time now = clock_->Now();
  for (const std::string& service_name : *services) {
    std::vector<config::Problem> problems;
    const absl::StatusOr<config::ServiceConfig> service = soa.LoadService(service_name, &problems);
    if (!service.ok()) {
      if (!absl::IsNotFound(service.status())) {
        unreadable.insert(service_name);
        response.add_errors(std::string(service.status().message()));
      }
      continue;
    }
    if (FileError(problems)) unreadable.insert(service_name);
    const absl::StatusOr<config::Deployments> deployments = config::ReadDeployments(options_.soa_dir, service_name);
    for (const config::ChronosJobConfig& config : service->chronos) {
      if (config.cluster != cluster) continue;
      const std::string name = ChronosJobName(config.service, config.instance);
      configured.insert(name);
      Known& status = known[name];
      status.cluster = cluster;
      if (std::string error = ConfigError(problems, config.Name()); !error.empty()) {
        status.last_error = absl::StrCat("bad config, the job is left as it is: ", error);
        continue;
      }
      if (!deployments.ok()) {
        status.last_error = std::string(deployments.status().message());
        continue;
      }
      const config::BranchDeployment* entry = deployments->ForBranch(config.service, config.branch);
      if (entry == nullptr) {
        status.last_error = absl::StrCat("No deployment found for ", config.Name(), " in cluster ", cluster,
                                         ". Has Jenkins run for it?");
        continue;
      }
      status.desired_state =
          entry->desired_state == config::DesiredState::kStop ? v1::DESIRED_STATE_STOP : v1::DESIRED_STATE_START;
      {
        absl::MutexLock lock(&mu_);
        auto stop = emergency_stops_.find(name);
        if (stop != emergency_stops_.end() && stop->second != entry->GitSha()) {
          emergency_stops_.erase(stop);  // a new deploy ends an emergency stop
          if (absl::Status saved = SaveEmergencyStops(); !saved.ok()) response.add_errors(std::string(saved.message()));
        }
      }
      absl::StatusOr<ComposedJob> composed = ComposeJob(Inputs(config, *entry, *system, service->git_url), now);
      if (!composed.ok()) {
        status.last_error = std::string(composed.status().message());
        continue;
      }
      auto current = by_name.find(name);
      if (current != by_name.end() && current->second->job.description() == composed->job.description()) continue;
      (composed->job.schedule().empty() ? dependents : to_put).push_back(composed->job);
    }
  }
  to_put.insert(to_put.end(), dependents.begin(), dependents.end());
  for (const v1::Job& job : to_put) {
    const bool created = by_name.count(job.name()) == 0;
    if (absl::Status put = engine_->PutJob(job); !put.ok()) {
      known[job.name()].last_error = std::string(put.message());
      response.add_errors(absl::StrCat(job.name(), ": ", put.message()));
      continue;
    }
    spdlog::info("{} Chronos job: {} ({})", created ? "Created" : "Updated", job.name(), job.description());
    if (absl::StatusOr<JobName> name = DecomposeJobName(job.name()); name.ok()) {
      events_.Record(name->service, name->instance,
                     absl::StrCat(created ? "Created" : "Updated", " job ", job.name(), " (", job.description(), ")"));
    }
    (created ? response.add_created() : response.add_updated())->assign(job.name());
  }

  // Jobs whose config is gone (only of services read completely), and
  // temporary jobs a day after their last run.
  for (const EngineJob& job : *existing) {
    absl::StatusOr<JobName> name = DecomposeJobName(job.job.name());
    if (!name.ok()) continue;  // not a paasta job
    if (!only_service.empty() && name->service != only_service) continue;
    bool remove = false;
    if (name->temporary) {
      std::optional<absl::Time> last = job.last_success;
      if (job.last_failure.has_value() && (!last.has_value() || *job.last_failure > *last)) last = job.last_failure;
      remove = last.has_value() && now - *last > absl::Hours(24) && job.running_tasks == 0;
    } else {
      remove = configured.count(job.job.name()) == 0 && unreadable.count(name->service) == 0;
    }
    if (!remove) continue;
    if (absl::Status deleted = engine_->DeleteJob(job.job.name()); !deleted.ok()) {
      response.add_errors(absl::StrCat(job.job.name(), ": ", deleted.message()));
      continue;
    }
    spdlog::info("Removed Chronos job: {}", job.job.name());
    events_.Record(name->service, name->instance, absl::StrCat("Removed job ", job.job.name()));
    response.add_removed(job.job.name());
  }
  for (auto& [name, status] : known) {
    if (!status.last_error.empty()) response.add_errors(absl::StrCat(name, ": ", status.last_error));
    if (absl::StatusOr<JobName> job = DecomposeJobName(name); job.ok()) {
      events_.RecordChange(job->service, job->instance,
                           status.last_error.empty() ? "" : absl::StrCat("cannot set up the job: ", status.last_error));
    }
  }
  absl::MutexLock lock(&mu_);
  if (only_service.empty()) {
    known_ = std::move(known);
  } else {
    for (auto it = known_.begin(); it != known_.end();) {
      it = absl::StartsWith(it->first, only_service + " ") ? known_.erase(it) : std::next(it);
    }
    known_.merge(known);
  }
  return response;
}

v1::JobStatus Bridge::StatusOf(const JobName& name, const EngineJob* engine_job) {
  v1::JobStatus status;
  status.mutable_instance()->set_service(name.service);
  status.mutable_instance()->set_instance(name.instance);
  status.set_launched_by_rerun(name.temporary);
  auto known = known_.find(ChronosJobName(name.service, name.instance));
  if (known != known_.end()) {
    status.mutable_instance()->set_cluster(known->second.cluster);
    if (!name.temporary) {
      status.set_desired_state(known->second.desired_state);
      status.set_last_error(known->second.last_error);
    }
  }
  if (engine_job == nullptr) return status;
  *status.mutable_job() = engine_job->job;
  if (engine_job->last_success.has_value()) *status.mutable_last_success() = ToProto(*engine_job->last_success);
  if (engine_job->last_failure.has_value()) *status.mutable_last_failure() = ToProto(*engine_job->last_failure);
  if (engine_job->next_run.has_value()) *status.mutable_next_run() = ToProto(*engine_job->next_run);
  if (engine_job->last_skipped.has_value()) *status.mutable_last_missed() = ToProto(*engine_job->last_skipped);
  status.set_running(engine_job->running_tasks > 0);
  status.set_running_tasks(engine_job->running_tasks);
  return status;
}

absl::StatusOr<std::vector<Bridge::JobView>> Bridge::Views(const std::string& service) {
  absl::StatusOr<std::vector<EngineJob>> jobs = engine_->ListJobs();
  if (!jobs.ok()) return jobs.status();
  absl::MutexLock lock(&mu_);
  std::vector<JobView> out;
  std::set<std::string> seen;
  for (EngineJob& job : *jobs) {
    absl::StatusOr<JobName> name = DecomposeJobName(job.job.name());
    if (!name.ok() || (!service.empty() && name->service != service)) continue;
    seen.insert(job.job.name());
    out.push_back({StatusOf(*name, &job), std::move(job)});
  }
  // Configured jobs the engine does not have (not deployed yet, bad config).
  for (const auto& [name, known] : known_) {
    if (seen.count(name) != 0) continue;
    absl::StatusOr<JobName> parsed = DecomposeJobName(name);
    if (parsed.ok() && (service.empty() || parsed->service == service)) {
      out.push_back({StatusOf(*parsed, nullptr), std::nullopt});
    }
  }
  return out;
}

absl::StatusOr<std::vector<v1::JobStatus>> Bridge::List(const std::string& service) {
  absl::StatusOr<std::vector<JobView>> views = Views(service);
  if (!views.ok()) return views.status();
  std::vector<v1::JobStatus> out;
  out.reserve(views->size());
  for (JobView& view : *views) out.push_back(std::move(view.status));
  return out;
}

absl::StatusOr<std::string> Bridge::Cluster() const {
  if (!options_.cluster.empty()) return options_.cluster;
  absl::StatusOr<config::SystemConfig> system = config::LoadSystemConfig(options_.system_config_dir);
  if (!system.ok()) return system.status();
  return system->cluster;
}

absl::StatusOr<v1::JobStatus> Bridge::Get(const std::string& service, const std::string& instance) {
  absl::StatusOr<std::vector<v1::JobStatus>> all = List(service);
  if (!all.ok()) return all.status();
  for (const v1::JobStatus& status : *all) {
    if (status.instance().instance() == instance && !status.launched_by_rerun()) return status;
  }
  return absl::NotFoundError(absl::StrCat(service, ".", instance, " is not a chronos job of this cluster"));
}

absl::StatusOr<std::optional<v1::JobRun>> Bridge::StartNow(const std::string& service, const std::string& instance) {
  absl::MutexLock sync(&sync_mu_);
  absl::StatusOr<ComposedJob> composed = Compose(service, instance);
  if (!composed.ok()) return composed.status();
  if (composed->job.disabled()) {
    return absl::FailedPreconditionError(absl::StrCat(
        service, ".", instance,
        " is disabled (disabled: true in its config, `paasta stop` or `paasta emergency-stop`); nothing was run"));
  }
  absl::StatusOr<std::optional<v1::JobRun>> run = engine_->StartNow(composed->job.name());
  if (run.ok()) events_.Record(service, instance, "Emergency start: a run was started now");
  return run;
}

absl::StatusOr<int> Bridge::Stop(const std::string& service, const std::string& instance) {
  absl::MutexLock sync(&sync_mu_);
  absl::StatusOr<ComposedJob> composed = Compose(service, instance);
  if (!composed.ok()) return composed.status();
  const std::string name = composed->job.name();
  {
    absl::MutexLock lock(&mu_);
    emergency_stops_[name] = composed->job.source().git_sha();
    if (absl::Status saved = SaveEmergencyStops(); !saved.ok()) {
      emergency_stops_.erase(name);
      return saved;
    }
  }
  // Disabled first, so no new run starts between the kill and the update.
  composed = Compose(service, instance);
  if (!composed.ok()) return composed.status();
  if (absl::Status put = engine_->PutJob(composed->job); !put.ok()) return put;
  absl::StatusOr<int> killed = engine_->KillTasks(name);
  if (killed.ok()) {
    events_.Record(service, instance,
                   absl::StrCat("Emergency stop: killed ", *killed, " tasks; disabled until the next deploy"));
  }
  return killed;
}

absl::StatusOr<Bridge::Rerun> Bridge::RerunJob(const std::string& service, const std::string& instance,
                                               std::optional<absl::Time> execution_date) {
  absl::MutexLock sync(&sync_mu_);
  absl::StatusOr<ComposedJob> composed = Compose(service, instance);
  if (!composed.ok()) return composed.status();
  if (!execution_date.has_value()) {
    if (HasTimeVariables(composed->job.command_template())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", instance, "\" uses time variables interpolation, please supply a `--execution_date` argument."));
    }
    execution_date = clock_->Now();
  }
  absl::StatusOr<v1::Job> clone = scheduler::RerunJob(composed->job, *execution_date, clock_->Now());
  if (!clone.ok()) return clone.status();
  absl::StatusOr<std::optional<v1::JobRun>> run = engine_->AddRunOnceJob(*clone, *execution_date);
  if (!run.ok()) return run.status();
  spdlog::info("Rerun of {} for {}: {}", composed->job.name(), absl::FormatTime(*execution_date), clone->name());
  events_.Record(service, instance,
                 absl::StrCat("Rerun for ", absl::FormatTime("%Y-%m-%dT%H:%M:%S", *execution_date, absl::UTCTimeZone()),
                              " as job ", clone->name()));
  return Rerun{clone->name(), *run};
}

absl::StatusOr<std::vector<v1::JobRun>> Bridge::Runs(const std::string& service, const std::string& instance, int limit,
                                                     bool include_reruns) {
  return engine_->ListRuns(ChronosJobName(service, instance), limit, include_reruns);
}

}  // namespace paasta::scheduler
