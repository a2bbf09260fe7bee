// The gRPC face of the drainer (paasta.v1.Drainer): each call names the task,
// the drain method and its params; the method is built for the call and run.
// Backend errors come back as the call's status with their cause (the deployer
// then kills the task at once, as the original did when drain itself failed).
//
// Metrics: paasta_drainer_calls_total{method, call, outcome}, outcome being ok,
// true, false or error.
#ifndef PAASTA_DRAINER_DRAINER_SERVICE_H_
#define PAASTA_DRAINER_DRAINER_SERVICE_H_

#include <memory>

#include "common/server/authorization.h"
#include "drainer/drain_method.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"
#include "protos/drainer.grpc.pb.h"

namespace paasta::drainer {

// google.protobuf.Struct params as a ConfigValue map (numbers are doubles).
config::ConfigValue ParamsFromStruct(const google::protobuf::Struct& params);

class DrainerService final : public v1::Drainer::Service, public GuardedService {
 public:
  // `clock` and `registry` must outlive the service.
  DrainerService(Clock* clock, absl::Duration http_timeout, prometheus::Registry& registry);

  grpc::Status Drain(grpc::ServerContext* context, const v1::DrainRequest* request,
                     v1::DrainResponse* response) override;
  grpc::Status StopDraining(grpc::ServerContext* context, const v1::DrainRequest* request,
                            v1::DrainResponse* response) override;
  grpc::Status IsDraining(grpc::ServerContext* context, const v1::DrainRequest* request,
                          v1::IsDrainingResponse* response) override;
  grpc::Status IsSafeToKill(grpc::ServerContext* context, const v1::DrainRequest* request,
                            v1::IsSafeToKillResponse* response) override;

 private:
  // Validates the request and builds its method.
  absl::StatusOr<std::unique_ptr<DrainMethod>> Prepare(const v1::DrainRequest& request, DrainTask* task);
  void Count(const v1::DrainRequest& request, const char* call, const char* outcome);

  TestDrainState test_state_;
  DrainContext context_;
  prometheus::Family<prometheus::Counter>& calls_;
};

}  // namespace paasta::drainer

#endif  // PAASTA_DRAINER_DRAINER_SERVICE_H_
