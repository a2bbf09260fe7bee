// The embedded scheduler: Chronos's job semantics on one machine, with jobs and
// runs in SQLite and runs executed by a RunLauncher (the agent).
//
// - A scheduled job fires at each time of its schedule (§2.4 of the external
//   APIs reference), in its time zone. A run that cannot start within
//   `epsilon` of its time is skipped and recorded as such (RUN_STATE_SKIPPED).
// - At most one run of a job at a time: a run that comes due while another is
//   going is skipped, not queued (as Chronos 2.x drops it).
// - A failed run is retried at once, up to `retries` times.
// - A dependent job runs once after every one of its parents (any service) has
//   succeeded since its last such run. Reruns never trigger children: they are
//   other jobs (temporary, "tmp-… <service> <instance>").
// - Disabled jobs never fire, on schedule, for their parents or on StartNow.
// - Run records are kept 24 hours after they end (at most the newest 100 per
//   job); temporary jobs are removed 24 hours after their last run.
// - Crash-safe: a run is recorded (QUEUED) and the schedule advanced in one
//   transaction before it is launched, and launches are idempotent by run id.
//   After kill -9 and restart a queued run is looked up on the launcher: adopted
//   when it was launched, launched when it was not and is still within epsilon,
//   recorded as skipped otherwise. No run is fired twice or lost.
//
// Time comes from a Clock and work happens in Tick(), which the daemon calls
// every second; tests call it by hand on a FakeClock. Thread-safe.
#ifndef PAASTA_SCHEDULER_BRIDGE_EMBEDDED_SCHEDULER_H_
#define PAASTA_SCHEDULER_BRIDGE_EMBEDDED_SCHEDULER_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/record_store.h"
#include "scheduler-bridge/engine.h"
#include "scheduler-bridge/run_launcher.h"
#include "scheduler-bridge/schedule.h"
#include "scheduler-bridge/scheduler_state.pb.h"

namespace paasta::scheduler {

// How long ended runs and finished temporary jobs are kept.
inline constexpr absl::Duration kRunRetention = absl::Hours(24);
// At most this many ended runs are kept per job (the newest), so memory stays
// bounded for jobs that run often (a record takes about 0.8 KiB).
inline constexpr int kMaxRunsKeptPerJob = 100;

class EmbeddedScheduler : public JobEngine {
 public:
  // Opens (creating if needed) the state at `db_path` and reads it back.
  // `launcher` and `clock` are not owned and must outlive the scheduler.
  static absl::StatusOr<std::unique_ptr<EmbeddedScheduler>> Open(const std::string& db_path, RunLauncher* launcher,
                                                                 Clock* clock);

  // Does what is due at the clock's time: follows running runs, retries failed
  // ones, fires due schedules and ready children, removes old records.
  void Tick();

  std::string Describe() const override;
  absl::StatusOr<std::vector<EngineJob>> ListJobs() override;
  absl::Status PutJob(const v1::Job& job) override;
  absl::Status DeleteJob(const std::string& name) override;
  absl::StatusOr<std::optional<v1::JobRun>> StartNow(const std::string& name) override;
  absl::StatusOr<std::optional<v1::JobRun>> AddRunOnceJob(const v1::Job& job, absl::Time execution_date) override;
  absl::StatusOr<int> KillTasks(const std::string& name) override;
  absl::StatusOr<std::vector<v1::JobRun>> ListRuns(const std::string& name, int limit, bool include_reruns) override;

 private:
  struct JobState {
    StoredJob stored;
    // Parsed schedule (scheduled jobs only).
    std::optional<Schedule> schedule;
    // The run going now (QUEUED or RUNNING), if any.
    std::string active_run;
  };

  EmbeddedScheduler(std::unique_ptr<RecordStore> store, RunLauncher* launcher, Clock* clock)
      : store_(std::move(store)), launcher_(launcher), clock_(clock) {}
  absl::Status Load();

  // Records a new run of `job` (with the date a rerun renders, if any) and
  // launches it.
  v1::JobRun StartRun(JobState& job, v1::RunTrigger trigger, absl::Time scheduled_for, absl::Time now, int attempt,
                      const std::string& command, std::optional<absl::Time> execution_date = std::nullopt)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records a skipped run.
  void RecordSkipped(JobState& job, v1::RunTrigger trigger, absl::Time scheduled_for)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Launches (or finds) a queued run; leaves it queued when the launcher fails.
  void Launch(JobState& job, v1::JobRun& run, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Follows an active run; on its end updates the job, retries, and returns
  // true when it succeeded.
  bool Follow(JobState& job, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fires the job's due schedule times up to `now`.
  void FireDue(JobState& job, absl::Time due, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs the children of `parent` whose parents have all succeeded.
  void TriggerChildren(const std::string& parent, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Cleanup(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The command of a run due at `scheduled_for`: the template rendered then.
  std::string CommandFor(const v1::Job& job, absl::Time scheduled_for) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetNextDue(JobState& job, std::optional<absl::Time> next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SaveJob(const JobState& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SaveRun(const v1::JobRun& run) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RebuildChildren() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  EngineJob ToEngineJob(const JobState& job) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::unique_ptr<RecordStore> store_;
  RunLauncher* const launcher_;
  Clock* const clock_;

  mutable absl::Mutex mu_;
  std::map<std::string, JobState> jobs_ ABSL_GUARDED_BY(mu_);
  // Every kept run by id.
  std::map<std::string, v1::JobRun> runs_ ABSL_GUARDED_BY(mu_);
  // (next due time, job name) of scheduled jobs.
  std::set<std::pair<absl::Time, std::string>> due_ ABSL_GUARDED_BY(mu_);
  // parent name -> names of the jobs that depend on it.
  std::map<std::string, std::vector<std::string>> children_ ABSL_GUARDED_BY(mu_);
  absl::Time last_cleanup_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t run_counter_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace paasta::scheduler

#endif  // PAASTA_SCHEDULER_BRIDGE_EMBEDDED_SCHEDULER_H_
