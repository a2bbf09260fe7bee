// The agent's engine: Marathon's part for apps and Mesos's part for one-off
// tasks, on one host. It keeps `instances` tasks of every app running, relaunches
// failed ones after an exponential back-off, health-checks them and replaces
// those that fail too often, runs one-off tasks, and keeps all of it in its
// store so that after a restart (even kill -9) it finds its tasks again.
//
// Supervision is level-triggered: every pass (every `tick`) re-reads each
// task's process state and takes the steps that bring each app to its count.
//
//   Engine engine(options, &runtime, store.get(), &clock);
//   RETURN_IF_ERROR(engine.Start());
//   engine.PutApp(app);        // tasks launch on the next pass
//
// Thread-safe.
#ifndef PAASTA_AGENT_ENGINE_H_
#define PAASTA_AGENT_ENGINE_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "agent/agent_state.pb.h"
#include "agent/health_check.h"
#include "agent/output_log.h"
#include "agent/process_runtime.h"
#include "agent/store.h"
#include "common/clock.h"
#include "protos/agent.pb.h"

namespace paasta::agent {

struct EngineOptions {
  // Task sandboxes live in <state_dir>/sandboxes/<task id>.
  std::string state_dir;
  // Checkouts of apps' commits (process mode).
  std::string git_cache_dir;
  // The host tasks are reached on.
  std::string host = "127.0.0.1";
  // SIGTERM, then SIGKILL after this.
  absl::Duration kill_grace = absl::Seconds(5);
  // Time between supervision passes.
  absl::Duration tick = absl::Milliseconds(200);
  // Health checks run on this many threads.
  int health_workers = 4;
  // Ended one-off runs are kept this long.
  absl::Duration run_retention = absl::Hours(24);
  // stdout and stderr are rotated past this size (one older copy kept).
  int64_t max_output_bytes = 10 * 1024 * 1024;
  // How much of a run's output its record keeps.
  size_t output_tail_bytes = 4096;
  // A Docker engine answers: apps that name an image run in containers.
  // Otherwise they run as processes in a checkout of their commit.
  bool docker_available = false;
};

// The relaunch delay after `failures` failures in a row: backoff x
// factor^(failures - 1), capped at max_launch_delay; 0 without failures.
// Example (backoff 1 s, factor 2, cap 10 s): 1, 2, 4, 8, 10, 10 s.
absl::Duration LaunchDelay(const v1::AppDefinition& app, int failures);

class Engine {
 public:
  // `runtime`, `store` and `clock` are not owned and must outlive the engine.
  Engine(EngineOptions options, ProcessRuntime* runtime, Store* store, Clock* clock);
  // Stops supervising; tasks keep running (the next start adopts them).
  ~Engine();

  // Loads the store, finds the tasks again, and starts supervising.
  absl::Status Start();
  // Stops the supervision and health threads. Idempotent.
  void Stop();

  // Creates or replaces an app; true if it was created. INVALID_ARGUMENT
  // naming the field when the definition is unusable.
  absl::StatusOr<bool> PutApp(const v1::AppDefinition& app);
  // Deletes an app and kills its tasks; returns how many. NOT_FOUND if unknown.
  absl::StatusOr<int> DeleteApp(const std::string& app_id);
  std::vector<v1::App> ListApps(const std::string& prefix, bool embed_tasks);
  // Tasks of one app (NOT_FOUND if unknown) or of all (app_id empty).
  absl::StatusOr<std::vector<v1::Task>> ListTasks(const std::string& app_id);
  v1::KillTasksResponse KillTasks(const std::vector<std::string>& task_ids, bool scale);
  absl::StatusOr<v1::Run> RunTask(const v1::RunTaskRequest& request);
  absl::StatusOr<v1::Run> GetRun(const std::string& run_id);

  // Calls `listener` (on an engine thread, outside the engine's lock) with every
  // task event. Returns an id for Unsubscribe.
  int Subscribe(std::function<void(const v1::TaskEvent&)> listener);
  void Unsubscribe(int id);

