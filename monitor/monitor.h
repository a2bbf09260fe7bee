// The replication monitor: every pass, for every marathon instance of the
// cluster, counts what is available against the expected count (§8 of the
// behaviour reference) — for an instance in smartstack the backends HAProxy
// has UP in its namespace (only when the namespace is its own:
// service.instance), else its healthy tasks on the engine — reads the
// deployer's per-instance status and the scheduler bridge's per-job status, and
// turns the three into alerts:
//
//   check_marathon_services_replication  available/expected×100 < replication_threshold
//   setup_marathon_job                   the deployer reports an error for the instance
//   check_chronos_jobs                   the job's last run failed, or it missed a run,
//                                        and no run succeeded since
//
// each held for the instance's monitoring `alert_after` (default 2m) before it
// fires. A source that cannot be read leaves its alerts as they were and counts
// an error. Thread-safe.
#ifndef PAASTA_MONITOR_MONITOR_H_
#define PAASTA_MONITOR_MONITOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "deployer/orchestrator.h"
#include "monitor/checks.h"
#include "protos/deployer.pb.h"
#include "protos/monitor.pb.h"
#include "protos/scheduler_bridge.pb.h"

namespace paasta::monitor {

// Where the deploy and job statuses come from (the deployer and the scheduler
// bridge over gRPC).
class StatusSource {
 public:
  virtual ~StatusSource() = default;
  virtual absl::StatusOr<std::vector<v1::InstanceStatus>> DeployStatuses() = 0;
  virtual absl::StatusOr<std::vector<v1::JobStatus>> JobStatuses() = 0;
};

class GrpcStatusSource : public StatusSource {
 public:
  GrpcStatusSource(const std::string& deployer_address, const std::string& bridge_address);
  ~GrpcStatusSource() override;
  absl::StatusOr<std::vector<v1::InstanceStatus>> DeployStatuses() override;
  absl::StatusOr<std::vector<v1::JobStatus>> JobStatuses() override;

 private:
  struct Stubs;
  const std::string deployer_address_;
  const std::string bridge_address_;
  std::unique_ptr<Stubs> stubs_;
};

struct MonitorOptions {
  std::string soa_dir;
  std::string system_config_dir;
  // Overrides the system config's cluster when set.
  std::string cluster;
  // A task counts as available once it has been up (and healthy) this long.
  absl::Duration min_task_uptime = absl::Minutes(1);
};

// What one pass saw, for the metrics.
struct PassReport {
  std::vector<v1::Replication> replications;
  std::vector<v1::InstanceStatus> deploys;
  std::vector<v1::JobStatus> jobs;
  std::vector<v1::Alert> alerts;
  // Which sources were read (a source not read keeps its last metrics).
  bool engine_read = false;
  bool deploys_read = false;
  bool jobs_read = false;
  // "<source>: <error>" for each source that could not be read.
  std::vector<std::string> errors;
};

class Monitor {
 public:
  // Not owned; must outlive the monitor. `backends` (SmartStack's view of
  // HAProxy) may be null: then smartstack instances are counted by their tasks.
  Monitor(MonitorOptions options, deployer::Orchestrator* engine, StatusSource* statuses, Clock* clock,
          deployer::BackendSource* backends = nullptr);

  // One pass over everything.
  PassReport Check();

  // The last pass's replication of every instance (of one service).
  std::vector<v1::Replication> Replications(const std::string& service);
  // Alerts (of one service), pending and firing, and OK ones when asked.
  std::vector<v1::Alert> Alerts(const std::string& service, bool include_ok);

 private:
  const MonitorOptions options_;
  deployer::Orchestrator* const engine_;
  StatusSource* const statuses_;
  Clock* const clock_;
  deployer::BackendSource* const backends_;

  absl::Mutex pass_mu_;
  absl::Mutex mu_;
  std::vector<v1::Replication> replications_ ABSL_GUARDED_BY(mu_);
  AlertTracker alerts_ ABSL_GUARDED_BY(mu_);
};

// monitoring.yaml's alert_after ("2m", "30s", "1h", "1h30m"; a bare number is
// seconds); `fallback` when unset or unreadable.
absl::Duration ParseAlertAfter(const std::string& text, absl::Duration fallback);

}  // namespace paasta::monitor

#endif  // PAASTA_MONITOR_MONITOR_H_
