// The Orchestrator of a real cluster: Marathon's v2 REST API (1.4), through
// libcurl. The deployer uses it when the system config has `marathon_config`.
//
//   ListApps   GET    /v2/apps?embed=apps.tasks&id=<prefix>
//   CreateApp  POST   /v2/apps
//   ScaleApp   PUT    /v2/apps/<id>?force=true          {"instances": n}
//   SetLabel   PUT    /v2/apps/<id>?force=true          {"labels": {...}}
//   DeleteApp  DELETE /v2/apps/<id>?force=true
//   KillTasks  POST   /v2/tasks/delete?scale=<b>&force=true  {"ids": [...]}
//
// As the original, every change but a create passes force=true, so a deployment
// that holds the app is cancelled rather than waited for; a 422 "is not valid"
// on a kill means the task is already gone and is not an error. Transport errors
// and 5xx answers are retried with exponential backoff; every error names the
// method, the URL and Marathon's message.
#ifndef PAASTA_DEPLOYER_MARATHON_ORCHESTRATOR_H_
#define PAASTA_DEPLOYER_MARATHON_ORCHESTRATOR_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/config/system_config.h"
#include "common/rest_client.h"
#include "deployer/orchestrator.h"
#include "nlohmann/json.hpp"

namespace paasta::deployer {

// Timeout (the original's client used 30 s), retries and backoff.
using MarathonOptions = RestOptions;

class MarathonOrchestrator : public Orchestrator {
 public:
  MarathonOrchestrator(config::MarathonEndpoint endpoint, MarathonOptions options = {});

  absl::StatusOr<std::vector<OrchestratorApp>> ListApps(const std::string& prefix) override;
  absl::Status CreateApp(const ComposedApp& app) override;
  absl::Status ScaleApp(const std::string& app_id, int64_t instances) override;
  absl::Status DeleteApp(const std::string& app_id) override;
  absl::Status KillTasks(const std::vector<std::string>& task_ids, bool scale) override;
  absl::Status SetLabel(const std::string& app_id, const std::string& key, const std::string& value) override;

 private:
  // Sends one request (with retries); the parsed JSON body of a 2xx answer.
  // Other answers become errors: 404 NOT_FOUND, 409 ALREADY_EXISTS (create) or
  // FAILED_PRECONDITION (locked), 400/422 INVALID_ARGUMENT, 5xx UNAVAILABLE.
  // `only_app_keys` keeps, of each app in {"apps": [...]}, the keys the
  // deployer reads.
  absl::StatusOr<nlohmann::json> Call(const std::string& method, const std::string& path_and_query,
                                      const nlohmann::json* body, bool only_app_keys = false);

  RestClient rest_;
};

// The app as Marathon's JSON wants it: the composer's dict (PaaSTA's Python
// names: health_checks, backoff_factor, ...) with top-level keys in camelCase
// and null values left out, as the original's client sent it.
nlohmann::json MarathonAppJson(const nlohmann::json& app);

// Reads one app of a GET /v2/apps answer (ids lose their leading "/").
OrchestratorApp ParseMarathonApp(const nlohmann::json& app);

}  // namespace paasta::deployer

#endif  // PAASTA_DEPLOYER_MARATHON_ORCHESTRATOR_H_
