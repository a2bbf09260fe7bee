#include "cli/commands.h"

#include <algorithm>
#include <map>
#include <ostream>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/config/validate.h"
#include "common/grpc_health.h"
#include "common/status_map.h"
#include "common/version.h"
#include "google/protobuf/util/time_util.h"
#include "protos/deployer.grpc.pb.h"
#include "protos/generator.grpc.pb.h"
#include "protos/scheduler_bridge.grpc.pb.h"

namespace paasta::cli {

namespace {

// Follows the bounce of `instances` to `sha` (see MarkForDeploymentOptions.wait).
int WaitForDeployment(const Endpoints& endpoints, const MarkForDeploymentOptions& options, const std::string& sha,
                      const google::protobuf::RepeatedPtrField<v1::InstanceRef>& instances, const std::string& command,
                      std::ostream& out, std::ostream& err);

// The generator's deployments of a service.
grpc::Status ListDeployments(const Endpoints& endpoints, const std::string& service,
                             v1::ListDeploymentsResponse* response) {
  auto stub = v1::Generator::NewStub(Connect(endpoints.generator));
  grpc::ClientContext context;
  SetDeadline(endpoints, &context);
  v1::ListDeploymentsRequest request;
  request.set_service(service);
  return stub->ListDeployments(&context, request, response);
}

const v1::Deployment* FindGroup(const v1::ListDeploymentsResponse& deployments, const std::string& group) {
  for (const v1::Deployment& deployment : deployments.deployments()) {
    if (deployment.deploy_group() == group) return &deployment;
  }
  return nullptr;
}

}  // namespace

int MarkForDeployment(const Endpoints& endpoints, const MarkForDeploymentOptions& options, std::ostream& out,
                      std::ostream& err) {
  auto stub = v1::Generator::NewStub(Connect(endpoints.generator));
  grpc::ClientContext context;
  SetDeadline(endpoints, &context);
  v1::MarkForDeploymentRequest request;
  request.set_service(options.service);
  request.set_deploy_group(options.deploy_group);
  request.set_commit(options.commit);
  request.set_requested_by(RequestedBy());
  v1::MarkForDeploymentResponse response;
  const grpc::Status status = stub->MarkForDeployment(&context, request, &response);
  if (!status.ok()) return ReportRpcFailure(endpoints.generator, status, err);
  out << "Marked " << response.git_sha() << " for deployment in deploy group " << options.deploy_group << " of "
      << options.service << " (tag " << response.tag() << ").\n";
  if (!options.wait) return 0;
  if (response.instances().empty()) {
    out << "No long-running instance is in deploy group " << options.deploy_group << ": nothing to wait for.\n";
    return 0;
  }
  return WaitForDeployment(endpoints, options, response.git_sha(), response.instances(), "mark-for-deployment", out,
                           err);
}

DeployProgress DescribeProgress(const v1::InstanceStatus& status, const std::string& sha) {
  DeployProgress progress;
  const std::string name = status.instance().instance();
  if (status.git_sha() != sha) {
    progress.line = absl::StrCat(name, ": waiting for the deployer to see ", sha.substr(0, 8),
                                 status.last_error().empty() ? "" : absl::StrCat(" (", status.last_error(), ")"));
    return progress;
  }
  int draining = 0, old_tasks = 0;
  for (const v1::OldApp& old : status.old_apps()) {
    draining += old.draining_tasks();
    old_tasks += old.happy_tasks() + old.unhappy_tasks() + old.draining_tasks();
  }
  progress.line =
      absl::StrCat(name, ": new version ", status.healthy_tasks(), "/", status.expected_instances(), " healthy");
  if (old_tasks > 0) absl::StrAppend(&progress.line, ", old tasks ", old_tasks, " (", draining, " draining)");
  if (!status.last_error().empty()) absl::StrAppend(&progress.line, ", error: ", status.last_error());
  progress.done = status.last_error().empty() && !status.bounce_in_progress() && old_tasks == 0 &&
                  status.healthy_tasks() >= status.expected_instances();
  if (progress.done) absl::StrAppend(&progress.line, ", done");
  return progress;
}

namespace {

int WaitForDeployment(const Endpoints& endpoints, const MarkForDeploymentOptions& options, const std::string& sha,
                      const google::protobuf::RepeatedPtrField<v1::InstanceRef>& instances, const std::string& command,
                      std::ostream& out, std::ostream& err) {
  auto deployer = v1::Deployer::NewStub(Connect(endpoints.deployer));
  const absl::Time deadline = absl::Now() + options.timeout;
  std::map<std::string, std::string> shown;  // instance -> the line last printed
  bool reported_clusters = false;
  while (true) {
    grpc::ClientContext context;
    SetDeadline(endpoints, &context);
    v1::ListInstancesRequest request;
    request.set_service(options.service);
    v1::ListInstancesResponse response;
    const grpc::Status status = deployer->ListInstances(&context, request, &response);
    if (!status.ok()) return ReportRpcFailure(endpoints.deployer, status, err);
    // The deployer serves one cluster: follow the group's instances there.
    std::map<std::string, const v1::InstanceStatus*> by_instance;
    std::string cluster;
    for (const v1::InstanceStatus& instance : response.instances()) {
      by_instance[instance.instance().instance()] = &instance;
      cluster = instance.instance().cluster();
    }
    std::vector<std::string> followed, elsewhere;
    for (const v1::InstanceRef& ref : instances) {
      (cluster.empty() || ref.cluster() == cluster ? followed : elsewhere).push_back(ref.instance());
    }
    if (!reported_clusters && !elsewhere.empty()) {
      out << "Not followed here (another cluster's deployer deploys them): " << absl::StrJoin(elsewhere, ", ") << "\n";
      reported_clusters = true;
    }
    bool all_done = true;
    std::string stuck;
    std::vector<std::string> lines;
    for (const std::string& instance : followed) {
      auto it = by_instance.find(instance);
      DeployProgress progress;
      if (it == by_instance.end()) {
        progress.line = instance + ": waiting for the deployer's first pass";
      } else {
        progress = DescribeProgress(*it->second, sha);
      }
      all_done &= progress.done;
      if (!progress.done && stuck.empty()) stuck = progress.line;
      lines.push_back(progress.line);
    }
    if (options.terminal) {
      // One line per instance, rewritten in place.
      std::string frame;
      for (const std::string& line : lines) absl::StrAppend(&frame, "\33[2K", line, "\n");
      out << frame;
      if (!all_done) out << "\33[" << lines.size() << "A";
      out.flush();
    } else {
      for (size_t i = 0; i < followed.size(); ++i) {
        if (shown[followed[i]] != lines[i]) out << lines[i] << "\n";
        shown[followed[i]] = lines[i];
      }
      out.flush();
    }
    if (all_done) {
      out << "Deployed " << sha.substr(0, 8) << " to deploy group " << options.deploy_group << ".\n";
      return 0;
    }
    if (absl::Now() >= deadline) {
      if (options.terminal) out << "\33[" << lines.size() << "B";
      err << "paasta " << command << ": timed out after " << absl::FormatDuration(options.timeout) << " waiting for "
          << stuck << "\n";
      return 1;
    }
    absl::SleepFor(options.poll_interval);
  }
}

}  // namespace

int WaitForDeploymentOf(const Endpoints& endpoints, const MarkForDeploymentOptions& options, std::ostream& out,
                        std::ostream& err) {
  const absl::Time deadline = absl::Now() + options.timeout;
  std::string last_seen;
  while (true) {
    v1::ListDeploymentsResponse deployments;
    const grpc::Status status = ListDeployments(endpoints, options.service, &deployments);
    if (!status.ok() && status.error_code() != grpc::StatusCode::NOT_FOUND) {
      return ReportRpcFailure(endpoints.generator, status, err);
    }
    const v1::Deployment* group = FindGroup(deployments, options.deploy_group);
    const std::string now_at = group == nullptr ? "" : group->git_sha();
    if (!now_at.empty() && absl::StartsWith(now_at, absl::AsciiStrToLower(options.commit))) {
      if (group->instances().empty()) {
        out << "No long-running instance is in deploy group " << options.deploy_group << ": nothing to wait for.\n";
        return 0;
      }
      MarkForDeploymentOptions rest = options;
      rest.timeout = std::max(absl::ZeroDuration(), deadline - absl::Now());
      return WaitForDeployment(endpoints, rest, now_at, group->instances(), "wait-for-deployment", out, err);
    }
    if (const std::string seen = now_at.empty() ? "-" : now_at; seen != last_seen) {
      out << "Waiting for deploy group " << options.deploy_group << " of " << options.service << " to point at "
          << options.commit << " (now at " << (now_at.empty() ? "nothing" : now_at.substr(0, 8)) << ")\n";
      last_seen = seen;
      out.flush();
    }
    if (absl::Now() >= deadline) {
      err << "paasta wait-for-deployment: timed out after " << absl::FormatDuration(options.timeout)
          << ": deploy group " << options.deploy_group << " was never marked with " << options.commit
          << " (see `paasta mark-for-deployment`)\n";
      return 1;
    }
    absl::SleepFor(options.poll_interval);
  }
}

int GetLatestDeployment(const Endpoints& endpoints, const std::string& service, const std::string& deploy_group,
                        std::ostream& out, std::ostream& err) {
  v1::ListDeploymentsResponse deployments;
  const grpc::Status status = ListDeployments(endpoints, service, &deployments);
  if (!status.ok()) return ReportRpcFailure(endpoints.generator, status, err);
  const v1::Deployment* group = FindGroup(deployments, deploy_group);
  if (group == nullptr) {
    std::vector<std::string> groups;
    for (const v1::Deployment& deployment : deployments.deployments()) groups.push_back(deployment.deploy_group());
    err << "paasta get-latest-deployment: " << service << " has no deployment to deploy group " << deploy_group
        << " (deployed groups: " << (groups.empty() ? "none" : absl::StrJoin(groups, ", ")) << ")\n";
    return 1;
  }
  out << group->git_sha() << "\n";
  return 0;
}

int Rollback(const Endpoints& endpoints, const RollbackOptions& options, std::ostream& out, std::ostream& err) {
  std::vector<std::string> groups = options.deploy_groups;
  if (groups.empty()) {
    v1::ListDeploymentsResponse deployments;
    const grpc::Status status = ListDeployments(endpoints, options.service, &deployments);
    if (!status.ok()) return ReportRpcFailure(endpoints.generator, status, err);
    for (const v1::Deployment& deployment : deployments.deployments()) groups.push_back(deployment.deploy_group());
    if (groups.empty()) {
      err << "paasta rollback: " << options.service << " has never been deployed: nothing to roll back\n";
      return 1;
    }
  }
  int exit_code = 0;
  for (const std::string& group : groups) {
    MarkForDeploymentOptions mark;
    mark.service = options.service;
    mark.deploy_group = group;
    mark.commit = options.commit;
    exit_code = std::max(exit_code, MarkForDeployment(endpoints, mark, out, err));
  }
  return exit_code;
}

int ListClusters(const std::string& soa_dir, std::ostream& out, std::ostream& err) {
  const config::SoaDir soa(soa_dir);
  absl::StatusOr<std::vector<std::string>> services = soa.ListPaastaServices();
  if (!services.ok()) {
    err << "paasta list-clusters: " << services.status().message() << "\n";
    return ExitCodeFor(services.status());
  }
  std::set<std::string> clusters;
  for (const std::string& name : *services) {
    std::vector<config::Problem> problems;
    absl::StatusOr<config::ServiceConfig> service = soa.LoadService(name, &problems);
    if (service.ok()) clusters.insert(service->clusters.begin(), service->clusters.end());
  }
  for (const std::string& cluster : clusters) out << cluster << "\n";
  return 0;
}

int SetState(const Endpoints& endpoints, const SetStateOptions& options, std::ostream& out, std::ostream& err) {
  auto stub = v1::Generator::NewStub(Connect(endpoints.generator));
  grpc::ClientContext context;
  SetDeadline(endpoints, &context);
  v1::SetDesiredStateRequest request;
  request.set_service(options.service);
  for (const std::string& instance : options.instances) request.add_instances(instance);
  for (const std::string& cluster : options.clusters) request.add_clusters(cluster);
  switch (options.change) {
    case StateChange::kStart:
      request.set_change(v1::DESIRED_STATE_CHANGE_START);
      break;
    case StateChange::kStop:
      request.set_change(v1::DESIRED_STATE_CHANGE_STOP);
      break;
    case StateChange::kRestart:
      request.set_change(v1::DESIRED_STATE_CHANGE_RESTART);
      break;
  }
  request.set_requested_by(RequestedBy());
  v1::SetDesiredStateResponse response;
  const grpc::Status status = stub->SetDesiredState(&context, request, &response);
  if (!status.ok()) return ReportRpcFailure(endpoints.generator, status, err);
  bool marathon = false;
  bool chronos = false;
  for (const v1::ControlTag& tag : response.tags()) {
    out << "Tagged " << tag.instance().cluster() << "." << tag.instance().instance() << " at "
        << tag.git_sha().substr(0, 8) << ": " << tag.tag() << "\n";
    marathon |= tag.instance_type() == "marathon";
    chronos |= tag.instance_type() == "chronos";
  }
  // What the change means, once per kind of instance (the original's notes).
  const bool stop = options.change == StateChange::kStop;
  if (marathon) {
    out << (stop ? "Long-running instances: they will be scaled to 0 gracefully (each task drained, "
                   "then killed); the app stays. A new deploy or `paasta start` brings them back.\n"
                 : "Long-running instances: they run their configured number of tasks. The new "
                   "control tag changes their config, so they are bounced gracefully to fresh "
                   "tasks.\n");
  }
  if (chronos) {
    out << (stop ? "Scheduled jobs: they are disabled until the next deploy or `paasta start`.\n"
                 : "Scheduled jobs: they are scheduled again. To run one now, use `paasta "
                   "emergency-start`.\n");
  }
  return 0;
}

int Rerun(const Endpoints& endpoints, const RerunOptions& options, std::ostream& out, std::ostream& err) {
  auto stub = v1::SchedulerBridge::NewStub(Connect(endpoints.scheduler_bridge));
  // The scheduler bridge serves one cluster; with no -c it is that one.
  std::vector<std::string> clusters = options.clusters;
  if (clusters.empty()) clusters.push_back("");
  int exit_code = 0;
  for (const std::string& cluster : clusters) {
    if (!cluster.empty()) out << "cluster: " << cluster << "\n";
    grpc::ClientContext context;
    SetDeadline(endpoints, &context);
    v1::RerunRequest request;
    request.mutable_instance()->set_service(options.service);
    request.mutable_instance()->set_instance(options.instance);
    request.mutable_instance()->set_cluster(cluster);
    if (options.has_execution_date) {
      *request.mutable_execution_date() =
          google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(options.execution_date));
    }
    v1::RerunResponse response;
    const grpc::Status status = stub->Rerun(&context, request, &response);
    if (!status.ok()) {
      exit_code = ReportRpcFailure(endpoints.scheduler_bridge, status, err);
      continue;
    }
    out << "  successfully created job " << response.temporary_job_name() << "\n";
  }
  return exit_code;
}

