// The gRPC face of the agent (paasta.v1.Agent): unary calls on the sync API,
// WatchEvents as a callback stream (a snapshot first when asked, then every
// task event as it happens).
//
// Metrics (refreshed every second):
//   paasta_agent_tasks{state}                     tasks by state
//   paasta_agent_apps                             apps
//   paasta_agent_launches_total, paasta_agent_task_failures_total
//   paasta_agent_health_checks_total{result}      passed, failed
//   paasta_agent_launch_delay_seconds{app}        current back-off of apps waiting
#ifndef PAASTA_AGENT_AGENT_SERVICE_H_
#define PAASTA_AGENT_AGENT_SERVICE_H_

#include "agent/engine.h"
#include "common/server/authorization.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "protos/agent.grpc.pb.h"

namespace paasta::agent {

class AgentService final : public v1::Agent::WithCallbackMethod_WatchEvents<v1::Agent::Service>, public GuardedService {
 public:
  // `engine` and `registry` must outlive the service.
  AgentService(Engine& engine, prometheus::Registry& registry);

  // Refreshes the gauges (the daemon calls it every second).
  void UpdateMetrics();

  grpc::Status PutApp(grpc::ServerContext*, const v1::PutAppRequest*, v1::PutAppResponse*) override;
  grpc::Status DeleteApp(grpc::ServerContext*, const v1::DeleteAppRequest*, v1::DeleteAppResponse*) override;
  grpc::Status ListApps(grpc::ServerContext*, const v1::ListAppsRequest*, v1::ListAppsResponse*) override;
  grpc::Status ListTasks(grpc::ServerContext*, const v1::ListTasksRequest*, v1::ListTasksResponse*) override;
  grpc::Status KillTasks(grpc::ServerContext*, const v1::KillTasksRequest*, v1::KillTasksResponse*) override;
  grpc::Status RunTask(grpc::ServerContext*, const v1::RunTaskRequest*, v1::RunTaskResponse*) override;
  grpc::Status GetRun(grpc::ServerContext*, const v1::GetRunRequest*, v1::GetRunResponse*) override;
  grpc::Status ReadOutput(grpc::ServerContext*, const v1::ReadOutputRequest*, v1::ReadOutputResponse*) override;
  grpc::ServerWriteReactor<v1::TaskEvent>* WatchEvents(grpc::CallbackServerContext* context,
                                                       const v1::WatchEventsRequest* request) override;

 private:
  Engine& engine_;
  prometheus::Family<prometheus::Gauge>& tasks_;
  prometheus::Gauge& apps_;
  prometheus::Counter& launches_;
  prometheus::Counter& failures_;
  prometheus::Family<prometheus::Counter>& health_checks_;
  prometheus::Family<prometheus::Gauge>& launch_delay_;
  Engine::Stats reported_;
};

}  // namespace paasta::agent

#endif  // PAASTA_AGENT_AGENT_SERVICE_H_
