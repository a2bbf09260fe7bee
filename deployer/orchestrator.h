// The engines the deployer drives, behind two small interfaces:
//
//   Orchestrator  runs apps: the agent (gRPC) on one machine, or Marathon (v2
//                 REST) on a cluster;
//   DrainClient   takes tasks out of service: the drainer (gRPC).
//
// Each has a real implementation and a fake (for tests of the reconcile step).
#ifndef PAASTA_DEPLOYER_ORCHESTRATOR_H_
#define PAASTA_DEPLOYER_ORCHESTRATOR_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "deployer/app_composer.h"

namespace paasta::deployer {

// A task as the deployer sees it.
struct OrchestratorTask {
  std::string id;
  std::string app_id;
  std::string host;
  std::vector<int> ports;
  // It runs (Marathon: startedAt is set).
  bool started = false;
  absl::Time started_at;
  // Health-check results and how many passed.
  int health_results = 0;
  int alive_results = 0;
};

// An app with its tasks.
struct OrchestratorApp {
  std::string id;
  int64_t instances = 0;
  bool has_health_checks = false;
  std::vector<OrchestratorTask> tasks;
  // The app's labels (the deployer marks emergency stops with one).
  std::map<std::string, std::string> labels;
  // How long the engine waits before relaunching a crashed task (0: not backing off).
  absl::Duration launch_delay = absl::ZeroDuration();
  // When the app was created or last changed (its version); InfinitePast if unknown.
  absl::Time version = absl::InfinitePast();
};

// The label an emergency-stopped app carries until the next deploy (a new app).
inline constexpr char kEmergencyStopLabel[] = "paasta.emergency_stopped";

class Orchestrator {
 public:
  virtual ~Orchestrator() = default;
  // Apps whose id starts with `prefix`, with their tasks.
  virtual absl::StatusOr<std::vector<OrchestratorApp>> ListApps(const std::string& prefix) = 0;
  virtual absl::Status CreateApp(const ComposedApp& app) = 0;
  virtual absl::Status ScaleApp(const std::string& app_id, int64_t instances) = 0;
  virtual absl::Status DeleteApp(const std::string& app_id) = 0;
  // Kills tasks; with `scale` their apps' counts drop so they are not replaced.
  virtual absl::Status KillTasks(const std::vector<std::string>& task_ids, bool scale) = 0;
  // Sets a label on an app (the app is otherwise unchanged).
  virtual absl::Status SetLabel(const std::string& app_id, const std::string& key, const std::string& value) = 0;
};

// SmartStack's view: per namespace ("<service>.<namespace>"), the backends
// ("host:port") HAProxy has UP. For the check_haproxy bounce health parameter.
class BackendSource {
 public:
  virtual ~BackendSource() = default;
  virtual absl::StatusOr<std::map<std::string, std::set<std::string>>> UpBackends() = 0;
};

// What the drainer needs to know about a task.
struct DrainTarget {
  std::string service;
  std::string instance;
  std::string nerve_ns;
  OrchestratorTask task;
  // The instance's drain_method and its params (JSON object).
  std::string method;
  std::string params_json;
};

class DrainClient {
 public:
  virtual ~DrainClient() = default;
  virtual absl::Status Drain(const DrainTarget& target) = 0;
  virtual absl::Status StopDraining(const DrainTarget& target) = 0;
  virtual absl::StatusOr<bool> IsDraining(const DrainTarget& target) = 0;
  virtual absl::StatusOr<bool> IsSafeToKill(const DrainTarget& target) = 0;
};

}  // namespace paasta::deployer

#endif  // PAASTA_DEPLOYER_ORCHESTRATOR_H_