int Emergency(const Endpoints& endpoints, const EmergencyOptions& options, std::ostream& out, std::ostream& err) {
  const std::string name = absl::StrCat(options.service, ".", options.instance);
  v1::InstanceRef instance;
  instance.set_service(options.service);
  instance.set_instance(options.instance);
  instance.set_cluster(options.cluster);
  // A job of the scheduler bridge, or a long-running instance of the deployer?
  auto bridge = v1::SchedulerBridge::NewStub(Connect(endpoints.scheduler_bridge));
  grpc::Status job_status;
  {
    grpc::ClientContext context;
    SetDeadline(endpoints, &context);
    v1::GetJobStatusRequest request;
    *request.mutable_instance() = instance;
    v1::JobStatus response;
    job_status = bridge->GetJobStatus(&context, request, &response);
  }
  if (job_status.ok() && options.restart) {
    err << "paasta emergency-restart: " << name << " is a scheduled job: emergency-restart replaces the tasks of "
        << "long-running instances. For a job: `paasta emergency-stop` to kill its run, `paasta emergency-start` "
        << "to run it now.\n";
    return 1;
  }
  if (job_status.ok()) {
    grpc::ClientContext context;
    SetDeadline(endpoints, &context);
    if (options.stop) {
      v1::StopRequest request;
      *request.mutable_instance() = instance;
      v1::StopResponse response;
      const grpc::Status status = bridge->Stop(&context, request, &response);
      if (!status.ok()) return ReportRpcFailure(endpoints.scheduler_bridge, status, err);
      out << name << ": "
          << (response.killed_tasks() >= 0 ? absl::StrCat("killed ", response.killed_tasks(), " running task(s)")
                                           : std::string("running tasks killed"))
          << "; the job is disabled until its next deploy.\n";
      return 0;
    }
    v1::StartNowRequest request;
    *request.mutable_instance() = instance;
    v1::StartNowResponse response;
    const grpc::Status status = bridge->StartNow(&context, request, &response);
    if (!status.ok()) return ReportRpcFailure(endpoints.scheduler_bridge, status, err);
    out << name << ": started a run now" << (response.has_run() ? absl::StrCat(" (run ", response.run().id(), ")") : "")
        << "; its schedule is unchanged.\n";
    return 0;
  }
  auto deployer = v1::Deployer::NewStub(Connect(endpoints.deployer));
  grpc::ClientContext context;
  SetDeadline(endpoints, &context);
  grpc::Status status;
  int killed = 0;
  if (options.stop || options.restart) {
    v1::EmergencyStopRequest request;
    *request.mutable_instance() = instance;
    v1::EmergencyStopResponse response;
    status = deployer->EmergencyStop(&context, request, &response);
    killed = response.killed_tasks();
    if (status.ok() && !options.restart) {
      out << name << ": killed " << killed
          << " task(s) without draining; it stays at zero until its next deploy or `paasta emergency-start`.\n";
      return 0;
    }
  }
  if (status.ok() && (!options.stop || options.restart)) {
    grpc::ClientContext start_context;
    SetDeadline(endpoints, &start_context);
    v1::EmergencyStartRequest request;
    *request.mutable_instance() = instance;
    v1::EmergencyStartResponse response;
    status = deployer->EmergencyStart(&start_context, request, &response);
    if (status.ok()) {
      out << name << ": " << (options.restart ? absl::StrCat("killed ", killed, " task(s) without draining and ") : "")
          << "started; " << response.status().expected_instances() << " task(s) expected.\n";
      return 0;
    }
  }
  if (status.error_code() == grpc::StatusCode::NOT_FOUND && job_status.error_code() == grpc::StatusCode::NOT_FOUND) {
    err << "paasta: " << name << " is neither a long-running instance nor a scheduled job of "
        << (options.cluster.empty() ? std::string("the cluster") : absl::StrCat("cluster ", options.cluster))
        << " (see `paasta list -i`)\n";
    return 1;
  }
  // The bridge could not say (unreachable): report that rather than the
  // deployer's NOT_FOUND.
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    return ReportRpcFailure(endpoints.scheduler_bridge, job_status, err);
  }
  const int code = ReportRpcFailure(endpoints.deployer, status, err);
  // Neither could say: name the bridge too.
  if (!job_status.ok() && job_status.error_code() != grpc::StatusCode::NOT_FOUND) {
    ReportRpcFailure(endpoints.scheduler_bridge, job_status, err);
  }
  return code;
}

