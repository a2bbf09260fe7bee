// Where the embedded scheduler's runs execute: the agent's one-off runs
// (RunTask / GetRun / KillTasks). An interface so the scheduler's tests and
// benchmark can run on an injected clock with runs that end when told.
#ifndef PAASTA_SCHEDULER_BRIDGE_RUN_LAUNCHER_H_
#define PAASTA_SCHEDULER_BRIDGE_RUN_LAUNCHER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "protos/agent.grpc.pb.h"
#include "protos/types.pb.h"

namespace paasta::scheduler {

class RunLauncher {
 public:
  virtual ~RunLauncher() = default;
  // Starts `command` (or the job's arguments) as run `run_id` of `job_name`,
  // with the job's resources, env and code. Idempotent by run_id: a second call
  // returns the run the first started. FAILED_PRECONDITION when a run of the
  // same job_name is still going.
  virtual absl::StatusOr<v1::Run> Launch(const std::string& run_id, const std::string& job_name, const v1::Job& job,
                                         const std::string& command) = 0;
  // The run as it is now. NOT_FOUND when the launcher never started it (or has
  // forgotten it).
  virtual absl::StatusOr<v1::Run> Get(const std::string& run_id) = 0;
  // Kills the run's task.
  virtual absl::Status Kill(const std::string& task_id) = 0;
};

// Runs on paasta-agent over gRPC.
class AgentRunLauncher : public RunLauncher {
 public:
  explicit AgentRunLauncher(const std::string& agent_address, absl::Duration timeout = absl::Seconds(10));

  absl::StatusOr<v1::Run> Launch(const std::string& run_id, const std::string& job_name, const v1::Job& job,
                                 const std::string& command) override;
  absl::StatusOr<v1::Run> Get(const std::string& run_id) override;
  absl::Status Kill(const std::string& task_id) override;

 private:
  const std::string address_;
  const absl::Duration timeout_;
  std::unique_ptr<v1::Agent::Stub> stub_;
};

}  // namespace paasta::scheduler

#endif  // PAASTA_SCHEDULER_BRIDGE_RUN_LAUNCHER_H_
