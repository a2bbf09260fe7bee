#include "deployer/agent_orchestrator.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_channel.h"
#include "common/status_map.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"

namespace paasta::deployer {

using google::protobuf::util::TimeUtil;

AgentOrchestrator::AgentOrchestrator(const std::string& address, absl::Duration timeout)
    : address_(address),
      timeout_(timeout),
      stub_(v1::Agent::NewStub(paasta::DaemonChannel(address))) {}

absl::StatusOr<std::vector<OrchestratorApp>> AgentOrchestrator::ListApps(const std::string& prefix) {
  grpc::ClientContext context;
  SetDeadlineIn(&context, timeout_);
  v1::ListAppsRequest request;
  request.set_app_id_prefix(prefix);
  request.set_embed_tasks(true);
  v1::ListAppsResponse response;
  const grpc::Status status = stub_->ListApps(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(absl::StrCat("cannot list apps on the agent at ", address_), status);
  std::vector<OrchestratorApp> apps;
  for (const v1::App& app : response.apps()) {
    OrchestratorApp out;
    out.id = app.definition().id();
    out.instances = app.definition().instances();
    out.has_health_checks = app.definition().health_checks_size() > 0;
    out.labels.insert(app.definition().labels().begin(), app.definition().labels().end());
    out.launch_delay = absl::Nanoseconds(TimeUtil::DurationToNanoseconds(app.launch_delay()));
    if (app.has_version()) out.version = absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(app.version()));
    for (const v1::Task& task : app.tasks()) {
      OrchestratorTask t;
      t.id = task.id();
      t.app_id = task.app_id();
      t.host = task.host();
      for (uint32_t port : task.ports()) t.ports.push_back(static_cast<int>(port));
      t.started =
          task.has_started_at() && (task.state() == v1::TASK_STATE_RUNNING || task.state() == v1::TASK_STATE_KILLING);
      if (t.started) {
        t.started_at = absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(task.started_at()));
      }
      t.health_results = task.health_check_results_size();
      for (const v1::HealthCheckResult& result : task.health_check_results()) {
        t.alive_results += result.alive() ? 1 : 0;
      }
      out.tasks.push_back(t);
    }
    apps.push_back(out);
  }
  return apps;
}

