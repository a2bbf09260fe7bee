#include "scheduler-bridge/bridge_service.h"

#include <chrono>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/metrics_round.h"
#include "common/status_map.h"
#include "google/protobuf/util/time_util.h"

namespace paasta::scheduler {

using google::protobuf::util::TimeUtil;

BridgeService::BridgeService(Bridge& bridge, prometheus::Registry& registry)
    : bridge_(bridge),
      syncs_(prometheus::BuildCounter()
                 .Name("paasta_scheduler_syncs_total")
                 .Help("Syncs of every job with the configs.")
                 .Register(registry)
                 .Add({})),
      sync_duration_(prometheus::BuildHistogram()
                         .Name("paasta_scheduler_sync_duration_seconds")
                         .Help("Time of one sync of every job.")
                         .Register(registry)
                         .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60})),
      runs_(CounterFamily(registry, "paasta_scheduler_job_runs_total", "Runs of the job that ended.")),
      failures_(CounterFamily(registry, "paasta_scheduler_job_failures_total", "Runs of the job that failed.")),
      last_success_(GaugeFamily(registry, "paasta_scheduler_job_last_success_timestamp_seconds",
                                "When a run of the job last succeeded (Unix time); 0 if never.")),
      last_failed_(
          GaugeFamily(registry, "paasta_scheduler_job_last_run_failed", "1 when the job's most recent run failed.")),
      lag_(GaugeFamily(registry, "paasta_scheduler_job_schedule_lag_seconds",
                       "How late the job's last scheduled run started.")),
      running_(GaugeFamily(registry, "paasta_scheduler_job_running", "1 while a run of the job is going.")),
      enabled_(GaugeFamily(registry, "paasta_scheduler_job_enabled", "1 when the job is scheduled, 0 when disabled.")),
      sync_failing_(GaugeFamily(registry, "paasta_scheduler_job_sync_failing",
                                "1 when the last sync could not put the job as configured.")) {}

void BridgeService::RecordMetrics() {
  absl::StatusOr<std::vector<Bridge::JobView>> views = bridge_.Views("");
  if (!views.ok()) return;
  absl::MutexLock lock(&metrics_mu_);
  for (const Bridge::JobView& view : *views) {
    const v1::JobStatus& status = view.status;
    if (status.launched_by_rerun()) continue;
    const prometheus::Labels labels = {{"service", status.instance().service()},
                                       {"instance", status.instance().instance()},
                                       {"cluster", status.instance().cluster()}};
    sync_failing_.Add(labels).Set(status.last_error().empty() ? 0 : 1);
    if (!view.engine_job.has_value()) continue;
    const EngineJob& job = *view.engine_job;
    const std::string key = absl::StrCat(status.instance().service(), " ", status.instance().instance());
    auto [seen, created] = counts_.try_emplace(key, 0, 0);
    // Chronos resets its counts when a job is modified: only growth counts.
    if (job.runs > seen->second.first) runs_.Add(labels).Increment(static_cast<double>(job.runs - seen->second.first));
    if (job.failures > seen->second.second) {
      failures_.Add(labels).Increment(static_cast<double>(job.failures - seen->second.second));
    }
    runs_.Add(labels);
    failures_.Add(labels);
    seen->second = {job.runs, job.failures};
    last_success_.Add(labels).Set(
        job.last_success.has_value() ? absl::ToDoubleSeconds(*job.last_success - absl::UnixEpoch()) : 0);
    last_failed_.Add(labels).Set(
        job.last_failure.has_value() && (!job.last_success.has_value() || *job.last_failure > *job.last_success) ? 1
                                                                                                                 : 0);
    if (job.last_lag.has_value()) lag_.Add(labels).Set(absl::ToDoubleSeconds(*job.last_lag));
    running_.Add(labels).Set(job.running_tasks > 0 ? 1 : 0);
    enabled_.Add(labels).Set(job.job.disabled() ? 0 : 1);
  }
}

void BridgeService::RunSync() {
  const auto start = std::chrono::steady_clock::now();
  bridge_.Sync("");
  syncs_.Increment();
  sync_duration_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  RecordMetrics();
}

grpc::Status BridgeService::CheckInstance(const v1::InstanceRef& instance) {
  if (instance.service().empty() || instance.instance().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "instance.service and instance.instance are required");
  }
  if (!instance.cluster().empty()) {
    absl::StatusOr<std::string> cluster = bridge_.Cluster();
    if (cluster.ok() && *cluster != instance.cluster()) {
      return grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("this scheduler bridge serves cluster \"", *cluster, "\", not \"", instance.cluster(), "\""));
    }
  }
  return grpc::Status::OK;
}

