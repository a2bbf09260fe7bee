#include "deployer/generator/generator_service.h"

#include <sys/stat.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/config/deployments.h"
#include "common/config/soa_loader.h"
#include "common/status_map.h"
#include "google/protobuf/util/time_util.h"
#include "spdlog/spdlog.h"

namespace paasta::generator {
namespace {

// The deploy group's long-running instances (what a deploy's --wait follows).
void AddGroupInstances(const config::ServiceConfig& service, const std::string& group,
                       google::protobuf::RepeatedPtrField<v1::InstanceRef>* out) {
  for (const config::MarathonInstanceConfig& instance : service.marathon) {
    if (instance.deploy_group != group) continue;
    v1::InstanceRef* ref = out->Add();
    ref->set_service(instance.service);
    ref->set_instance(instance.instance);
    ref->set_cluster(instance.cluster);
  }
}

v1::DesiredState ToProto(config::DesiredState state) {
  return state == config::DesiredState::kStop ? v1::DESIRED_STATE_STOP : v1::DESIRED_STATE_START;
}

}  // namespace

GeneratorService::GeneratorService(Generator& generator, std::string soa_dir, prometheus::Registry& registry)
    : generator_(generator),
      soa_dir_(std::move(soa_dir)),
      generations_(prometheus::BuildCounter()
                       .Name("paasta_generator_generations_total")
                       .Help("Service generations, by result (changed, unchanged, failed).")
                       .Register(registry)),
      refs_read_(prometheus::BuildCounter()
                     .Name("paasta_generator_refs_read_total")
                     .Help("Git refs read from service repositories.")
                     .Register(registry)
                     .Add({})),
      pass_duration_(prometheus::BuildHistogram()
                         .Name("paasta_generator_pass_duration_seconds")
                         .Help("Time of one pass over every service.")
                         .Register(registry)
                         .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60})),
      last_pass_(prometheus::BuildGauge()
                     .Name("paasta_generator_last_pass_timestamp_seconds")
                     .Help("When the last pass over every service ended (Unix time).")
                     .Register(registry)
                     .Add({})),
      tags_written_(prometheus::BuildCounter()
                        .Name("paasta_generator_tags_written_total")
                        .Help("Tags written, by kind (deploy, control).")
                        .Register(registry)) {}

void GeneratorService::Record(const GenerationResult& result, v1::ServiceGeneration* out) {
  const char* outcome = !result.error.empty() ? "failed" : result.changed ? "changed" : "unchanged";
  generations_.Add({{"result", outcome}}).Increment();
  refs_read_.Increment(result.refs_read);
  if (!result.error.empty()) spdlog::warn("generating {} failed: {}", result.service, result.error);
  if (out != nullptr) {
    out->set_service(result.service);
    out->set_changed(result.changed);
    out->set_error(result.error);
    out->set_refs_read(result.refs_read);
  }
}

void GeneratorService::RunPass() {
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<GenerationResult>> results = generator_.GenerateAll();
  if (!results.ok()) {
    spdlog::error("cannot generate deployments: {}", std::string(results.status().message()));
    generations_.Add({{"result", "failed"}}).Increment();
  } else {
    for (const GenerationResult& result : *results) Record(result, nullptr);
  }
  pass_duration_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  last_pass_.SetToCurrentTime();
}

grpc::Status GeneratorService::Generate(grpc::ServerContext* context, const v1::GenerateRequest* request,
                                        v1::GenerateResponse* response) {
  if (grpc::Status allowed = MayChange(*context, "Generator/Generate", request->service()); !allowed.ok())
    return allowed;
  if (request->service().empty()) {
    absl::StatusOr<std::vector<GenerationResult>> results = generator_.GenerateAll();
    if (!results.ok()) return ToGrpcStatus(results.status());
    for (const GenerationResult& result : *results) Record(result, response->add_services());
    return grpc::Status::OK;
  }
  if (absl::Status safe = config::CheckName("service", request->service()); !safe.ok()) return ToGrpcStatus(safe);
  Record(generator_.GenerateService(request->service()), response->add_services());
  return grpc::Status::OK;
}

