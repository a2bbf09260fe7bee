#include "agent/agent_service.h"

#include <deque>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "common/status_map.h"
#include "google/protobuf/util/time_util.h"

namespace paasta::agent {
namespace {

// Streams task events to one watcher. Events wait in a bounded queue while a
// write is in flight; a watcher too slow to keep up is ended with
// RESOURCE_EXHAUSTED rather than letting the agent's memory grow.
class EventStream : public grpc::ServerWriteReactor<v1::TaskEvent> {
 public:
  static constexpr size_t kMaxQueued = 10000;

  EventStream(Engine& engine, const v1::WatchEventsRequest& request)
      : engine_(engine), prefix_(request.app_id_prefix()) {
    // Subscribe first (events wait in the queue), then put the snapshot before
    // them: nothing is missed, and an event may repeat what the snapshot shows.
    // No lock of this stream is held while calling the engine (the engine calls
    // Push with its listener lock held).
    listener_ = engine_.Subscribe([this](const v1::TaskEvent& event) {
      if (absl::StartsWith(event.task().app_id(), prefix_)) Push(event);
    });
    std::vector<v1::TaskEvent> snapshot;
    if (request.send_snapshot()) snapshot = engine_.Snapshot(prefix_);
    absl::MutexLock lock(&mu_);
    queue_.insert(queue_.begin(), snapshot.begin(), snapshot.end());
    WriteNextLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the stream broke"));
      return;
    }
    WriteNextLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    // Unsubscribe waits for a listener call in progress, so nothing touches
    // this stream after it returns.
    engine_.Unsubscribe(listener_);
    delete this;
  }

 private:
  void Push(const v1::TaskEvent& event) {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    if (queue_.size() >= kMaxQueued) {
      FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                "the watcher fell too far behind; watch again with send_snapshot"));
      return;
    }
    queue_.push_back(event);
    WriteNextLocked();
  }

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_ || queue_.empty()) return;
    current_ = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    StartWrite(&current_);
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  Engine& engine_;
  const std::string prefix_;
  int listener_ = -1;
  absl::Mutex mu_;
  std::deque<v1::TaskEvent> queue_ ABSL_GUARDED_BY(mu_);
  v1::TaskEvent current_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

AgentService::AgentService(Engine& engine, prometheus::Registry& registry)
    : engine_(engine),
      tasks_(prometheus::BuildGauge().Name("paasta_agent_tasks").Help("Tasks by state.").Register(registry)),
      apps_(prometheus::BuildGauge().Name("paasta_agent_apps").Help("Apps.").Register(registry).Add({})),
      launches_(prometheus::BuildCounter()
                    .Name("paasta_agent_launches_total")
                    .Help("Tasks launched.")
                    .Register(registry)
                    .Add({})),
      failures_(prometheus::BuildCounter()
                    .Name("paasta_agent_task_failures_total")
                    .Help("Tasks that ended without being asked to (each delays the next launch).")
                    .Register(registry)
                    .Add({})),
      health_checks_(prometheus::BuildCounter()
                         .Name("paasta_agent_health_checks_total")
                         .Help("Health-check results, by result (passed, failed).")
                         .Register(registry)),
      launch_delay_(prometheus::BuildGauge()
                        .Name("paasta_agent_launch_delay_seconds")
                        .Help("How long an app waits before its next launch (back-off).")
                        .Register(registry)) {}

void AgentService::UpdateMetrics() {
  std::map<std::string, int> by_state;
  for (const char* state : {"STAGING", "RUNNING", "KILLING"}) by_state[state] = 0;
  int apps = 0;
  for (const v1::App& app : engine_.ListApps("", true)) {
    ++apps;
    for (const v1::Task& task : app.tasks()) {
      std::string state = v1::TaskState_Name(task.state());
      by_state[state.substr(std::string("TASK_STATE_").size())]++;
    }
    const double delay = app.has_launch_delay()
                             ? google::protobuf::util::TimeUtil::DurationToMilliseconds(app.launch_delay()) / 1000.0
                             : 0;
    launch_delay_.Add({{"app", app.definition().id()}}).Set(delay);
  }
  for (const auto& [state, count] : by_state) tasks_.Add({{"state", state}}).Set(count);
  apps_.Set(apps);
  const Engine::Stats stats = engine_.stats();
  launches_.Increment(static_cast<double>(stats.launches - reported_.launches));
  failures_.Increment(static_cast<double>(stats.failures - reported_.failures));
  health_checks_.Add({{"result", "passed"}})
      .Increment(static_cast<double>(stats.health_checks_passed - reported_.health_checks_passed));
  health_checks_.Add({{"result", "failed"}})
      .Increment(static_cast<double>(stats.health_checks_failed - reported_.health_checks_failed));
  reported_ = stats;
}

