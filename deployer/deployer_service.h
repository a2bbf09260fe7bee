// The gRPC face of the deployer (paasta.v1.Deployer), and its metrics:
//
//   paasta_deployer_passes_total, paasta_deployer_pass_duration_seconds
//   paasta_deployer_deploy_failing{service, instance, cluster}       0 or 1
//   paasta_deployer_bounce_in_progress{service, instance, cluster}   0 or 1
//   paasta_deployer_expected_instances / _running_tasks / _healthy_tasks{...}
#ifndef PAASTA_DEPLOYER_DEPLOYER_SERVICE_H_
#define PAASTA_DEPLOYER_DEPLOYER_SERVICE_H_

#include "common/server/authorization.h"
#include "deployer/deployer.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "protos/deployer.grpc.pb.h"

namespace paasta::deployer {

class DeployerService final : public v1::Deployer::Service, public GuardedService {
 public:
  DeployerService(Deployer& deployer, prometheus::Registry& registry);

  // A pass over every instance (the daemon's loop calls it).
  void RunPass();

  grpc::Status Reconcile(grpc::ServerContext*, const v1::ReconcileRequest*, v1::ReconcileResponse*) override;
  grpc::Status ListInstances(grpc::ServerContext*, const v1::ListInstancesRequest*,
                             v1::ListInstancesResponse*) override;
  grpc::Status GetInstanceStatus(grpc::ServerContext*, const v1::GetInstanceStatusRequest*,
                                 v1::InstanceStatus*) override;
  grpc::Status EmergencyStop(grpc::ServerContext*, const v1::EmergencyStopRequest*,
                             v1::EmergencyStopResponse*) override;
  grpc::Status ListEvents(grpc::ServerContext*, const v1::ListEventsRequest*, v1::ListEventsResponse*) override;
  grpc::Status EmergencyStart(grpc::ServerContext*, const v1::EmergencyStartRequest*,
                              v1::EmergencyStartResponse*) override;

 private:
  void Record(const std::vector<v1::InstanceStatus>& statuses);

  Deployer& deployer_;
  prometheus::Counter& passes_;
  prometheus::Histogram& pass_duration_;
  prometheus::Family<prometheus::Gauge>& failing_;
  prometheus::Family<prometheus::Gauge>& bouncing_;
  prometheus::Family<prometheus::Gauge>& expected_;
  prometheus::Family<prometheus::Gauge>& running_;
  prometheus::Family<prometheus::Gauge>& healthy_;
};

}  // namespace paasta::deployer

#endif  // PAASTA_DEPLOYER_DEPLOYER_SERVICE_H_