grpc::Status GeneratorService::ListDeployments(grpc::ServerContext*, const v1::ListDeploymentsRequest* request,
                                               v1::ListDeploymentsResponse* response) {
  absl::StatusOr<config::Deployments> deployments = config::ReadDeployments(soa_dir_, request->service());
  if (!deployments.ok()) return ToGrpcStatus(deployments.status());
  std::vector<config::Problem> problems;
  const absl::StatusOr<config::ServiceConfig> service =
      config::SoaDir(soa_dir_).LoadService(request->service(), &problems);
  for (const auto& [group, entry] : deployments->deploy_groups) {
    v1::Deployment* deployment = response->add_deployments();
    deployment->set_deploy_group(group);
    deployment->set_git_sha(entry.git_sha);
    deployment->set_docker_image(entry.docker_image);
    if (service.ok()) AddGroupInstances(*service, group, deployment->mutable_instances());
  }
  for (const auto& [key, control] : deployments->controls) {
    // "<service>:<cluster>.<instance>"
    const size_t colon = key.find(':');
    const std::string branch = colon == std::string::npos ? key : key.substr(colon + 1);
    const size_t dot = branch.find('.');
    v1::Control* out = response->add_controls();
    out->mutable_instance()->set_service(request->service());
    out->mutable_instance()->set_cluster(branch.substr(0, dot));
    out->mutable_instance()->set_instance(dot == std::string::npos ? "" : branch.substr(dot + 1));
    out->set_desired_state(ToProto(control.desired_state));
    out->set_force_bounce(control.force_bounce.value_or(""));
  }
  struct stat info;
  const std::string path = absl::StrCat(soa_dir_, "/", request->service(), "/deployments.json");
  if (::stat(path.c_str(), &info) == 0) {
    *response->mutable_generated_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(info.st_mtime);
  }
  return grpc::Status::OK;
}

grpc::Status GeneratorService::MarkForDeployment(grpc::ServerContext* context,
                                                 const v1::MarkForDeploymentRequest* request,
                                                 v1::MarkForDeploymentResponse* response) {
  if (grpc::Status allowed = MayChange(*context, "Generator/MarkForDeployment", request->service()); !allowed.ok())
    return allowed;
  if (request->service().empty() || request->deploy_group().empty() || request->commit().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "service, deploy_group and commit are required");
  }
  absl::StatusOr<WrittenTag> tag = generator_.MarkForDeployment(request->service(), request->deploy_group(),
                                                                request->commit(), request->requested_by());
  if (!tag.ok()) return ToGrpcStatus(tag.status());
  tags_written_.Add({{"kind", "deploy"}}).Increment();
  response->set_tag(tag->tag);
  response->set_git_sha(tag->sha);
  std::vector<config::Problem> problems;
  if (absl::StatusOr<config::ServiceConfig> service =
          config::SoaDir(soa_dir_).LoadService(request->service(), &problems);
      service.ok()) {
    AddGroupInstances(*service, request->deploy_group(), response->mutable_instances());
  }
  return grpc::Status::OK;
}

grpc::Status GeneratorService::SetDesiredState(grpc::ServerContext* context, const v1::SetDesiredStateRequest* request,
                                               v1::SetDesiredStateResponse* response) {
  if (grpc::Status allowed = MayChange(*context, "Generator/SetDesiredState", request->service()); !allowed.ok())
    return allowed;
  StateChange change;
  switch (request->change()) {
    case v1::DESIRED_STATE_CHANGE_START:
      change = StateChange::kStart;
      break;
    case v1::DESIRED_STATE_CHANGE_STOP:
      change = StateChange::kStop;
      break;
    case v1::DESIRED_STATE_CHANGE_RESTART:
      change = StateChange::kRestart;
      break;
    default:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "change must be START, STOP or RESTART");
  }
  absl::StatusOr<std::vector<WrittenTag>> tags = generator_.SetDesiredState(
      request->service(), {request->instances().begin(), request->instances().end()},
      {request->clusters().begin(), request->clusters().end()}, change, request->requested_by());
  if (!tags.ok()) return ToGrpcStatus(tags.status());
  for (const WrittenTag& tag : *tags) {
    tags_written_.Add({{"kind", "control"}}).Increment();
    v1::ControlTag* out = response->add_tags();
    out->mutable_instance()->set_service(request->service());
    out->mutable_instance()->set_instance(tag.instance);
    out->mutable_instance()->set_cluster(tag.cluster);
    out->set_tag(tag.tag);
    out->set_git_sha(tag.sha);
    out->set_instance_type(config::InstanceTypeName(tag.type));
  }
  return grpc::Status::OK;
}

}  // namespace paasta::generator
