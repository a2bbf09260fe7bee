// The gRPC face of the scheduler bridge (paasta.v1.SchedulerBridge), and its
// metrics, per job labelled {service, instance, cluster}:
//
//   paasta_scheduler_job_runs_total, paasta_scheduler_job_failures_total
//   paasta_scheduler_job_last_success_timestamp_seconds
//   paasta_scheduler_job_last_run_failed          0 or 1
//   paasta_scheduler_job_schedule_lag_seconds     how late the last scheduled run started
//   paasta_scheduler_job_running                  0 or 1
//   paasta_scheduler_job_enabled                  0 or 1
//   paasta_scheduler_job_sync_failing             0 or 1 (bad config, not deployed, engine refused)
//   paasta_scheduler_syncs_total, paasta_scheduler_sync_duration_seconds
#ifndef PAASTA_SCHEDULER_BRIDGE_BRIDGE_SERVICE_H_
#define PAASTA_SCHEDULER_BRIDGE_BRIDGE_SERVICE_H_

#include <map>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "common/server/authorization.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "protos/scheduler_bridge.grpc.pb.h"
#include "scheduler-bridge/bridge.h"

namespace paasta::scheduler {

class BridgeService final : public v1::SchedulerBridge::Service, public GuardedService {
 public:
  BridgeService(Bridge& bridge, prometheus::Registry& registry);

  // A sync of every job, then the metrics (the daemon's loop calls it).
  void RunSync();
  // Refreshes the per-job metrics from the engine.
  void RecordMetrics();

  grpc::Status Sync(grpc::ServerContext*, const v1::SyncRequest*, v1::SyncResponse*) override;
  grpc::Status ListJobs(grpc::ServerContext*, const v1::ListJobsRequest*, v1::ListJobsResponse*) override;
  grpc::Status GetJobStatus(grpc::ServerContext*, const v1::GetJobStatusRequest*, v1::JobStatus*) override;
  grpc::Status StartNow(grpc::ServerContext*, const v1::StartNowRequest*, v1::StartNowResponse*) override;
  grpc::Status Stop(grpc::ServerContext*, const v1::StopRequest*, v1::StopResponse*) override;
  grpc::Status Rerun(grpc::ServerContext*, const v1::RerunRequest*, v1::RerunResponse*) override;
  grpc::Status ListRuns(grpc::ServerContext*, const v1::ListRunsRequest*, v1::ListRunsResponse*) override;
  grpc::Status ListEvents(grpc::ServerContext*, const v1::ListEventsRequest*, v1::ListEventsResponse*) override;

 private:
  // INVALID_ARGUMENT unless service and instance are set and the cluster (if
  // given) is the one served.
  grpc::Status CheckInstance(const v1::InstanceRef& instance);

  Bridge& bridge_;
  prometheus::Counter& syncs_;
  prometheus::Histogram& sync_duration_;
  prometheus::Family<prometheus::Counter>& runs_;
  prometheus::Family<prometheus::Counter>& failures_;
  prometheus::Family<prometheus::Gauge>& last_success_;
  prometheus::Family<prometheus::Gauge>& last_failed_;
  prometheus::Family<prometheus::Gauge>& lag_;
  prometheus::Family<prometheus::Gauge>& running_;
  prometheus::Family<prometheus::Gauge>& enabled_;
  prometheus::Family<prometheus::Gauge>& sync_failing_;

  absl::Mutex metrics_mu_;
  // Per job: the engine's run and failure counts last seen (counters grow by
  // the difference).
  std::map<std::string, std::pair<int64_t, int64_t>> counts_ ABSL_GUARDED_BY(metrics_mu_);
};

}  // namespace paasta::scheduler

#endif  // PAASTA_SCHEDULER_BRIDGE_BRIDGE_SERVICE_H_
