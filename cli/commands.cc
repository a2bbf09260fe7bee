#include "cli/commands.h"

#include <ostream>

#include <algorithm>
#include <set>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/config/validate.h"
#include "common/grpc_health.h"
#include "common/status_map.h"
#include "common/version.h"
#include "google/protobuf/util/time_util.h"
#include "protos/generator.grpc.pb.h"
#include "protos/scheduler_bridge.grpc.pb.h"

namespace paasta::cli {

int MarkForDeployment(const Endpoints& endpoints, const MarkForDeploymentOptions& options,
                      std::ostream& out, std::ostream& err) {
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
  out << "Marked " << response.git_sha() << " for deployment in deploy group "
      << options.deploy_group << " of " << options.service << " (tag " << response.tag()
      << ").\n";
  return 0;
}

int SetState(const Endpoints& endpoints, const SetStateOptions& options, std::ostream& out,
             std::ostream& err) {
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

int Rerun(const Endpoints& endpoints, const RerunOptions& options, std::ostream& out,
          std::ostream& err) {
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
      *request.mutable_execution_date() = google::protobuf::util::TimeUtil::SecondsToTimestamp(
          absl::ToUnixSeconds(options.execution_date));
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

bool ParseExecutionDate(const std::string& text, absl::Time* date) {
  std::string error;
  return absl::ParseTime("%Y-%m-%dT%H:%M:%S", text, absl::UTCTimeZone(), date, &error);
}

int Metastatus(const Endpoints& endpoints, std::ostream& out, std::ostream& err) {
  bool all_serving = true;
  for (const DaemonEndpoint* endpoint :
       {&endpoints.agent, &endpoints.generator, &endpoints.deployer, &endpoints.scheduler_bridge,
        &endpoints.drainer, &endpoints.monitor, &endpoints.smartstack}) {
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
  out << absl::StrFormat("%d service%s, %d instance%s: ", count, count == 1 ? "" : "s",
                         result->instances, result->instances == 1 ? "" : "s");
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

int NotAvailableYet(const std::string& command, std::ostream& err) {
  err << "paasta: `paasta " << command << "` is not available yet in paasta " << kVersion
      << ".\n";
  return ExitCodeFor(absl::UnimplementedError(""));
}

}  // namespace paasta::cli
