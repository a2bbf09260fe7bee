// The job engine behind the scheduler bridge: the embedded scheduler (this
// machine, SQLite, runs on the agent) or a real Chronos over REST. The system
// config chooses (chronos_config present means Chronos).
#ifndef PAASTA_SCHEDULER_BRIDGE_ENGINE_H_
#define PAASTA_SCHEDULER_BRIDGE_ENGINE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "protos/types.pb.h"

namespace paasta::scheduler {

// What an engine knows of one of its jobs.
struct EngineJob {
  v1::Job job;
  std::optional<absl::Time> last_success;
  std::optional<absl::Time> last_failure;
  // When a scheduled run was last skipped (embedded scheduler only).
  std::optional<absl::Time> last_skipped;
  // The next scheduled run; unset for dependent, disabled or finished jobs, and
  // on Chronos (which does not say).
  std::optional<absl::Time> next_run;
  // Tasks of the job running now.
  int running_tasks = 0;
  // Runs and failed runs since the engine has known the job.
  int64_t runs = 0;
  int64_t failures = 0;
  // How late the job's last scheduled run started (embedded scheduler only).
  std::optional<absl::Duration> last_lag;
};

class JobEngine {
 public:
  virtual ~JobEngine() = default;

  // For logs and errors: "the embedded scheduler (<db>)", "Chronos at <url>".
  virtual std::string Describe() const = 0;

  // Every job, temporary rerun jobs included.
  virtual absl::StatusOr<std::vector<EngineJob>> ListJobs() = 0;
  // Creates the job, or replaces the one with its name. A run that is going is
  // left alone (jobs bounce gracefully).
  virtual absl::Status PutJob(const v1::Job& job) = 0;
  // Kills the job's running tasks, then removes it.
  virtual absl::Status DeleteJob(const std::string& name) = 0;
  // Runs the job now; its schedule is unchanged. The run, when the engine keeps
  // runs (the embedded scheduler).
  virtual absl::StatusOr<std::optional<v1::JobRun>> StartNow(const std::string& name) = 0;
  // Adds a temporary job (`paasta rerun`) that runs once, now. `execution_date`
  // is the date its command was rendered for.
  virtual absl::StatusOr<std::optional<v1::JobRun>> AddRunOnceJob(const v1::Job& job, absl::Time execution_date) = 0;
  // Kills the job's running tasks. How many were killed (-1 when the engine
  // does not say).
  virtual absl::StatusOr<int> KillTasks(const std::string& name) = 0;
  // The job's recent runs, newest first (with its reruns' when asked).
  // UNIMPLEMENTED when the engine keeps no run records (Chronos).
  virtual absl::StatusOr<std::vector<v1::JobRun>> ListRuns(const std::string& name, int limit, bool include_reruns) = 0;
};

}  // namespace paasta::scheduler

#endif  // PAASTA_SCHEDULER_BRIDGE_ENGINE_H_
