#include "monitor/monitor.h"

#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_channel.h"
#include "common/config/deployments.h"
#include "common/config/soa_loader.h"
#include "common/config/system_config.h"
#include "common/status_map.h"
#include "deployer/config_hash.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/create_channel.h"
#include "protos/deployer.grpc.pb.h"
#include "protos/scheduler_bridge.grpc.pb.h"
#include "spdlog/spdlog.h"

namespace paasta::monitor {
namespace {

using google::protobuf::util::TimeUtil;

constexpr char kReplicationCheck[] = "check_marathon_services_replication";
constexpr char kDeployCheck[] = "setup_marathon_job";
constexpr char kJobCheck[] = "check_chronos_jobs";
constexpr absl::Duration kRpcTimeout = absl::Seconds(10);

// An instance's monitoring config: its own keys, then the service's
// monitoring.yaml (as the original's get_team(overrides, service)).
struct Monitoring {
  const config::ConfigValue* instance = nullptr;
  const config::ConfigValue* service = nullptr;

  std::string Get(const char* key) const {
    for (const config::ConfigValue* level : {instance, service}) {
      const config::ConfigValue* value = level != nullptr ? level->Find(key) : nullptr;
      if (value == nullptr) continue;
      if (value->IsString()) return value->string_value();
      if (value->IsNumber()) return absl::StrCat(value->number_value());
    }
    return "";
  }
};

// The alert's owner, runbook and delay from the instance's monitoring config.
void FromMonitoring(const Monitoring& monitoring, Condition* condition) {
  condition->team = monitoring.Get("team");
  condition->runbook = monitoring.Get("runbook");
  condition->alert_after = ParseAlertAfter(monitoring.Get("alert_after"), absl::Minutes(2));
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(t));
}

}  // namespace

absl::Duration ParseAlertAfter(const std::string& text, absl::Duration fallback) {
  if (text.empty()) return fallback;
  int64_t seconds = 0;
  if (absl::SimpleAtoi(text, &seconds)) return absl::Seconds(seconds);
  absl::Duration parsed;
  if (absl::ParseDuration(text, &parsed) && parsed >= absl::ZeroDuration()) return parsed;
  return fallback;
}

struct GrpcStatusSource::Stubs {
  std::unique_ptr<v1::Deployer::Stub> deployer;
  std::unique_ptr<v1::SchedulerBridge::Stub> bridge;
};

GrpcStatusSource::GrpcStatusSource(const std::string& deployer_address, const std::string& bridge_address)
    : deployer_address_(deployer_address), bridge_address_(bridge_address), stubs_(std::make_unique<Stubs>()) {
  stubs_->deployer = v1::Deployer::NewStub(paasta::DaemonChannel(deployer_address));
  stubs_->bridge =
      v1::SchedulerBridge::NewStub(paasta::DaemonChannel(bridge_address));
}

GrpcStatusSource::~GrpcStatusSource() = default;

