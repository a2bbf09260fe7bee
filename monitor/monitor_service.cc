#include "monitor/monitor_service.h"

#include <chrono>

#include "google/protobuf/util/time_util.h"

namespace paasta::monitor {
namespace {

using google::protobuf::util::TimeUtil;

prometheus::Labels Labels(const v1::InstanceRef& instance) {
  return {{"service", instance.service()}, {"instance", instance.instance()}, {"cluster", instance.cluster()}};
}

}  // namespace

MonitorService::MonitorService(Monitor& monitor, prometheus::Registry& registry)
    : monitor_(monitor),
      duration_(prometheus::BuildHistogram()
                    .Name("paasta_monitor_check_duration_seconds")
                    .Help("Time of one pass of every check.")
                    .Register(registry)
                    .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30})),
      errors_(prometheus::BuildCounter()
                  .Name("paasta_monitor_check_errors_total")
                  .Help("Passes in which a source (engine, deployer, scheduler bridge, configs) could not be read.")
                  .Register(registry)),
      expected_(GaugeFamily(registry, "paasta_instance_expected_instances", "Tasks the instance should run.")),
      available_(GaugeFamily(registry, "paasta_instance_available_instances",
                             "Healthy tasks of the instance up for at least the minimum uptime.")),
      ratio_(
          GaugeFamily(registry, "paasta_instance_replication_ratio", "available / expected (1 when none expected).")),
      under_(GaugeFamily(registry, "paasta_instance_under_replicated",
                         "1 when available / expected is under the instance's replication_threshold.")),
      failing_(GaugeFamily(registry, "paasta_instance_deploy_failing", "1 when the deployer reports an error.")),
      bouncing_(
          GaugeFamily(registry, "paasta_instance_bounce_in_progress", "1 while old apps of the instance remain.")),
      last_success_(GaugeFamily(registry, "paasta_job_last_success_timestamp_seconds",
                                "When a run of the job last succeeded (Unix time); 0 if never.")),
      last_failed_(GaugeFamily(registry, "paasta_job_last_run_failed",
                               "1 when the job's last run failed and none succeeded since.")),
      missed_(GaugeFamily(registry, "paasta_job_missed_run", "1 when the job missed a run and none succeeded since.")),
      firing_(GaugeFamily(registry, "paasta_alert_firing",
                          "1 while the alert fires (its condition has held for alert_after), else 0.")) {}

void MonitorService::RunCheck() {
  const auto start = std::chrono::steady_clock::now();
  const PassReport report = monitor_.Check();
  duration_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  for (const std::string& error : report.errors) {
    const std::string source(error.substr(0, error.find(':')));
    errors_.Add({{"source", source}}).Increment();
  }
  // A source that could not be read keeps its last values.
  if (report.engine_read) {
    for (const v1::Replication& replication : report.replications) {
      const prometheus::Labels labels = Labels(replication.instance());
      expected_.Set(labels, replication.expected());
      available_.Set(labels, replication.available());
      ratio_.Set(labels, replication.ratio_percent() / 100);
      under_.Set(labels, replication.under_replicated() ? 1 : 0);
    }
    for (GaugeRound* round : {&expected_, &available_, &ratio_, &under_}) round->Finish();
  }
  if (report.deploys_read) {
    for (const v1::InstanceStatus& status : report.deploys) {
      failing_.Set(Labels(status.instance()), status.last_error().empty() ? 0 : 1);
      bouncing_.Set(Labels(status.instance()), status.bounce_in_progress() ? 1 : 0);
    }
    failing_.Finish();
    bouncing_.Finish();
  }
  if (report.jobs_read) {
    for (const v1::JobStatus& job : report.jobs) {
      if (job.launched_by_rerun()) continue;
      const prometheus::Labels labels = Labels(job.instance());
      const int64_t success = job.has_last_success() ? TimeUtil::TimestampToNanoseconds(job.last_success()) : 0;
      last_success_.Set(labels, static_cast<double>(success) / 1e9);
      last_failed_.Set(
          labels, job.has_last_failure() && TimeUtil::TimestampToNanoseconds(job.last_failure()) > success ? 1 : 0);
      missed_.Set(labels,
                  job.has_last_missed() && TimeUtil::TimestampToNanoseconds(job.last_missed()) > success ? 1 : 0);
    }
    last_success_.Finish();
    last_failed_.Finish();
    missed_.Finish();
  }
  for (const v1::Alert& alert : report.alerts) {
    prometheus::Labels labels = Labels(alert.instance());
    labels["check"] = alert.check();
    labels["team"] = alert.team();
    labels["runbook"] = alert.runbook();
    firing_.Set(labels, alert.state() == v1::ALERT_STATE_FIRING ? 1 : 0);
  }
  firing_.Finish();
}

grpc::Status MonitorService::GetReplication(grpc::ServerContext*, const v1::GetReplicationRequest* request,
                                            v1::GetReplicationResponse* response) {
  for (v1::Replication& replication : monitor_.Replications(request->service())) {
    *response->add_replications() = std::move(replication);
  }
  return grpc::Status::OK;
}

grpc::Status MonitorService::ListAlerts(grpc::ServerContext*, const v1::ListAlertsRequest* request,
                                        v1::ListAlertsResponse* response) {
  for (v1::Alert& alert : monitor_.Alerts(request->service(), request->include_ok())) {
    *response->add_alerts() = std::move(alert);
  }
  return grpc::Status::OK;
}

}  // namespace paasta::monitor
