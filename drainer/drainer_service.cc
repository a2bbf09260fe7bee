#include "drainer/drainer_service.h"

#include "absl/strings/str_cat.h"
#include "common/status_map.h"
#include "spdlog/spdlog.h"

namespace paasta::drainer {
namespace {

config::ConfigValue FromValue(const google::protobuf::Value& value, int depth) {
  if (depth > config::kMaxConfigDepth) return config::ConfigValue::Null();
  switch (value.kind_case()) {
    case google::protobuf::Value::kBoolValue:
      return config::ConfigValue::Bool(value.bool_value());
    case google::protobuf::Value::kNumberValue:
      return config::ConfigValue::Double(value.number_value());
    case google::protobuf::Value::kStringValue:
      return config::ConfigValue::String(value.string_value());
    case google::protobuf::Value::kListValue: {
      config::ConfigValue list = config::ConfigValue::List();
      for (const auto& item : value.list_value().values()) list.Append(FromValue(item, depth + 1));
      return list;
    }
    case google::protobuf::Value::kStructValue: {
      config::ConfigValue map = config::ConfigValue::Map();
      for (const auto& [key, item] : value.struct_value().fields()) {
        map.Set(key, FromValue(item, depth + 1));
      }
      return map;
    }
    default:
      return config::ConfigValue::Null();
  }
}

}  // namespace

config::ConfigValue ParamsFromStruct(const google::protobuf::Struct& params) {
  google::protobuf::Value value;
  *value.mutable_struct_value() = params;
  return FromValue(value, 0);
}

DrainerService::DrainerService(Clock* clock, absl::Duration http_timeout, prometheus::Registry& registry)
    : calls_(prometheus::BuildCounter()
                 .Name("paasta_drainer_calls_total")
                 .Help("Drain calls, by drain method, call and outcome (ok, true, false, error).")
                 .Register(registry)) {
  context_.clock = clock;
  context_.test_state = &test_state_;
  context_.http_timeout = http_timeout;
}

void DrainerService::Count(const v1::DrainRequest& request, const char* call, const char* outcome) {
  calls_.Add({{"method", request.method().name()}, {"call", call}, {"outcome", outcome}}).Increment();
}

absl::StatusOr<std::unique_ptr<DrainMethod>> DrainerService::Prepare(const v1::DrainRequest& request, DrainTask* task) {
  const v1::DrainTask& in = request.task();
  if (in.service().empty() || in.task_id().empty()) {
    return absl::InvalidArgumentError("task.service and task.task_id are required");
  }
  if (request.method().name().empty()) {
    return absl::InvalidArgumentError("method.name is required (noop, test, hacheck or http)");
  }
  task->service = in.service();
  task->instance = in.instance();
  task->nerve_ns = in.namespace_();
  task->task_id = in.task_id();
  task->host = in.host();
  task->port = static_cast<int>(in.port());
  const std::string& name = request.method().name();
  if ((name == "hacheck" || name == "http") && (task->host.empty() || task->port == 0)) {
    return absl::InvalidArgumentError(absl::StrCat("drain method ", name, " needs task.host and task.port"));
  }
  return CreateDrainMethod(name, ParamsFromStruct(request.method().params()), context_);
}

grpc::Status DrainerService::Drain(grpc::ServerContext* context, const v1::DrainRequest* request, v1::DrainResponse*) {
  if (grpc::Status allowed = MayChange(*context, "Drainer/Drain", request->task().service()); !allowed.ok())
    return allowed;
  DrainTask task;
  absl::StatusOr<std::unique_ptr<DrainMethod>> method = Prepare(*request, &task);
  absl::Status status = method.ok() ? (*method)->Drain(task) : method.status();
  Count(*request, "drain", status.ok() ? "ok" : "error");
  if (status.ok()) {
    spdlog::info("draining task {} of {}.{} ({})", task.task_id, task.service, task.instance, request->method().name());
  } else {
    spdlog::warn("cannot drain task {}: {}", request->task().task_id(), status.ToString());
  }
  return ToGrpcStatus(status);
}

grpc::Status DrainerService::StopDraining(grpc::ServerContext* context, const v1::DrainRequest* request,
                                          v1::DrainResponse*) {
  if (grpc::Status allowed = MayChange(*context, "Drainer/StopDraining", request->task().service()); !allowed.ok())
    return allowed;
  DrainTask task;
  absl::StatusOr<std::unique_ptr<DrainMethod>> method = Prepare(*request, &task);
  absl::Status status = method.ok() ? (*method)->StopDraining(task) : method.status();
  Count(*request, "stop_draining", status.ok() ? "ok" : "error");
  return ToGrpcStatus(status);
}

grpc::Status DrainerService::IsDraining(grpc::ServerContext*, const v1::DrainRequest* request,
                                        v1::IsDrainingResponse* response) {
  DrainTask task;
  absl::StatusOr<std::unique_ptr<DrainMethod>> method = Prepare(*request, &task);
  absl::StatusOr<bool> draining = method.ok() ? (*method)->IsDraining(task) : method.status();
  Count(*request, "is_draining", !draining.ok() ? "error" : *draining ? "true" : "false");
  if (!draining.ok()) return ToGrpcStatus(draining.status());
  response->set_draining(*draining);
  return grpc::Status::OK;
}

grpc::Status DrainerService::IsSafeToKill(grpc::ServerContext*, const v1::DrainRequest* request,
                                          v1::IsSafeToKillResponse* response) {
  DrainTask task;
  absl::StatusOr<std::unique_ptr<DrainMethod>> method = Prepare(*request, &task);
  absl::StatusOr<bool> safe = method.ok() ? (*method)->IsSafeToKill(task) : method.status();
  Count(*request, "is_safe_to_kill", !safe.ok() ? "error" : *safe ? "true" : "false");
  if (!safe.ok()) return ToGrpcStatus(safe.status());
  response->set_safe_to_kill(*safe);
  return grpc::Status::OK;
}

}  // namespace paasta::drainer