  // The current tasks as snapshot events.
  std::vector<v1::TaskEvent> Snapshot(const std::string& app_id_prefix);

  // Output lines of the tasks of apps whose id starts with one of
  // `app_id_prefixes` (ended tasks whose sandboxes remain included) and of the
  // runs of `job_names`, merged by time (output_log.h), the newest `tail` of
  // those after `since`. `until` is set to the time up to which every line is
  // indexed: the `since` of the next call that follows the output.
  std::vector<OutputLine> ReadOutput(const std::vector<std::string>& app_id_prefixes,
                                     const std::vector<std::string>& job_names, absl::Time since, int tail,
                                     absl::Time* until);

  // Stops every task (SIGTERM, SIGKILL after kill_grace) and launches none
  // any more, waiting up to `timeout` for them to end; the apps stay as they
  // are, so the next start runs them again. For an agent that takes its tasks
  // with it when it stops (paasta-agent --stop_tasks_on_exit).
  void StopAllTasks(absl::Duration timeout);

  // One supervision pass (the supervision thread calls it; tests may too).
  void Tick();

  // Counters for metrics.
  struct Stats {
    int64_t launches = 0;
    int64_t failures = 0;
    int64_t health_checks_passed = 0;
    int64_t health_checks_failed = 0;
  };
  Stats stats();

 private:
  struct LiveTask {
    TaskRecord record;
    std::vector<HealthTracker> trackers;
    bool check_in_flight = false;
    // Killed for failing health checks: counts as a failure.
    bool unhealthy = false;
    // Sizes of stdout and stderr when last indexed (output_log.h).
    int64_t indexed_sizes[2] = {0, 0};
  };
  // A launch decided under the lock and done outside it.
  struct Launch {
    std::string task_id;
    ProcessSpec spec;
    v1::ProcessSource source;
  };

  absl::Status Load() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes sandboxes of ended tasks that ended more than run_retention ago.
  void RemoveOldSandboxes(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds a STAGING task (persisted) and returns what launching it takes.
  Launch StageTask(const std::string& app_id, const std::string& run_id, std::vector<v1::TaskEvent>* events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DoLaunch(Launch launch);
  void FinishTask(const std::string& task_id, const ProcessStatus& status, std::vector<v1::TaskEvent>* events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RequestKill(LiveTask& task, bool scale_down, std::vector<v1::TaskEvent>* events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Persist(const LiveTask& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::TaskEvent Event(v1::TaskEventType type, const v1::Task& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::Task TaskView(const LiveTask& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::App AppView(const AppRecord& app, bool embed_tasks) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Publish(const std::vector<v1::TaskEvent>& events);
  void HealthWorker();
  std::set<int> UsedPorts() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const EngineOptions options_;
  ProcessRuntime* const runtime_;
  Store* const store_;
  Clock* const clock_;

  absl::Mutex mu_;
  std::map<std::string, AppRecord> apps_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, LiveTask> tasks_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, RunRecord> runs_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> health_queue_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // StopAllTasks runs: no task is launched any more.
  bool stopping_tasks_ ABSL_GUARDED_BY(mu_) = false;
  int64_t ticks_ ABSL_GUARDED_BY(mu_) = 0;
  // When the task output was last indexed (every pass), and sandboxes of ended tasks last cleaned.
  absl::Time output_indexed_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time sandboxes_cleaned_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();

  absl::Mutex listeners_mu_;
  std::map<int, std::function<void(const v1::TaskEvent&)>> listeners_ ABSL_GUARDED_BY(listeners_mu_);
  int next_listener_ ABSL_GUARDED_BY(listeners_mu_) = 0;

  absl::Notification stop_;
  std::thread supervisor_;
  std::vector<std::thread> health_threads_;
};

}  // namespace paasta::agent

#endif  // PAASTA_AGENT_ENGINE_H_
