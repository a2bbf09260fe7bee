// The job engine of a real cluster: Chronos's REST API
// (../shared/reference/external-apis.md §2, the calls of §6.8 of the behaviour
// reference), through the shared REST client. Chronos 2.x paths by default
// ("/scheduler/..."); Chronos 3.x with api_prefix "/v1/scheduler".
//
//   ListJobs       GET    <prefix>/jobs  and  GET <prefix>/graph/csv (running)
//   PutJob         POST   <prefix>/iso8601, or <prefix>/dependency with parents
//   DeleteJob      DELETE <prefix>/task/kill/<name>, then DELETE <prefix>/job/<name>
//   StartNow       PUT    <prefix>/job/<name>
//   AddRunOnceJob  POST   <prefix>/iso8601   (schedule "R1//PT1M": run once, now)
//   KillTasks      DELETE <prefix>/task/kill/<name>
//
// POST creates or replaces in both versions (2.x also took PUT). Chronos keeps
// no run records the bridge can read, so ListRuns is UNIMPLEMENTED; the last
// success and failure come from lastSuccess / lastError.
#ifndef PAASTA_SCHEDULER_BRIDGE_CHRONOS_ENGINE_H_
#define PAASTA_SCHEDULER_BRIDGE_CHRONOS_ENGINE_H_

#include <string>
#include <vector>

#include "common/config/system_config.h"
#include "common/rest_client.h"
#include "nlohmann/json.hpp"
#include "scheduler-bridge/engine.h"

namespace paasta::scheduler {

class ChronosEngine : public JobEngine {
 public:
  // `api_prefix`: "/scheduler" (2.x) or "/v1/scheduler" (3.x).
  ChronosEngine(const config::ChronosEndpoint& endpoint, std::string api_prefix = "/scheduler",
                RestOptions options = {});

  std::string Describe() const override;
  absl::StatusOr<std::vector<EngineJob>> ListJobs() override;
  absl::Status PutJob(const v1::Job& job) override;
  absl::Status DeleteJob(const std::string& name) override;
  absl::StatusOr<std::optional<v1::JobRun>> StartNow(const std::string& name) override;
  absl::StatusOr<std::optional<v1::JobRun>> AddRunOnceJob(const v1::Job& job, absl::Time execution_date) override;
  absl::StatusOr<int> KillTasks(const std::string& name) override;
  absl::StatusOr<std::vector<v1::JobRun>> ListRuns(const std::string& name, int limit, bool include_reruns) override;

 private:
  RestClient rest_;
  const std::string prefix_;
};

// Reads one job of GET /jobs (the serialized form) back into a job with its
// last runs. Keys it does not know are ignored.
EngineJob ParseChronosJob(const nlohmann::json& job);

}  // namespace paasta::scheduler

#endif  // PAASTA_SCHEDULER_BRIDGE_CHRONOS_ENGINE_H_
