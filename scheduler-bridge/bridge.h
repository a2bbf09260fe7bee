// The Chronos bridge: keeps the engine's jobs equal to the chronos-<cluster>.yaml
// configs (setup_chronos_job and cleanup_chronos_jobs of the original, §6.4),
// and runs, reruns and stops jobs on request.
//
// A sync composes every job of the cluster, creates the missing ones, updates
// those whose hash (description) changed and removes the jobs whose config is
// gone. It never acts on partial information: when the system config, the
// list of services or the engine's jobs cannot be read, nothing changes; a
// service whose configs cannot be read keeps its jobs; a job whose config has
// errors keeps running as it was. Temporary rerun jobs are removed 24 hours
// after their last run (never-run ones are kept, as the original).
//
// `paasta emergency-stop` holds a job disabled until its next deploy (a new
// commit): the stop is kept in <state_dir>/emergency_stops.json, so it holds
// across restarts of the bridge. Thread-safe.
#ifndef PAASTA_SCHEDULER_BRIDGE_BRIDGE_H_
#define PAASTA_SCHEDULER_BRIDGE_BRIDGE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/event_log.h"
#include "protos/scheduler_bridge.pb.h"
#include "scheduler-bridge/engine.h"
#include "scheduler-bridge/job_composer.h"

namespace paasta::scheduler {

struct BridgeOptions {
  std::string soa_dir;
  std::string system_config_dir;
  // Overrides the system config's cluster when set.
  std::string cluster;
  // Where the bridge keeps its own state (emergency stops).
  std::string state_dir;
};

class Bridge {
 public:
  // `engine` and `clock` are not owned and must outlive the bridge.
  Bridge(BridgeOptions options, JobEngine* engine, Clock* clock);

  // Syncs every job of the cluster, or of one service.
  v1::SyncResponse Sync(const std::string& service);

  // A job's status with what the engine knows of it (runs, failures, lag).
  struct JobView {
    v1::JobStatus status;
    // Unset when the engine does not have the job.
    std::optional<EngineJob> engine_job;
  };
  // Every job (of one service when given), temporary rerun jobs included, and
  // configured jobs the engine does not have.
  absl::StatusOr<std::vector<JobView>> Views(const std::string& service);

  // Job statuses (of one service when given), temporary rerun jobs included.
  absl::StatusOr<std::vector<v1::JobStatus>> List(const std::string& service);

  // The cluster the bridge serves (the system config's, or the override).
  absl::StatusOr<std::string> Cluster() const;
  // One configured job's status. NOT_FOUND when it is not a job of the cluster.
  absl::StatusOr<v1::JobStatus> Get(const std::string& service, const std::string& instance);

  // Runs the job now (`paasta emergency-start`); FAILED_PRECONDITION when it is
  // disabled.
  absl::StatusOr<std::optional<v1::JobRun>> StartNow(const std::string& service, const std::string& instance);
  // Kills the job's running tasks and disables it until its next deploy
  // (`paasta emergency-stop`). How many tasks were killed (-1: unknown).
  absl::StatusOr<int> Stop(const std::string& service, const std::string& instance);

  struct Rerun {
    std::string temporary_job_name;
    std::optional<v1::JobRun> run;
  };
  // `paasta rerun` (§7): the job once, its command rendered for
  // `execution_date` (now when unset; INVALID_ARGUMENT when the command uses
  // date variables), under a temporary job that triggers no children.
  absl::StatusOr<Rerun> RerunJob(const std::string& service, const std::string& instance,
                                 std::optional<absl::Time> execution_date);

  absl::StatusOr<std::vector<v1::JobRun>> Runs(const std::string& service, const std::string& instance, int limit,
                                               bool include_reruns);

  JobEngine& engine() { return *engine_; }

  // Jobs set up, updated or removed, reruns, emergency starts and stops, for `paasta logs`.
  const EventLog& events() const { return events_; }

 private:
  // What composing a job needs (the emergency stop held for its commit included).
  JobInputs Inputs(const config::ChronosJobConfig& config, const config::BranchDeployment& deployment,
                   const config::SystemConfig& system, const std::string& git_url) ABSL_LOCKS_EXCLUDED(mu_);
  // A configured job composed now, or why it cannot be.
  absl::StatusOr<ComposedJob> Compose(const std::string& service, const std::string& instance);
  v1::JobStatus StatusOf(const JobName& name, const EngineJob* engine_job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SaveEmergencyStops() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const BridgeOptions options_;
  JobEngine* const engine_;
  Clock* const clock_;
  EventLog events_;

  absl::Mutex sync_mu_;  // one sync (or control) at a time
  absl::Mutex mu_;
  // "<service> <instance>" -> what the last sync knew of each configured job.
  struct Known {
    v1::DesiredState desired_state = v1::DESIRED_STATE_UNSPECIFIED;
    std::string last_error;
    std::string cluster;
  };
  std::map<std::string, Known> known_ ABSL_GUARDED_BY(mu_);
  // "<service> <instance>" -> the git sha deployed when it was emergency-stopped.
  std::map<std::string, std::string> emergency_stops_ ABSL_GUARDED_BY(mu_);
};

}  // namespace paasta::scheduler

#endif  // PAASTA_SCHEDULER_BRIDGE_BRIDGE_H_
