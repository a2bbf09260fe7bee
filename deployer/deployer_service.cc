#include "deployer/deployer_service.h"

#include <chrono>

#include "common/status_map.h"

namespace paasta::deployer {

DeployerService::DeployerService(Deployer& deployer, prometheus::Registry& registry)
    : deployer_(deployer),
      passes_(prometheus::BuildCounter()
                  .Name("paasta_deployer_passes_total")
                  .Help("Passes over every marathon instance.")
                  .Register(registry)
                  .Add({})),
      pass_duration_(prometheus::BuildHistogram()
                         .Name("paasta_deployer_pass_duration_seconds")
                         .Help("Time of one pass over every marathon instance.")
                         .Register(registry)
                         .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60})),
      failing_(prometheus::BuildGauge()
                   .Name("paasta_deployer_deploy_failing")
                   .Help("1 when the last pass could not deploy or bounce the instance.")
                   .Register(registry)),
      bouncing_(prometheus::BuildGauge()
                    .Name("paasta_deployer_bounce_in_progress")
                    .Help("1 while old apps of the instance remain.")
                    .Register(registry)),
      expected_(prometheus::BuildGauge()
                    .Name("paasta_deployer_expected_instances")
                    .Help("How many tasks the instance should run.")
                    .Register(registry)),
      running_(prometheus::BuildGauge()
                   .Name("paasta_deployer_running_tasks")
                   .Help("Tasks of the desired app that run.")
                   .Register(registry)),
      healthy_(prometheus::BuildGauge()
                   .Name("paasta_deployer_healthy_tasks")
                   .Help("Tasks of the desired app that are healthy.")
                   .Register(registry)) {}

void DeployerService::Record(const std::vector<v1::InstanceStatus>& statuses) {
  for (const v1::InstanceStatus& status : statuses) {
    const prometheus::Labels labels = {{"service", status.instance().service()},
                                       {"instance", status.instance().instance()},
                                       {"cluster", status.instance().cluster()}};
    failing_.Add(labels).Set(status.last_error().empty() ? 0 : 1);
    bouncing_.Add(labels).Set(status.bounce_in_progress() ? 1 : 0);
    expected_.Add(labels).Set(static_cast<double>(status.expected_instances()));
    running_.Add(labels).Set(status.running_tasks());
    healthy_.Add(labels).Set(status.healthy_tasks());
  }
}

void DeployerService::RunPass() {
  const auto start = std::chrono::steady_clock::now();
  Record(deployer_.Reconcile("", ""));
  passes_.Increment();
  pass_duration_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

grpc::Status DeployerService::Reconcile(grpc::ServerContext* context, const v1::ReconcileRequest* request,
                                        v1::ReconcileResponse* response) {
  if (grpc::Status allowed = MayChange(*context, "Deployer/Reconcile", request->service()); !allowed.ok())
    return allowed;
  if (!request->instance().empty() && request->service().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "an instance needs its service");
  }
  const std::vector<v1::InstanceStatus> statuses = deployer_.Reconcile(request->service(), request->instance());
  Record(statuses);
  for (const v1::InstanceStatus& status : statuses) *response->add_instances() = status;
  return grpc::Status::OK;
}

grpc::Status DeployerService::ListInstances(grpc::ServerContext*, const v1::ListInstancesRequest* request,
                                            v1::ListInstancesResponse* response) {
  for (const v1::InstanceStatus& status : deployer_.List(request->service())) *response->add_instances() = status;
  return grpc::Status::OK;
}

grpc::Status DeployerService::GetInstanceStatus(grpc::ServerContext*, const v1::GetInstanceStatusRequest* request,
                                                v1::InstanceStatus* response) {
  absl::StatusOr<v1::InstanceStatus> status =
      deployer_.Get(request->instance().service(), request->instance().instance());
  if (!status.ok()) return ToGrpcStatus(status.status());
  *response = *status;
  return grpc::Status::OK;
}

grpc::Status DeployerService::EmergencyStop(grpc::ServerContext* context, const v1::EmergencyStopRequest* request,
                                            v1::EmergencyStopResponse* response) {
  if (grpc::Status allowed = MayChange(*context, "Deployer/EmergencyStop", request->instance().service());
      !allowed.ok())
    return allowed;
  if (request->instance().service().empty() || request->instance().instance().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "instance.service and instance.instance are required");
  }
  absl::StatusOr<int> killed = deployer_.EmergencyStop(request->instance().service(), request->instance().instance());
  if (!killed.ok()) return ToGrpcStatus(killed.status());
  response->set_killed_tasks(*killed);
  return grpc::Status::OK;
}

grpc::Status DeployerService::EmergencyStart(grpc::ServerContext* context, const v1::EmergencyStartRequest* request,
                                             v1::EmergencyStartResponse* response) {
  if (grpc::Status allowed = MayChange(*context, "Deployer/EmergencyStart", request->instance().service());
      !allowed.ok())
    return allowed;
  if (request->instance().service().empty() || request->instance().instance().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "instance.service and instance.instance are required");
  }
  absl::StatusOr<v1::InstanceStatus> status =
      deployer_.EmergencyStart(request->instance().service(), request->instance().instance());
  if (!status.ok()) return ToGrpcStatus(status.status());
  *response->mutable_status() = *status;
  return grpc::Status::OK;
}

grpc::Status DeployerService::ListEvents(grpc::ServerContext*, const v1::ListEventsRequest* request,
                                         v1::ListEventsResponse* response) {
  absl::StatusOr<v1::ListEventsResponse> events = deployer_.events().List(*request);
  if (!events.ok()) return ToGrpcStatus(events.status());
  *response = *std::move(events);
  return grpc::Status::OK;
}

}  // namespace paasta::deployer
