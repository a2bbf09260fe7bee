// The Orchestrator and DrainClient of the one-machine cluster: the agent and the
// drainer, over gRPC.
#ifndef PAASTA_DEPLOYER_AGENT_ORCHESTRATOR_H_
#define PAASTA_DEPLOYER_AGENT_ORCHESTRATOR_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "deployer/orchestrator.h"
#include "protos/agent.grpc.pb.h"
#include "protos/drainer.grpc.pb.h"
#include "protos/smartstack.grpc.pb.h"

namespace paasta::deployer {

class AgentOrchestrator : public Orchestrator {
 public:
  // `address` is the agent's host:port.
  explicit AgentOrchestrator(const std::string& address, absl::Duration timeout = absl::Seconds(10));

  absl::StatusOr<std::vector<OrchestratorApp>> ListApps(const std::string& prefix) override;
  absl::Status CreateApp(const ComposedApp& app) override;
  absl::Status ScaleApp(const std::string& app_id, int64_t instances) override;
  absl::Status DeleteApp(const std::string& app_id) override;
  absl::Status KillTasks(const std::vector<std::string>& task_ids, bool scale) override;
  absl::Status SetLabel(const std::string& app_id, const std::string& key, const std::string& value) override;

 private:
  // The app's current definition; NOT_FOUND if the agent has no such app.
  absl::StatusOr<v1::AppDefinition> Definition(const std::string& app_id);
  absl::Status Put(const v1::AppDefinition& definition);

  const std::string address_;
  const absl::Duration timeout_;
  std::unique_ptr<v1::Agent::Stub> stub_;
};

class DrainerClient : public DrainClient {
 public:
  explicit DrainerClient(const std::string& address, absl::Duration timeout = absl::Seconds(10));

  absl::Status Drain(const DrainTarget& target) override;
  absl::Status StopDraining(const DrainTarget& target) override;
  absl::StatusOr<bool> IsDraining(const DrainTarget& target) override;
  absl::StatusOr<bool> IsSafeToKill(const DrainTarget& target) override;

 private:
  const absl::Duration timeout_;
  std::unique_ptr<v1::Drainer::Stub> stub_;
};

// The backends HAProxy has UP, from paasta-smartstack's ListNamespaces.
class SmartstackClient : public BackendSource {
 public:
  explicit SmartstackClient(const std::string& address, absl::Duration timeout = absl::Seconds(5));
  absl::StatusOr<std::map<std::string, std::set<std::string>>> UpBackends() override;

 private:
  const std::string address_;
  const absl::Duration timeout_;
  std::unique_ptr<v1::Smartstack::Stub> stub_;
};

}  // namespace paasta::deployer

#endif  // PAASTA_DEPLOYER_AGENT_ORCHESTRATOR_H_
