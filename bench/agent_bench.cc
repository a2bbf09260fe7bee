// 200 tasks on one agent: the real paasta-agent binary runs an app of 200
// instances of the test service (HTTP health check every 10 s). Measures the
// time from PutApp until all 200 run and until all are healthy, then the
// agent's own CPU use while it supervises them for 30 s.
//
//   bazel run -c opt //bench:agent_bench
#include <signal.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/create_channel.h"
#include "nlohmann/json.hpp"
#include "protos/agent.grpc.pb.h"

namespace {

constexpr int kTasks = 200;

// utime + stime of a process, in seconds.
double CpuSeconds(int pid) {
  auto stat = paasta::ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return 0;
  const std::vector<std::string> fields = absl::StrSplit(stat->substr(stat->rfind(')') + 2), ' ');
  double utime = 0, stime = 0;
  absl::SimpleAtod(fields[11], &utime);
  absl::SimpleAtod(fields[12], &stime);
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

paasta::v1::App Status(paasta::v1::Agent::Stub& stub) {
  grpc::ClientContext context;
  paasta::v1::ListAppsRequest request;
  paasta::v1::ListAppsResponse response;
  stub.ListApps(&context, request, &response);
  return response.apps_size() > 0 ? response.apps(0) : paasta::v1::App();
}

}  // namespace

int main() {
  const std::string dir = paasta::testing::NewTempDir("agent-bench");
  auto agent = paasta::testing::ChildProcess::Start(
      {paasta::testing::AbsolutePath("agent/paasta-agent"), "--grpc_listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
       "--ports_file=" + dir + "/ports.json", "--state_dir=" + dir + "/state",
       "--cgroup_name=paasta-agent-bench"},
      dir + "/agent.log");
  if (!agent.ok()) return 1;
  const auto ports = paasta::testing::WaitForFile(dir + "/ports.json", absl::Seconds(30));
  if (!ports.ok()) return 1;
  auto stub = paasta::v1::Agent::NewStub(grpc::CreateChannel(
      nlohmann::json::parse(*ports).at("grpc"), grpc::InsecureChannelCredentials()));

  paasta::v1::PutAppRequest put;
  paasta::v1::AppDefinition& app = *put.mutable_app();
  app.set_id("bench.main.git1.config1");
  app.set_instances(kTasks);
  app.set_cmd("exec " + paasta::testing::AbsolutePath("agent/testing/test_server"));
  app.set_mem(64);
  app.set_cpus(0.01);
  paasta::v1::HealthCheck* check = app.add_health_checks();
  check->set_protocol(paasta::v1::HEALTH_CHECK_PROTOCOL_HTTP);
  check->set_path("/status");
  *check->mutable_grace_period() = google::protobuf::util::TimeUtil::SecondsToDuration(60);
  *check->mutable_interval() = google::protobuf::util::TimeUtil::SecondsToDuration(10);
  *check->mutable_timeout() = google::protobuf::util::TimeUtil::SecondsToDuration(10);
  check->set_max_consecutive_failures(30);

  const absl::Time start = absl::Now();
  grpc::ClientContext context;
  paasta::v1::PutAppResponse response;
  if (!stub->PutApp(&context, put, &response).ok()) return 1;
  absl::Duration all_running = absl::InfiniteDuration(), all_healthy = absl::InfiniteDuration();
  while (absl::Now() - start < absl::Minutes(2)) {
    const paasta::v1::App status = Status(*stub);
    if (status.tasks_running() == kTasks && all_running == absl::InfiniteDuration()) {
      all_running = absl::Now() - start;
    }
    if (status.tasks_healthy() == kTasks) {
      all_healthy = absl::Now() - start;
      break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  std::printf("launch: %d tasks running %.2f s after PutApp, all healthy after %.2f s\n", kTasks,
              absl::ToDoubleSeconds(all_running), absl::ToDoubleSeconds(all_healthy));

  const int pid = (*agent)->pid();
  const double cpu_before = CpuSeconds(pid);
  const absl::Time measure = absl::Now();
  absl::SleepFor(absl::Seconds(30));
  const double cpu = CpuSeconds(pid) - cpu_before;
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - measure);
  auto status = paasta::ReadFile(absl::StrCat("/proc/", pid, "/status"));
  std::string rss = "?";
  for (absl::string_view line : absl::StrSplit(status.ok() ? *status : "", '\n')) {
    if (absl::StartsWith(line, "VmRSS:")) rss = std::string(absl::StripAsciiWhitespace(line.substr(6)));
  }
  std::printf("supervising %d tasks: agent CPU %.2f%% of one core over %.0f s (%.3f s), RSS %s\n",
              kTasks, 100.0 * cpu / elapsed, elapsed, cpu, rss.c_str());

  grpc::ClientContext delete_context;
  paasta::v1::DeleteAppRequest request;
  request.set_app_id(app.id());
  paasta::v1::DeleteAppResponse deleted;
  stub->DeleteApp(&delete_context, request, &deleted);
  const absl::Time stop = absl::Now();
  auto tasks_left = [&] {
    grpc::ClientContext list_context;
    paasta::v1::ListTasksResponse tasks;
    stub->ListTasks(&list_context, paasta::v1::ListTasksRequest(), &tasks);
    return tasks.tasks_size();
  };
  while (absl::Now() - stop < absl::Seconds(30) && tasks_left() > 0) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  std::printf("delete: all %d tasks gone %.2f s after DeleteApp\n", kTasks,
              absl::ToDoubleSeconds(absl::Now() - stop));
  (*agent)->Signal(SIGTERM);
  return 0;
}