absl::Status AgentOrchestrator::Put(const v1::AppDefinition& definition) {
  grpc::ClientContext context;
  SetDeadlineIn(&context, timeout_);
  v1::PutAppRequest request;
  *request.mutable_app() = definition;
  v1::PutAppResponse response;
  const grpc::Status status = stub_->PutApp(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(absl::StrCat("cannot put app ", definition.id()), status);
  return absl::OkStatus();
}

absl::StatusOr<v1::AppDefinition> AgentOrchestrator::Definition(const std::string& app_id) {
  grpc::ClientContext context;
  SetDeadlineIn(&context, timeout_);
  v1::ListAppsRequest request;
  request.set_app_id_prefix(app_id);
  v1::ListAppsResponse response;
  const grpc::Status status = stub_->ListApps(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus("cannot list apps", status);
  for (const v1::App& app : response.apps()) {
    if (app.definition().id() == app_id) return app.definition();
  }
  return absl::NotFoundError(absl::StrCat("App '/", app_id, "' does not exist"));
}

absl::Status AgentOrchestrator::CreateApp(const ComposedApp& app) { return Put(app.definition); }

absl::Status AgentOrchestrator::ScaleApp(const std::string& app_id, int64_t instances) {
  absl::StatusOr<v1::AppDefinition> definition = Definition(app_id);
  if (!definition.ok()) return definition.status();
  definition->set_instances(static_cast<int32_t>(instances));
  return Put(*definition);
}

absl::Status AgentOrchestrator::SetLabel(const std::string& app_id, const std::string& key, const std::string& value) {
  absl::StatusOr<v1::AppDefinition> definition = Definition(app_id);
  if (!definition.ok()) return definition.status();
  (*definition->mutable_labels())[key] = value;
  return Put(*definition);
}

absl::Status AgentOrchestrator::DeleteApp(const std::string& app_id) {
  grpc::ClientContext context;
  SetDeadlineIn(&context, timeout_);
  v1::DeleteAppRequest request;
  request.set_app_id(app_id);
  v1::DeleteAppResponse response;
  const grpc::Status status = stub_->DeleteApp(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(absl::StrCat("cannot delete app ", app_id), status);
  return absl::OkStatus();
}

absl::Status AgentOrchestrator::KillTasks(const std::vector<std::string>& task_ids, bool scale) {
  grpc::ClientContext context;
  SetDeadlineIn(&context, timeout_);
  v1::KillTasksRequest request;
  for (const std::string& id : task_ids) request.add_task_ids(id);
  request.set_scale(scale);
  v1::KillTasksResponse response;
  const grpc::Status status = stub_->KillTasks(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus("cannot kill tasks", status);
  return absl::OkStatus();
}

DrainerClient::DrainerClient(const std::string& address, absl::Duration timeout)
    : timeout_(timeout),
      stub_(v1::Drainer::NewStub(paasta::DaemonChannel(address))) {}

namespace {

v1::DrainRequest RequestFor(const DrainTarget& target) {
  v1::DrainRequest request;
  v1::DrainTask* task = request.mutable_task();
  task->set_service(target.service);
  task->set_instance(target.instance);
  task->set_namespace_(target.nerve_ns);
  task->set_task_id(target.task.id);
  task->set_host(target.task.host);
  if (!target.task.ports.empty()) task->set_port(static_cast<uint32_t>(target.task.ports[0]));
  request.mutable_method()->set_name(target.method);
  // params_json comes from a parsed config, so it is valid JSON; if it were not,
  // the drainer would apply the method's defaults.
  if (!google::protobuf::util::JsonStringToMessage(target.params_json, request.mutable_method()->mutable_params())
           .ok()) {
    request.mutable_method()->clear_params();
  }
  return request;
}

}  // namespace

absl::Status DrainerClient::Drain(const DrainTarget& target) {
  grpc::ClientContext context;
  SetDeadlineIn(&context, timeout_);
  v1::DrainResponse response;
  const grpc::Status status = stub_->Drain(&context, RequestFor(target), &response);
  return status.ok() ? absl::OkStatus() : FromGrpcStatus(absl::StrCat("cannot drain ", target.task.id), status);
}

absl::Status DrainerClient::StopDraining(const DrainTarget& target) {
  grpc::ClientContext context;
  SetDeadlineIn(&context, timeout_);
  v1::DrainResponse response;
  const grpc::Status status = stub_->StopDraining(&context, RequestFor(target), &response);
  return status.ok() ? absl::OkStatus() : FromGrpcStatus(absl::StrCat("cannot undrain ", target.task.id), status);
}

absl::StatusOr<bool> DrainerClient::IsDraining(const DrainTarget& target) {
  grpc::ClientContext context;
  SetDeadlineIn(&context, timeout_);
  v1::IsDrainingResponse response;
  const grpc::Status status = stub_->IsDraining(&context, RequestFor(target), &response);
  if (!status.ok()) return FromGrpcStatus("cannot ask the drainer", status);
  return response.draining();
}

absl::StatusOr<bool> DrainerClient::IsSafeToKill(const DrainTarget& target) {
  grpc::ClientContext context;
  SetDeadlineIn(&context, timeout_);
  v1::IsSafeToKillResponse response;
  const grpc::Status status = stub_->IsSafeToKill(&context, RequestFor(target), &response);
  if (!status.ok()) return FromGrpcStatus("cannot ask the drainer", status);
  return response.safe_to_kill();
}

SmartstackClient::SmartstackClient(const std::string& address, absl::Duration timeout)
    : address_(address),
      timeout_(timeout),
      stub_(v1::Smartstack::NewStub(paasta::DaemonChannel(address))) {}

absl::StatusOr<std::map<std::string, std::set<std::string>>> SmartstackClient::UpBackends() {
  grpc::ClientContext context;
  SetDeadlineIn(&context, timeout_);
  v1::ListNamespacesRequest request;
  v1::ListNamespacesResponse response;
  const grpc::Status status = stub_->ListNamespaces(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(absl::StrCat("cannot read SmartStack at ", address_), status);
  std::map<std::string, std::set<std::string>> up;
  for (const v1::Namespace& ns : response.namespaces()) {
    std::set<std::string>& backends = up[ns.name()];
    for (const v1::Backend& backend : ns.backends()) {
      if (backend.status() == v1::BACKEND_STATUS_UP) backends.insert(backend.name());
    }
  }
  return up;
}

}  // namespace paasta::deployer
