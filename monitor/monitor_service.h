// The gRPC face of the monitor (paasta.v1.Monitor) and the metrics Prometheus
// scrapes, labelled {service, instance, cluster}:
//
//   paasta_instance_expected_instances, paasta_instance_available_instances
//   paasta_instance_replication_ratio            available / expected (1 when none expected)
//   paasta_instance_under_replicated             0 or 1
//   paasta_instance_deploy_failing               0 or 1
//   paasta_instance_bounce_in_progress           0 or 1
//   paasta_job_last_success_timestamp_seconds    0 if never
//   paasta_job_last_run_failed, paasta_job_missed_run   0 or 1
//   paasta_alert_firing{check, ..., team, runbook}       1 while firing (0 pending or OK)
//   paasta_monitor_check_duration_seconds, paasta_monitor_check_errors_total{source}
//
// A removed instance or job stops being reported (its alert resolves).
#ifndef PAASTA_MONITOR_MONITOR_SERVICE_H_
#define PAASTA_MONITOR_MONITOR_SERVICE_H_

#include "common/metrics_round.h"
#include "monitor/monitor.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "protos/monitor.grpc.pb.h"

namespace paasta::monitor {

class MonitorService final : public v1::Monitor::Service {
 public:
  MonitorService(Monitor& monitor, prometheus::Registry& registry);

  // One pass, then the metrics (the daemon's loop calls it).
  void RunCheck();

  grpc::Status GetReplication(grpc::ServerContext*, const v1::GetReplicationRequest*,
                              v1::GetReplicationResponse*) override;
  grpc::Status ListAlerts(grpc::ServerContext*, const v1::ListAlertsRequest*, v1::ListAlertsResponse*) override;

 private:
  Monitor& monitor_;
  prometheus::Histogram& duration_;
  prometheus::Family<prometheus::Counter>& errors_;
  GaugeRound expected_, available_, ratio_, under_, failing_, bouncing_;
  GaugeRound last_success_, last_failed_, missed_;
  GaugeRound firing_;
};

}  // namespace paasta::monitor

#endif  // PAASTA_MONITOR_MONITOR_SERVICE_H_
