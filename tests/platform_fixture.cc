#include "tests/platform_fixture.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/file_util.h"
#include "common/grpc_channel.h"
#include "common/http_client.h"
#include "common/testing/git_repo.h"
#include "grpcpp/create_channel.h"
#include "protos/scheduler_bridge.grpc.pb.h"

namespace paasta {
namespace {

namespace fs = std::filesystem;

// Numbers the platforms this test process starts (their agents' cgroups).
int platforms_started = 0;
using testing::AbsolutePath;
using testing::WaitUntil;

constexpr const char* kBinaries[] = {"agent/paasta-agent",
                                     "agent/paasta-task-shim",
                                     "deployer/paasta-deployer",
                                     "deployer/generator/paasta-generator",
                                     "scheduler-bridge/paasta-scheduler-bridge",
                                     "drainer/paasta-drainer",
                                     "monitor/paasta-monitor",
                                     "smartstack/paasta-smartstack",
                                     "platform/paasta-platform"};

}  // namespace

void Replace(const std::string& path, const std::string& from, const std::string& to) {
  std::string text = *ReadFile(path);
  ASSERT_TRUE(absl::StrContains(text, from)) << path << " has no " << from;
  ASSERT_TRUE(WriteFileAtomically(path, absl::StrReplaceAll(text, {{from, to}})).ok());
}

void Append(const std::string& path, const std::string& text) {
  ASSERT_TRUE(WriteFileAtomically(path, *ReadFile(path) + text).ok());
}

void PlatformTest::SetUp() {
  root_ = testing::NewTempDir("e2e");
  state_ = root_ + "/state";
  soa_ = state_ + "/soa";
  ASSERT_TRUE(MakeDirs(state_ + "/bin").ok());
  ASSERT_TRUE(MakeDirs(state_ + "/etc").ok());
  ASSERT_TRUE(MakeDirs(root_ + "/git").ok());
  for (const char* binary : kBinaries) {
    fs::create_symlink(AbsolutePath(binary), state_ + "/bin/" + fs::path(binary).filename().string());
  }
  // The examples as the main job makes them: code in git, configs pointing at it.
  for (const auto& entry : fs::directory_iterator(AbsolutePath("examples/services"))) {
    const std::string service = entry.path().filename().string();
    const std::string repo = Repo(service);
    testing::InitRepo(repo);
    fs::copy(entry.path(), repo, fs::copy_options::recursive);
    testing::Git(repo, {"add", "-A"});
    testing::Git(repo, {"-c", "user.name=paasta", "-c", "user.email=paasta@localhost", "commit", "-q", "-m",
                        "example " + service});
  }
  fs::copy(AbsolutePath("examples/soa-configs"), soa_, fs::copy_options::recursive);
  for (const auto& entry : fs::directory_iterator(soa_)) {
    const std::string service = entry.path().filename().string();
    std::string yaml = *ReadFile(entry.path().string() + "/service.yaml");
    yaml = std::regex_replace(yaml, std::regex("git_url: .*"), "git_url: file://" + Repo(service));
    ASSERT_TRUE(WriteFileAtomically(entry.path().string() + "/service.yaml", yaml).ok());
  }
  hacheck_port_ = testing::ReserveLoopbackPort();
  proxy_port_ = testing::ReserveLoopbackPort();
  Replace(soa_ + "/example_service/smartstack.yaml", "proxy_port: 20001", absl::StrCat("proxy_port: ", proxy_port_));
  Append(soa_ + "/example_service/marathon-local.yaml",
         absl::StrCat("  healthcheck_interval_seconds: 1\n  healthcheck_timeout_seconds: 1\n",
                      "  drain_method_params: {delay: 1, hacheck_port: ", hacheck_port_, "}\n"));
  Append(soa_ + "/example_service/monitoring.yaml", "alert_after: 1s\n");
  ASSERT_TRUE(WriteFileAtomically(state_ + "/etc/cluster.json", R"({"cluster": "local", "volumes": []})").ok());
}

void PlatformTest::TearDown() {
  if (platform_ != nullptr && platform_->Signal(SIGTERM)) {
    const absl::StatusOr<int> stopped = platform_->Wait(absl::Seconds(60));
    EXPECT_TRUE(stopped.ok() && WIFEXITED(*stopped) && WEXITSTATUS(*stopped) == 0)
        << "paasta-platform stops cleanly: " << platform_->Output();
  }
}

void PlatformTest::StartPlatform() {
  const auto started = absl::Now();
  auto child = testing::ChildProcess::Start(
      {state_ + "/bin/paasta-platform", "--state_dir=" + state_, "--ports=auto",
       absl::StrCat("--hacheck_listen=127.0.0.1:", hacheck_port_), "--prometheus=/usr/bin/prometheus",
       "--prometheus_listen=127.0.0.1:0", "--prometheus_interval=1s",
       "--prometheus_rules=" + AbsolutePath("monitor/prometheus/paasta-rules.yml"), "--max_restart_delay=2s",
       // Its own cgroup: platforms of tests running side by side must not share one.
       absl::StrCat(
           "--daemon_flags=paasta-agent:--cgroup_name=paasta-test-", getpid(), "-", ++platforms_started,
           ";paasta-agent:--tick=100ms;paasta-deployer:--interval=300ms;"
           "paasta-generator:--interval=1s;paasta-scheduler-bridge:--interval=1s;paasta-monitor:--interval=500ms;"
           "paasta-monitor:--min_task_uptime=1s;paasta-smartstack:--interval=300ms")},
      root_ + "/platform.out");
  ASSERT_TRUE(child.ok()) << child.status();
  platform_ = std::move(*child);
  ASSERT_TRUE(WaitUntil(
      [&] {
        absl::StatusOr<std::string> text = ReadFile(state_ + "/platform.json");
        if (!text.ok()) return false;
        status_ = nlohmann::json::parse(*text, nullptr, false);
        return status_.is_object() && status_.value("ready", false);
      },
      absl::Seconds(60)))
      << platform_->Output();
  std::cout << "[ platform healthy in " << absl::FormatDuration(absl::Now() - started) << " ]\n";
}

nlohmann::json PlatformTest::Daemon(const std::string& name) {
  // A local copy: tests call this from several threads (a sampler beside the steps).
  const nlohmann::json status = nlohmann::json::parse(*ReadFile(state_ + "/platform.json"), nullptr, false);
  if (status.is_object() && status.contains("daemons")) {
    for (const auto& daemon : status["daemons"]) {
      if (daemon["name"] == name) return daemon;
    }
  }
  ADD_FAILURE() << "no " << name << " in platform.json";
  return nlohmann::json::object({{"name", name}, {"grpc", ""}, {"pid", 0}, {"restarts", -1}, {"state", "unknown"}});
}

CliResult PlatformTest::Paasta(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {AbsolutePath("cli/paasta"), "--config", state_ + "/paasta.conf"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto child = testing::ChildProcess::Start(argv, absl::StrCat(root_, "/cli.", ++calls_, ".out"));
  if (!child.ok()) return {};
  const absl::StatusOr<int> status = (*child)->Wait(absl::Seconds(240));
  return {status.ok() && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1, (*child)->Output()};
}

void PlatformTest::Deploy(const std::string& service) {
  const CliResult result = Paasta({"mark-for-deployment", "-s", service, "-l", "local.everything", "-c",
                                   testing::Git(Repo(service), {"rev-parse", "HEAD"}), "--wait", "--timeout", "180s"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
}

std::string PlatformTest::ChangeExampleService(const std::string& marker) {
  const std::string path = Repo("example_service") + "/server.py";
  std::string code = *ReadFile(path);
  code = std::regex_replace(code, std::regex(R"(\(\{\}\)[^\\]*\\n)"), "({}) " + marker + "\\n");
  EXPECT_TRUE(WriteFileAtomically(path, code).ok());
  testing::Git(Repo("example_service"),
               {"-c", "user.name=paasta", "-c", "user.email=paasta@localhost", "commit", "-q", "-am", marker});
  return testing::Git(Repo("example_service"), {"rev-parse", "HEAD"});
}

std::unique_ptr<v1::Agent::Stub> PlatformTest::Agent() {
  return v1::Agent::NewStub(DaemonChannel(Daemon("paasta-agent")["grpc"].get<std::string>()));
}

std::vector<v1::Task> PlatformTest::MainTasks() {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::ListAppsRequest request;
  request.set_app_id_prefix("example--service.main.");
  request.set_embed_tasks(true);
  v1::ListAppsResponse response;
  std::vector<v1::Task> tasks;
  if (!Agent()->ListApps(&context, request, &response).ok()) return tasks;
  for (const v1::App& app : response.apps()) {
    for (const v1::Task& task : app.tasks()) {
      if (task.state() == v1::TASK_STATE_RUNNING) tasks.push_back(task);
    }
  }
  return tasks;
}

std::set<std::string> PlatformTest::MainApps() {
  grpc::ClientContext context;
  v1::ListAppsRequest request;
  request.set_app_id_prefix("example--service.main.");
  v1::ListAppsResponse response;
  std::set<std::string> apps;
  if (Agent()->ListApps(&context, request, &response).ok()) {
    for (const v1::App& app : response.apps()) apps.insert(app.definition().id());
  }
  return apps;
}

std::vector<v1::JobRun> PlatformTest::Runs(const std::string& service, const std::string& job, bool reruns) {
  auto bridge =
      v1::SchedulerBridge::NewStub(DaemonChannel(Daemon("paasta-scheduler-bridge")["grpc"].get<std::string>()));
  grpc::ClientContext context;
  v1::ListRunsRequest request;
  request.mutable_instance()->set_service(service);
  request.mutable_instance()->set_instance(job);
  request.set_limit(100);
  request.set_include_reruns(reruns);
  v1::ListRunsResponse response;
  bridge->ListRuns(&context, request, &response);
  return std::vector<v1::JobRun>(response.runs().begin(), response.runs().end());
}

int PlatformTest::Succeeded(const std::vector<v1::JobRun>& list) {
  int count = 0;
  for (const v1::JobRun& run : list) count += run.state() == v1::RUN_STATE_SUCCEEDED;
  return count;
}

std::string PlatformTest::ThroughProxy() {
  HttpRequest request;
  request.url = absl::StrCat("http://127.0.0.1:", proxy_port_, "/");
  request.timeout = absl::Seconds(3);
  absl::StatusOr<HttpResponse> response = HttpFetch(request);
  return response.ok() && response->status_code == 200 ? response->body : "";
}

}  // namespace paasta
