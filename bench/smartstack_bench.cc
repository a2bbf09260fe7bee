// Requests through the one-machine SmartStack's HAProxy against the tasks
// directly: the real paasta-agent runs 3 tasks of the test service, the real
// paasta-drainer serves hacheck, the real paasta-smartstack keeps HAProxy
// routing a proxy port to them. Four clients send requests one after another
// (a new connection each, through libcurl) for 10 s, first to the tasks'
// own ports (round robin), then to the proxy port.
//
//   bazel run -c opt //bench:smartstack_bench
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/file_util.h"
#include "common/http_client.h"
#include "common/testing/child_process.h"
#include "grpcpp/create_channel.h"
#include "protos/agent.grpc.pb.h"

namespace {

constexpr int kClients = 4;
constexpr absl::Duration kDuration = absl::Seconds(10);

struct Result {
  int requests = 0;
  int failed = 0;
  double p50_ms = 0, p99_ms = 0;
};

// Four clients for kDuration; each request goes to urls[i % size].
Result Load(const std::vector<std::string>& urls) {
  absl::Mutex mu;
  std::vector<double> latencies;
  std::atomic<int> failed{0};
  const absl::Time end = absl::Now() + kDuration;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::vector<double> mine;
      for (int i = c; absl::Now() < end; ++i) {
        paasta::HttpRequest request;
        request.url = urls[static_cast<size_t>(i) % urls.size()];
        const absl::Time start = absl::Now();
        absl::StatusOr<paasta::HttpResponse> response = paasta::HttpFetch(request);
        if (!response.ok() || response->status_code != 200) ++failed;
        mine.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
      }
      absl::MutexLock lock(&mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (std::thread& client : clients) client.join();
  std::sort(latencies.begin(), latencies.end());
  Result result;
  result.requests = static_cast<int>(latencies.size());
  result.failed = failed;
  if (!latencies.empty()) {
    result.p50_ms = latencies[latencies.size() / 2];
    result.p99_ms = latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
  }
  return result;
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "smartstack_bench: %s\n", what);
    std::exit(1);
  }
}

}  // namespace

int main() {
  namespace testing = paasta::testing;
  const std::string dir = testing::NewTempDir("smartstack-bench");
  const int proxy_port = testing::ReserveLoopbackPort();
  const int hacheck_port = testing::ReserveLoopbackPort();
  Check(paasta::MakeDirs(dir + "/soa/svc").ok() && paasta::MakeDirs(dir + "/etc").ok(), "cannot write configs");
  paasta::WriteFileAtomically(dir + "/soa/svc/marathon-local.yaml", "main:\n  instances: 3\n").IgnoreError();
  paasta::WriteFileAtomically(dir + "/soa/svc/smartstack.yaml", absl::StrCat("main:\n  proxy_port: ", proxy_port, "\n"))
      .IgnoreError();
  paasta::WriteFileAtomically(dir + "/etc/cluster.json", R"({"cluster": "local", "volumes": []})").IgnoreError();
  auto agent = testing::StartDaemon(testing::AbsolutePath("agent/paasta-agent"),
                                    {"--state_dir=" + dir + "/agent", "--cgroup_name=paasta-smartstack-bench"}, dir);
  Check(agent.ok(), "the agent did not start");
  auto drainer = testing::StartDaemon(
      testing::AbsolutePath("drainer/paasta-drainer"),
      {absl::StrCat("--hacheck_listen=127.0.0.1:", hacheck_port), "--spool_root=" + dir + "/spool"}, dir);
  Check(drainer.ok(), "the drainer did not start");
  auto smartstack = testing::StartDaemon(
      testing::AbsolutePath("smartstack/paasta-smartstack"),
      {"--soa_dir=" + dir + "/soa", "--system_config_dir=" + dir + "/etc", "--state_dir=" + dir + "/haproxy",
       "--agent=" + agent->grpc_address, absl::StrCat("--hacheck=127.0.0.1:", hacheck_port)},
      dir);
  Check(smartstack.ok(), "paasta-smartstack did not start");

  auto stub = paasta::v1::Agent::NewStub(grpc::CreateChannel(agent->grpc_address, grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext context;
    paasta::v1::PutAppRequest request;
    request.mutable_app()->set_id("svc.main.git00000000.config00000000");
    request.mutable_app()->set_instances(3);
    request.mutable_app()->set_cmd("exec " + testing::AbsolutePath("agent/testing/test_server"));
    paasta::v1::PutAppResponse response;
    Check(stub->PutApp(&context, request, &response).ok(), "PutApp failed");
  }
  std::vector<std::string> direct;
  const std::string proxy = absl::StrCat("http://127.0.0.1:", proxy_port, "/");
  Check(testing::WaitUntil(
            [&] {
              grpc::ClientContext context;
              paasta::v1::ListTasksRequest request;
              paasta::v1::ListTasksResponse response;
              if (!stub->ListTasks(&context, request, &response).ok() || response.tasks_size() != 3) return false;
              direct.clear();
              for (const auto& task : response.tasks()) {
                if (task.ports_size() == 0) return false;
                direct.push_back(absl::StrCat("http://127.0.0.1:", task.ports(0), "/"));
              }
              paasta::HttpRequest request_through;
              request_through.url = proxy;
              for (int i = 0; i < 6; ++i) {
                absl::StatusOr<paasta::HttpResponse> answer = paasta::HttpFetch(request_through);
                if (!answer.ok() || answer->status_code != 200) return false;
              }
              return true;
            },
            absl::Seconds(60)),
        "the tasks never answered through the proxy");

  const Result tasks = Load(direct);
  const Result through = Load({proxy});
  std::printf("direct to the tasks: %d requests in %.0f s (%.0f/s), p50 %.2f ms, p99 %.2f ms, %d failed\n",
              tasks.requests, absl::ToDoubleSeconds(kDuration), tasks.requests / absl::ToDoubleSeconds(kDuration),
              tasks.p50_ms, tasks.p99_ms, tasks.failed);
  std::printf("through the proxy:   %d requests in %.0f s (%.0f/s), p50 %.2f ms, p99 %.2f ms, %d failed\n",
              through.requests, absl::ToDoubleSeconds(kDuration), through.requests / absl::ToDoubleSeconds(kDuration),
              through.p50_ms, through.p99_ms, through.failed);

  grpc::ClientContext context;
  paasta::v1::DeleteAppRequest request;
  request.set_app_id("svc.main.git00000000.config00000000");
  paasta::v1::DeleteAppResponse response;
  stub->DeleteApp(&context, request, &response);
  testing::WaitUntil(
      [&] {
        grpc::ClientContext list_context;
        paasta::v1::ListTasksRequest list;
        paasta::v1::ListTasksResponse tasks_left;
        return stub->ListTasks(&list_context, list, &tasks_left).ok() && tasks_left.tasks_size() == 0;
      },
      absl::Seconds(15));
  smartstack->process->Signal(SIGTERM);
  smartstack->process->Wait(absl::Seconds(15)).IgnoreError();
  agent->process->Signal(SIGTERM);
  agent->process->Wait(absl::Seconds(15)).IgnoreError();
  return 0;
}
