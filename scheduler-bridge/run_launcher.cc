#include "scheduler-bridge/run_launcher.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_channel.h"
#include "common/status_map.h"
#include "grpcpp/create_channel.h"

namespace paasta::scheduler {

AgentRunLauncher::AgentRunLauncher(const std::string& agent_address, absl::Duration timeout)
    : address_(agent_address),
      timeout_(timeout),
      stub_(v1::Agent::NewStub(paasta::DaemonChannel(agent_address))) {}

absl::StatusOr<v1::Run> AgentRunLauncher::Launch(const std::string& run_id, const std::string& job_name,
                                                 const v1::Job& job, const std::string& command) {
  v1::RunTaskRequest request;
  request.set_run_id(run_id);
  request.set_job_name(job_name);
  request.set_exclusive(true);
  v1::OneOffTask* task = request.mutable_task();
  if (job.shell()) {
    task->set_cmd(command);
  } else {
    *task->mutable_args() = job.arguments();
  }
  *task->mutable_env() = job.env();
  task->set_cpus(job.cpus());
  task->set_mem(job.mem());
  task->set_disk(job.disk());
  *task->mutable_container() = job.container();
  *task->mutable_source() = job.source();
  grpc::ClientContext context;
  SetDeadlineIn(&context, timeout_);
  v1::RunTaskResponse response;
  const grpc::Status status = stub_->RunTask(&context, request, &response);
  if (!status.ok())
    return FromGrpcStatus(absl::StrCat("cannot start a run of ", job_name, " on the agent at ", address_), status);
  return response.run();
}

absl::StatusOr<v1::Run> AgentRunLauncher::Get(const std::string& run_id) {
  v1::GetRunRequest request;
  request.set_run_id(run_id);
  grpc::ClientContext context;
  SetDeadlineIn(&context, timeout_);
  v1::GetRunResponse response;
  const grpc::Status status = stub_->GetRun(&context, request, &response);
  if (!status.ok())
    return FromGrpcStatus(absl::StrCat("cannot read run ", run_id, " on the agent at ", address_), status);
  return response.run();
}

absl::Status AgentRunLauncher::Kill(const std::string& task_id) {
  v1::KillTasksRequest request;
  request.add_task_ids(task_id);
  grpc::ClientContext context;
  SetDeadlineIn(&context, timeout_);
  v1::KillTasksResponse response;
  const grpc::Status status = stub_->KillTasks(&context, request, &response);
  if (!status.ok())
    return FromGrpcStatus(absl::StrCat("cannot kill task ", task_id, " on the agent at ", address_), status);
  return absl::OkStatus();
}

}  // namespace paasta::scheduler