grpc::Status BridgeService::Sync(grpc::ServerContext* context, const v1::SyncRequest* request,
                                 v1::SyncResponse* response) {
  if (grpc::Status allowed = MayChange(*context, "SchedulerBridge/Sync", request->service()); !allowed.ok())
    return allowed;
  *response = bridge_.Sync(request->service());
  RecordMetrics();
  return grpc::Status::OK;
}

grpc::Status BridgeService::ListJobs(grpc::ServerContext*, const v1::ListJobsRequest* request,
                                     v1::ListJobsResponse* response) {
  absl::StatusOr<std::vector<v1::JobStatus>> jobs = bridge_.List(request->service());
  if (!jobs.ok()) return ToGrpcStatus(jobs.status());
  for (v1::JobStatus& job : *jobs) *response->add_jobs() = std::move(job);
  return grpc::Status::OK;
}

grpc::Status BridgeService::GetJobStatus(grpc::ServerContext*, const v1::GetJobStatusRequest* request,
                                         v1::JobStatus* response) {
  if (grpc::Status checked = CheckInstance(request->instance()); !checked.ok()) return checked;
  absl::StatusOr<v1::JobStatus> status = bridge_.Get(request->instance().service(), request->instance().instance());
  if (!status.ok()) return ToGrpcStatus(status.status());
  *response = *status;
  return grpc::Status::OK;
}

grpc::Status BridgeService::StartNow(grpc::ServerContext* context, const v1::StartNowRequest* request,
                                     v1::StartNowResponse* response) {
  if (grpc::Status allowed = MayChange(*context, "SchedulerBridge/StartNow", request->instance().service());
      !allowed.ok())
    return allowed;
  if (grpc::Status checked = CheckInstance(request->instance()); !checked.ok()) return checked;
  absl::StatusOr<std::optional<v1::JobRun>> run =
      bridge_.StartNow(request->instance().service(), request->instance().instance());
  if (!run.ok()) return ToGrpcStatus(run.status());
  if (run->has_value()) *response->mutable_run() = **run;
  return grpc::Status::OK;
}

grpc::Status BridgeService::Stop(grpc::ServerContext* context, const v1::StopRequest* request,
                                 v1::StopResponse* response) {
  if (grpc::Status allowed = MayChange(*context, "SchedulerBridge/Stop", request->instance().service()); !allowed.ok())
    return allowed;
  if (grpc::Status checked = CheckInstance(request->instance()); !checked.ok()) return checked;
  absl::StatusOr<int> killed = bridge_.Stop(request->instance().service(), request->instance().instance());
  if (!killed.ok()) return ToGrpcStatus(killed.status());
  response->set_killed_tasks(*killed);
  RecordMetrics();
  return grpc::Status::OK;
}

grpc::Status BridgeService::Rerun(grpc::ServerContext* context, const v1::RerunRequest* request,
                                  v1::RerunResponse* response) {
  if (grpc::Status allowed = MayChange(*context, "SchedulerBridge/Rerun", request->instance().service()); !allowed.ok())
    return allowed;
  if (grpc::Status checked = CheckInstance(request->instance()); !checked.ok()) return checked;
  std::optional<absl::Time> date;
  if (request->has_execution_date()) {
    date = absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(request->execution_date()));
  }
  absl::StatusOr<Bridge::Rerun> rerun =
      bridge_.RerunJob(request->instance().service(), request->instance().instance(), date);
  if (!rerun.ok()) return ToGrpcStatus(rerun.status());
  response->set_temporary_job_name(rerun->temporary_job_name);
  if (rerun->run.has_value()) *response->mutable_run() = *rerun->run;
  return grpc::Status::OK;
}

grpc::Status BridgeService::ListRuns(grpc::ServerContext*, const v1::ListRunsRequest* request,
                                     v1::ListRunsResponse* response) {
  if (grpc::Status checked = CheckInstance(request->instance()); !checked.ok()) return checked;
  absl::StatusOr<std::vector<v1::JobRun>> runs = bridge_.Runs(
      request->instance().service(), request->instance().instance(), request->limit(), request->include_reruns());
  if (!runs.ok()) return ToGrpcStatus(runs.status());
  for (v1::JobRun& run : *runs) *response->add_runs() = std::move(run);
  return grpc::Status::OK;
}

grpc::Status BridgeService::ListEvents(grpc::ServerContext*, const v1::ListEventsRequest* request,
                                       v1::ListEventsResponse* response) {
  absl::StatusOr<v1::ListEventsResponse> events = bridge_.events().List(*request);
  if (!events.ok()) return ToGrpcStatus(events.status());
  *response = *std::move(events);
  return grpc::Status::OK;
}

}  // namespace paasta::scheduler