grpc::Status AgentService::PutApp(grpc::ServerContext* context, const v1::PutAppRequest* request,
                                  v1::PutAppResponse* response) {
  if (grpc::Status allowed = MayChange(*context, "Agent/PutApp", ServiceOfAppId(request->app().id())); !allowed.ok())
    return allowed;
  absl::StatusOr<bool> created = engine_.PutApp(request->app());
  if (!created.ok()) return ToGrpcStatus(created.status());
  response->set_created(*created);
  return grpc::Status::OK;
}

grpc::Status AgentService::DeleteApp(grpc::ServerContext* context, const v1::DeleteAppRequest* request,
                                     v1::DeleteAppResponse* response) {
  if (grpc::Status allowed = MayChange(*context, "Agent/DeleteApp", ServiceOfAppId(request->app_id())); !allowed.ok())
    return allowed;
  absl::StatusOr<int> killed = engine_.DeleteApp(request->app_id());
  if (!killed.ok()) return ToGrpcStatus(killed.status());
  response->set_killed_tasks(*killed);
  return grpc::Status::OK;
}

grpc::Status AgentService::ListApps(grpc::ServerContext*, const v1::ListAppsRequest* request,
                                    v1::ListAppsResponse* response) {
  for (v1::App& app : engine_.ListApps(request->app_id_prefix(), request->embed_tasks())) {
    *response->add_apps() = std::move(app);
  }
  return grpc::Status::OK;
}

grpc::Status AgentService::ListTasks(grpc::ServerContext*, const v1::ListTasksRequest* request,
                                     v1::ListTasksResponse* response) {
  absl::StatusOr<std::vector<v1::Task>> tasks = engine_.ListTasks(request->app_id());
  if (!tasks.ok()) return ToGrpcStatus(tasks.status());
  for (v1::Task& task : *tasks) *response->add_tasks() = std::move(task);
  return grpc::Status::OK;
}

grpc::Status AgentService::KillTasks(grpc::ServerContext* context, const v1::KillTasksRequest* request,
                                     v1::KillTasksResponse* response) {
  for (const std::string& task_id : request->task_ids()) {
    // A one-off run's task ("run.<run id>.<n>") names no service: only "*" may kill it this way.
    const std::string service = absl::StartsWith(task_id, "run.") ? "" : ServiceOfAppId(task_id);
    if (grpc::Status allowed = MayChange(*context, "Agent/KillTasks", service); !allowed.ok()) return allowed;
  }
  if (request->task_ids().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "task_ids is required");
  *response = engine_.KillTasks({request->task_ids().begin(), request->task_ids().end()}, request->scale());
  return grpc::Status::OK;
}

grpc::Status AgentService::RunTask(grpc::ServerContext* context, const v1::RunTaskRequest* request,
                                   v1::RunTaskResponse* response) {
  if (grpc::Status allowed = MayChange(*context, "Agent/RunTask", ServiceOfJobName(request->job_name())); !allowed.ok())
    return allowed;
  absl::StatusOr<v1::Run> run = engine_.RunTask(*request);
  if (!run.ok()) return ToGrpcStatus(run.status());
  *response->mutable_run() = *run;
  return grpc::Status::OK;
}

grpc::Status AgentService::GetRun(grpc::ServerContext*, const v1::GetRunRequest* request,
                                  v1::GetRunResponse* response) {
  absl::StatusOr<v1::Run> run = engine_.GetRun(request->run_id());
  if (!run.ok()) return ToGrpcStatus(run.status());
  *response->mutable_run() = *run;
  return grpc::Status::OK;
}

grpc::Status AgentService::ReadOutput(grpc::ServerContext*, const v1::ReadOutputRequest* request,
                                      v1::ReadOutputResponse* response) {
  if (request->app_id_prefixes().empty() && request->job_names().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "give app_id_prefixes or job_names");
  }
  for (const std::string& prefix : request->app_id_prefixes()) {
    if (prefix.empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "an app_id_prefix is empty");
  }
  const absl::Time since =
      request->has_since()
          ? absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(request->since()))
          : absl::InfinitePast();
  absl::Time until;
  const std::vector<OutputLine> lines =
      engine_.ReadOutput({request->app_id_prefixes().begin(), request->app_id_prefixes().end()},
                         {request->job_names().begin(), request->job_names().end()}, since,
                         request->tail() > 0 ? request->tail() : 1000, &until);
  for (const OutputLine& line : lines) {
    v1::OutputLine* out = response->add_lines();
    *out->mutable_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(line.time));
    out->set_task_id(line.task_id);
    out->set_stream(line.stream);
    out->set_text(line.text);
  }
  if (until != absl::InfinitePast()) {
    *response->mutable_until() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(until));
  } else if (request->has_since()) {
    *response->mutable_until() = request->since();
  }
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<v1::TaskEvent>* AgentService::WatchEvents(grpc::CallbackServerContext*,
                                                                   const v1::WatchEventsRequest* request) {
  return new EventStream(engine_, *request);
}

}  // namespace paasta::agent