bool ParseExecutionDate(const std::string& text, absl::Time* date) {
  std::string error;
  return absl::ParseTime("%Y-%m-%dT%H:%M:%S", text, absl::UTCTimeZone(), date, &error);
}

int Metastatus(const Endpoints& endpoints, std::ostream& out, std::ostream& err) {
  bool all_serving = true;
  for (const DaemonEndpoint* endpoint :
       {&endpoints.agent, &endpoints.generator, &endpoints.deployer, &endpoints.scheduler_bridge, &endpoints.drainer,
        &endpoints.monitor, &endpoints.smartstack}) {
    const absl::StatusOr<std::string> health =
        CheckHealth(Connect(*endpoint), "", std::min(endpoints.rpc_timeout, absl::Seconds(5)));
    const std::string state = health.ok() ? *health : "unreachable";
    all_serving &= state == "SERVING";
    out << absl::StrFormat("%-24s %-22s %s", endpoint->binary, endpoint->address, state);
    if (!health.ok()) out << " (" << health.status().message() << ")";
    out << "\n";
  }
  if (!all_serving) {
    err << "paasta: not every daemon is serving; set addresses with --agent, --generator, ... "
           "(paasta --help)\n";
    return kExitUsage;
  }
  return 0;
}

int Validate(const ValidateOptions& options, std::ostream& out, std::ostream& err) {
  const config::SoaDir soa(options.soa_dir);
  std::vector<std::string> services;
  if (!options.service.empty()) services.push_back(options.service);
  const absl::StatusOr<config::ValidationResult> result = config::Validate(soa, services);
  if (!result.ok()) {
    err << "paasta validate: " << result.status().message() << "\n";
    return ExitCodeFor(result.status());
  }
  int errors = 0;
  int warnings = 0;
  for (const config::Problem& problem : result->problems) {
    (problem.severity == config::Problem::Severity::kError ? errors : warnings)++;
    out << problem.ToString() << "\n";
  }
  const size_t count = result->services.size();
  out << absl::StrFormat("%d service%s, %d instance%s: ", count, count == 1 ? "" : "s", result->instances,
                         result->instances == 1 ? "" : "s");
  if (errors == 0) {
    out << "valid" << (warnings > 0 ? absl::StrFormat(" (%d warning%s)", warnings, warnings == 1 ? "" : "s") : "")
        << "\n";
    return 0;
  }
  out << absl::StrFormat("%d error%s, %d warning%s\n", errors, errors == 1 ? "" : "s", warnings,
                         warnings == 1 ? "" : "s");
  return 1;
}

int List(const ListOptions& options, std::ostream& out, std::ostream& err) {
  const config::SoaDir soa(options.soa_dir);
  const absl::StatusOr<std::vector<std::string>> services =
      options.all ? soa.ListAllServices() : soa.ListPaastaServices();
  if (!services.ok()) {
    err << "paasta list: " << services.status().message() << "\n";
    return ExitCodeFor(services.status());
  }
  for (const std::string& service : *services) {
    if (!options.instances) {
      out << service << "\n";
      continue;
    }
    std::vector<config::Problem> problems;
    const absl::StatusOr<config::ServiceConfig> config = soa.LoadService(service, &problems);
    if (!config.ok()) continue;
    std::set<std::string> names;
    for (const auto& instance : config->marathon) names.insert(instance.Name());
    for (const auto& instance : config->chronos) names.insert(instance.Name());
    for (const auto& instance : config->adhoc) names.insert(instance.Name());
    for (const std::string& name : names) out << name << "\n";
  }
  return 0;
}

}  // namespace paasta::cli
