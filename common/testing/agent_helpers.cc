#include "common/testing/agent_helpers.h"

#include <signal.h>

#include <set>

#include "grpcpp/client_context.h"

namespace paasta::testing {

std::vector<v1::Task> AgentTasks(v1::Agent::Stub& agent) {
  grpc::ClientContext context;
  v1::ListTasksRequest request;
  v1::ListTasksResponse response;
  if (!agent.ListTasks(&context, request, &response).ok()) return {};
  return {response.tasks().begin(), response.tasks().end()};
}

void StopAgentCleanly(v1::Agent::Stub* agent, Daemon& daemon) {
  if (agent != nullptr) {
    std::set<std::string> apps;
    {
      grpc::ClientContext context;
      v1::ListAppsRequest request;
      v1::ListAppsResponse response;
      if (agent->ListApps(&context, request, &response).ok()) {
        for (const v1::App& app : response.apps()) apps.insert(app.definition().id());
      }
    }
    for (const std::string& id : apps) {
      grpc::ClientContext context;
      v1::DeleteAppRequest request;
      request.set_app_id(id);
      v1::DeleteAppResponse response;
      agent->DeleteApp(&context, request, &response);
    }
    WaitUntil([&] { return AgentTasks(*agent).empty(); }, absl::Seconds(15));
  }
  if (daemon.process != nullptr && daemon.process->Signal(SIGTERM)) {
    daemon.process->Wait(absl::Seconds(10)).IgnoreError();
  }
}

}  // namespace paasta::testing