absl::StatusOr<std::vector<v1::InstanceStatus>> GrpcStatusSource::DeployStatuses() {
  grpc::ClientContext context;
  SetDeadlineIn(&context, kRpcTimeout);
  v1::ListInstancesRequest request;
  v1::ListInstancesResponse response;
  const grpc::Status status = stubs_->deployer->ListInstances(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(absl::StrCat("the deployer at ", deployer_address_), status);
  return std::vector<v1::InstanceStatus>(response.instances().begin(), response.instances().end());
}

absl::StatusOr<std::vector<v1::JobStatus>> GrpcStatusSource::JobStatuses() {
  grpc::ClientContext context;
  SetDeadlineIn(&context, kRpcTimeout);
  v1::ListJobsRequest request;
  v1::ListJobsResponse response;
  const grpc::Status status = stubs_->bridge->ListJobs(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(absl::StrCat("the scheduler bridge at ", bridge_address_), status);
  return std::vector<v1::JobStatus>(response.jobs().begin(), response.jobs().end());
}

Monitor::Monitor(MonitorOptions options, deployer::Orchestrator* engine, StatusSource* statuses, Clock* clock,
                 deployer::BackendSource* backends)
    : options_(std::move(options)), engine_(engine), statuses_(statuses), clock_(clock), backends_(backends) {}

PassReport Monitor::Check() {
  absl::MutexLock pass(&pass_mu_);
  PassReport report;
  const absl::Time now = clock_->Now();
  std::vector<Condition> conditions;
  std::vector<std::string> checks_run;

  const absl::StatusOr<config::SystemConfig> system = config::LoadSystemConfig(options_.system_config_dir);
  if (!system.ok()) {
    report.errors.push_back(absl::StrCat("system config: ", system.status().message()));
    return report;
  }
  const std::string cluster = options_.cluster.empty() ? system->cluster : options_.cluster;
  const config::SoaDir soa(options_.soa_dir);
  const absl::StatusOr<std::vector<std::string>> services = soa.ListPaastaServices();
  if (!services.ok()) {
    report.errors.push_back(absl::StrCat("soa-configs: ", services.status().message()));
    return report;
  }
  std::vector<config::ServiceConfig> loaded;
  for (const std::string& name : *services) {
    std::vector<config::Problem> problems;
    absl::StatusOr<config::ServiceConfig> service = soa.LoadService(name, &problems);
    if (service.ok()) loaded.push_back(std::move(*service));
  }
  // "<service>.<instance>" -> its monitoring config (marathon and chronos).
  std::map<std::string, Monitoring> monitoring;
  for (const config::ServiceConfig& service : loaded) {
    for (const auto& instance : service.marathon) {
      if (instance.cluster == cluster) monitoring[instance.Name()] = {&instance.monitoring, &service.monitoring};
    }
    for (const auto& job : service.chronos) {
      if (job.cluster == cluster) monitoring[job.Name()] = {&job.monitoring, &service.monitoring};
    }
  }

  // Replication, from HAProxy for smartstack instances, else the engine's tasks.
  absl::StatusOr<std::map<std::string, std::set<std::string>>> up_backends = absl::UnavailableError("no SmartStack");
  if (backends_ != nullptr) {
    up_backends = backends_->UpBackends();
    if (!up_backends.ok()) report.errors.push_back(absl::StrCat("smartstack: ", up_backends.status().message()));
  }
  const absl::StatusOr<std::vector<deployer::OrchestratorApp>> apps = engine_->ListApps("");
  if (!apps.ok()) {
    report.errors.push_back(absl::StrCat("engine: ", apps.status().message()));
  } else {
    report.engine_read = true;
    checks_run.push_back(kReplicationCheck);
    for (const config::ServiceConfig& service : loaded) {
      const absl::StatusOr<config::Deployments> deployments = config::ReadDeployments(options_.soa_dir, service.name);
      if (!deployments.ok()) continue;  // never deployed: nothing to check (as the original)
      for (const config::MarathonInstanceConfig& config : service.marathon) {
        if (config.cluster != cluster) continue;
        const config::BranchDeployment* entry = deployments->ForBranch(config.service, config.branch);
        if (entry == nullptr) continue;
        // Expected: every instance of the service registering in this one's
        // namespace (canaries count toward main).
        int expected = 0;
        for (const config::MarathonInstanceConfig& other : service.marathon) {
          if (other.cluster != cluster || other.NerveNamespace() != config.instance) continue;
          const config::BranchDeployment* other_entry = deployments->ForBranch(other.service, other.branch);
          if (other_entry != nullptr) expected += static_cast<int>(other.InstanceCount(other_entry->desired_state));
        }
        // In smartstack, HAProxy's view counts, and only in the instance's own
        // namespace (a canary registering in main is counted under main).
        const bool smartstack = up_backends.ok() && config.InSmartstack();
        if (smartstack && config.Registrations()[0] != config.Name()) continue;
        int available = 0;
        if (smartstack) {
          auto ns = up_backends->find(config.Name());
          available = ns == up_backends->end() ? 0 : static_cast<int>(ns->second.size());
        } else {
          // Healthy tasks up for min_task_uptime.
          const std::string prefix = deployer::AppIdPrefix(config.service, config.instance) + ".";
          for (const deployer::OrchestratorApp& app : *apps) {
            if (app.id.compare(0, prefix.size(), prefix) != 0) continue;
            for (const deployer::OrchestratorTask& task : app.tasks) {
              available += task.started && task.alive_results == task.health_results &&
                           now - task.started_at >= options_.min_task_uptime;
            }
          }
        }
        const ReplicationCheck check =
            CheckReplication(config.Name(), expected, available, static_cast<int>(config.replication_threshold));
        v1::Replication& replication = report.replications.emplace_back();
        replication.mutable_instance()->set_service(config.service);
        replication.mutable_instance()->set_instance(config.instance);
        replication.mutable_instance()->set_cluster(cluster);
        replication.set_expected(check.expected);
        replication.set_available(check.available);
        replication.set_ratio_percent(check.ratio_percent);
        replication.set_threshold_percent(check.threshold_percent);
        replication.set_under_replicated(check.under_replicated);
        replication.set_source(smartstack ? v1::REPLICATION_SOURCE_SMARTSTACK : v1::REPLICATION_SOURCE_TASKS);
        *replication.mutable_checked_at() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
        Condition& condition = conditions.emplace_back();
        condition.check = kReplicationCheck;
        condition.instance = replication.instance();
        condition.holds = check.under_replicated;
        condition.message = check.message;
        FromMonitoring(monitoring[config.Name()], &condition);
      }
    }
  }

  // Deploy failures, from the deployer.
  if (absl::StatusOr<std::vector<v1::InstanceStatus>> deploys = statuses_->DeployStatuses(); !deploys.ok()) {
    report.errors.push_back(absl::StrCat("deployer: ", deploys.status().message()));
  } else {
    report.deploys_read = true;
    checks_run.push_back(kDeployCheck);
    for (v1::InstanceStatus& status : *deploys) {
      status.mutable_instance()->set_cluster(cluster);
      const std::string name = absl::StrCat(status.instance().service(), ".", status.instance().instance());
      Condition& condition = conditions.emplace_back();
      condition.check = kDeployCheck;
      condition.instance = status.instance();
      condition.holds = !status.last_error().empty();
      condition.message = condition.holds ? absl::StrCat(name, " cannot be deployed: ", status.last_error())
                                          : absl::StrCat(name, " deploys as configured");
      if (auto it = monitoring.find(name); it != monitoring.end()) FromMonitoring(it->second, &condition);
    }
    report.deploys = std::move(*deploys);
  }

  // Failed and missed jobs, from the scheduler bridge.
  if (absl::StatusOr<std::vector<v1::JobStatus>> jobs = statuses_->JobStatuses(); !jobs.ok()) {
    report.errors.push_back(absl::StrCat("scheduler bridge: ", jobs.status().message()));
  } else {
    report.jobs_read = true;
    checks_run.push_back(kJobCheck);
    for (v1::JobStatus& job : *jobs) {
      job.mutable_instance()->set_cluster(cluster);
      if (job.launched_by_rerun()) continue;
      const std::string name = absl::StrCat(job.instance().service(), ".", job.instance().instance());
      const std::optional<absl::Time> success =
          job.has_last_success() ? std::optional<absl::Time>(FromProto(job.last_success())) : std::nullopt;
      const bool failed = job.has_last_failure() && (!success || FromProto(job.last_failure()) > *success);
      const bool missed = job.has_last_missed() && (!success || FromProto(job.last_missed()) > *success);
      Condition& condition = conditions.emplace_back();
      condition.check = kJobCheck;
      condition.instance = job.instance();
      condition.holds = failed || missed;
      condition.message =
          failed
              ? absl::StrCat("Job ", name, ": its last run failed (",
                             absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", FromProto(job.last_failure()), absl::UTCTimeZone()),
                             ") and none succeeded since")
          : missed
              ? absl::StrCat("Job ", name, " missed its run scheduled for ",
                             absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", FromProto(job.last_missed()), absl::UTCTimeZone()),
                             " and none succeeded since")
              : absl::StrCat("Job ", name, " is running as scheduled");
      if (auto it = monitoring.find(name); it != monitoring.end()) FromMonitoring(it->second, &condition);
    }
    report.jobs = std::move(*jobs);
  }

  for (const std::string& error : report.errors) spdlog::warn("monitor pass: {}", error);
  absl::MutexLock lock(&mu_);
  alerts_.Update(conditions, checks_run, now);
  if (apps.ok()) replications_ = report.replications;
  report.alerts = alerts_.Alerts();
  return report;
}

std::vector<v1::Replication> Monitor::Replications(const std::string& service) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::Replication> out;
  for (const v1::Replication& replication : replications_) {
    if (service.empty() || replication.instance().service() == service) out.push_back(replication);
  }
  return out;
}

std::vector<v1::Alert> Monitor::Alerts(const std::string& service, bool include_ok) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::Alert> out;
  for (v1::Alert& alert : alerts_.Alerts()) {
    if (!service.empty() && alert.instance().service() != service) continue;
    if (!include_ok && alert.state() == v1::ALERT_STATE_OK) continue;
    out.push_back(std::move(alert));
  }
  return out;
}

}  // namespace paasta::monitor
