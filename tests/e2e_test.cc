// End to end: the whole platform started the way the main job starts it
// (paasta-platform supervising the real daemons, HAProxy and Prometheus), the
// example services as real git repositories, and a user's day walked through
// the real `paasta` CLI, each step checked from the outside (CLI output, gRPC,
// HTTP to the example service through HAProxy, Prometheus's alerts).
//
// Only what a test must change differs from the main job: free ports instead of
// the fixed ones (the drainer's hacheck port and the proxy port written into
// the copied soa-configs) and shorter intervals.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/file_util.h"
#include "common/http_client.h"
#include "common/testing/child_process.h"
#include "common/testing/git_repo.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "protos/agent.grpc.pb.h"
#include "protos/scheduler_bridge.grpc.pb.h"

namespace paasta {
namespace {

namespace fs = std::filesystem;
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

struct CliResult {
  int exit_code = -1;
  std::string output;
};

void Replace(const std::string& path, const std::string& from, const std::string& to) {
  std::string text = *ReadFile(path);
  ASSERT_TRUE(absl::StrContains(text, from)) << path << " has no " << from;
  ASSERT_TRUE(WriteFileAtomically(path, absl::StrReplaceAll(text, {{from, to}})).ok());
}

void Append(const std::string& path, const std::string& text) {
  ASSERT_TRUE(WriteFileAtomically(path, *ReadFile(path) + text).ok());
}

class EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
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
    hacheck_port_ = testing::FreeLoopbackPort();
    proxy_port_ = testing::FreeLoopbackPort();
    Replace(soa_ + "/example_service/smartstack.yaml", "proxy_port: 20001", absl::StrCat("proxy_port: ", proxy_port_));
    Append(soa_ + "/example_service/marathon-local.yaml",
           absl::StrCat("  healthcheck_interval_seconds: 1\n  healthcheck_timeout_seconds: 1\n",
                        "  drain_method_params: {delay: 1, hacheck_port: ", hacheck_port_, "}\n"));
    Append(soa_ + "/example_service/monitoring.yaml", "alert_after: 1s\n");
    ASSERT_TRUE(WriteFileAtomically(state_ + "/etc/cluster.json", R"({"cluster": "local", "volumes": []})").ok());
  }

  void TearDown() override {
    if (platform_ != nullptr && platform_->Signal(SIGTERM)) {
      const absl::StatusOr<int> stopped = platform_->Wait(absl::Seconds(60));
      EXPECT_TRUE(stopped.ok() && WIFEXITED(*stopped) && WEXITSTATUS(*stopped) == 0)
          << "paasta-platform stops cleanly: " << platform_->Output();
    }
  }

  std::string Repo(const std::string& service) const { return root_ + "/git/" + service; }

  // Starts paasta-platform as the main job does (with free ports) and waits until it is ready.
  void StartPlatform() {
    const auto started = absl::Now();
    auto child = testing::ChildProcess::Start(
        {state_ + "/bin/paasta-platform", "--state_dir=" + state_, "--ports=auto",
         absl::StrCat("--hacheck_listen=127.0.0.1:", hacheck_port_), "--prometheus=/usr/bin/prometheus",
         "--prometheus_listen=127.0.0.1:0", "--prometheus_interval=1s",
         "--prometheus_rules=" + AbsolutePath("monitor/prometheus/paasta-rules.yml"), "--max_restart_delay=2s",
         "--daemon_flags=paasta-agent:--tick=100ms;paasta-deployer:--interval=300ms;"
         "paasta-generator:--interval=1s;paasta-scheduler-bridge:--interval=1s;paasta-monitor:--interval=500ms;"
         "paasta-monitor:--min_task_uptime=1s;paasta-smartstack:--interval=300ms"},
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

  nlohmann::json Daemon(const std::string& name) {
    status_ = nlohmann::json::parse(*ReadFile(state_ + "/platform.json"));
    for (const auto& daemon : status_["daemons"]) {
      if (daemon["name"] == name) return daemon;
    }
    ADD_FAILURE() << "no " << name << " in platform.json";
    return {};
  }

  CliResult Paasta(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {AbsolutePath("cli/paasta"), "--config", state_ + "/paasta.conf"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto child = testing::ChildProcess::Start(argv, absl::StrCat(root_, "/cli.", ++calls_, ".out"));
    if (!child.ok()) return {};
    const absl::StatusOr<int> status = (*child)->Wait(absl::Seconds(240));
    return {status.ok() && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1, (*child)->Output()};
  }

  // Deploys the repository's HEAD of `service` and follows the bounce.
  void Deploy(const std::string& service) {
    const CliResult result =
        Paasta({"mark-for-deployment", "-s", service, "-l", "local.everything", "-c",
                testing::Git(Repo(service), {"rev-parse", "HEAD"}), "--wait", "--timeout", "180s"});
    ASSERT_EQ(result.exit_code, 0) << result.output;
  }

  // Commits a change to example_service's answer.
  std::string ChangeExampleService(const std::string& marker) {
    const std::string path = Repo("example_service") + "/server.py";
    std::string code = *ReadFile(path);
    code = std::regex_replace(code, std::regex(R"(\(\{\}\)[^\\]*\\n)"), "({}) " + marker + "\\n");
    EXPECT_TRUE(WriteFileAtomically(path, code).ok());
    testing::Git(Repo("example_service"),
                 {"-c", "user.name=paasta", "-c", "user.email=paasta@localhost", "commit", "-q", "-am", marker});
    return testing::Git(Repo("example_service"), {"rev-parse", "HEAD"});
  }

  // A new channel each time: one to an agent that was restarted would wait out
  // gRPC's reconnection back-off.
  std::unique_ptr<v1::Agent::Stub> Agent() {
    return v1::Agent::NewStub(
        grpc::CreateChannel(Daemon("paasta-agent")["grpc"].get<std::string>(), grpc::InsecureChannelCredentials()));
  }

  // The running tasks of example_service.main on the agent, over every app.
  std::vector<v1::Task> MainTasks() {
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
  std::set<std::string> MainApps() {
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

  // A job's runs, newest first.
  std::vector<v1::JobRun> runs(const std::string& service, const std::string& job, bool reruns) {
    auto bridge = v1::SchedulerBridge::NewStub(grpc::CreateChannel(
        Daemon("paasta-scheduler-bridge")["grpc"].get<std::string>(), grpc::InsecureChannelCredentials()));
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
  static int succeeded(const std::vector<v1::JobRun>& list) {
    int count = 0;
    for (const v1::JobRun& run : list) count += run.state() == v1::RUN_STATE_SUCCEEDED;
    return count;
  }

  // GET / through HAProxy.
  std::string ThroughProxy() {
    HttpRequest request;
    request.url = absl::StrCat("http://127.0.0.1:", proxy_port_, "/");
    request.timeout = absl::Seconds(3);
    absl::StatusOr<HttpResponse> response = HttpFetch(request);
    return response.ok() && response->status_code == 200 ? response->body : "";
  }

  std::string root_, state_, soa_;
  int hacheck_port_ = 0, proxy_port_ = 0, calls_ = 0;
  std::unique_ptr<testing::ChildProcess> platform_;
  nlohmann::json status_;
};

// Deploy, change and redeploy (crossover), stop and start, emergency-stop and a
// new deploy bringing it back.
TEST_F(EndToEndTest, DeployBounceStopStartAndEmergencyStop) {
  StartPlatform();
  const auto deploy_started = absl::Now();
  Deploy("example_service");
  std::cout << "[ example_service deployed and healthy in " << absl::FormatDuration(absl::Now() - deploy_started)
            << " ]\n";
  const std::string v1 = testing::Git(Repo("example_service"), {"rev-parse", "HEAD"});
  EXPECT_EQ(MainTasks().size(), 2u);
  for (const v1::Task& task : MainTasks()) {  // each task answers on its own port
    HttpRequest request;
    request.url = absl::StrCat("http://127.0.0.1:", task.ports(0), "/status");
    absl::StatusOr<HttpResponse> response = HttpFetch(request);
    EXPECT_TRUE(response.ok() && response->status_code == 200) << task.id();
  }
  ASSERT_TRUE(WaitUntil([&] { return absl::StrContains(ThroughProxy(), v1); }, absl::Seconds(30))) << ThroughProxy();

  // A change, committed and deployed: crossover, old tasks drained then killed.
  const std::set<std::string> old_apps = MainApps();
  const std::string v2 = ChangeExampleService("v2");
  Deploy("example_service");
  ASSERT_TRUE(WaitUntil([&] { return absl::StrContains(ThroughProxy(), v2 + ") v2"); }, absl::Seconds(30)))
      << ThroughProxy();
  const std::set<std::string> new_apps = MainApps();
  ASSERT_EQ(new_apps.size(), 1u) << "the old app is gone";
  EXPECT_EQ(old_apps.count(*new_apps.begin()), 0u);
  const CliResult logs = Paasta({"logs", "-s", "example_service", "-i", "main", "-n", "200"});
  EXPECT_TRUE(absl::StrContains(logs.output, "draining")) << logs.output;
  EXPECT_TRUE(absl::StrContains(logs.output, "killed")) << logs.output;

  // stop: zero tasks; start: back.
  CliResult result = Paasta({"stop", "-s", "example_service", "-i", "main", "-c", "local"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(WaitUntil([&] { return MainTasks().empty(); }, absl::Seconds(60)));
  result = Paasta({"start", "-s", "example_service", "-i", "main", "-c", "local"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(WaitUntil([&] { return MainTasks().size() == 2; }, absl::Seconds(60)));

  // emergency-stop: zero at once, and it stays zero; a new deploy brings it back.
  result = Paasta({"emergency-stop", "-s", "example_service", "-i", "main"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(WaitUntil([&] { return MainTasks().empty(); }, absl::Seconds(10)));
  absl::SleepFor(absl::Seconds(3));
  EXPECT_TRUE(MainTasks().empty()) << "still zero after 3 s";
  ChangeExampleService("v3");
  Deploy("example_service");
  EXPECT_EQ(MainTasks().size(), 2u);
  EXPECT_TRUE(WaitUntil([&] { return absl::StrContains(ThroughProxy(), ") v3"); }, absl::Seconds(30)));
}

// The scheduled job runs on its schedule, its child after it and a job of
// another service after both; a rerun for a past date renders that date and
// triggers no child.
TEST_F(EndToEndTest, ScheduledJobsTheirChildrenAndARerun) {
  StartPlatform();
  Deploy("example_batch");
  Deploy("example_worker");
  // Run it now (emergency-start): its child and the other service's child follow it.
  const CliResult started = Paasta({"emergency-start", "-s", "example_batch", "-i", "rollup"});
  // (A scheduled run may be going already: then that one is the run to follow.)
  ASSERT_TRUE(started.exit_code == 0 || absl::StrContains(started.output, "is going")) << started.output;
  ASSERT_TRUE(WaitUntil(
      [&] {
        return succeeded(runs("example_batch", "rollup", false)) >= 1 &&
               succeeded(runs("example_batch", "publish", false)) >= 1 &&
               succeeded(runs("example_worker", "cleanup", false)) >= 1;
      },
      absl::Seconds(60)))
      << Paasta({"status", "-s", "example_batch"}).output;
  const std::vector<v1::JobRun> rollups = runs("example_batch", "rollup", false);
  for (const auto& [service, job] :
       {std::pair<std::string, std::string>{"example_batch", "publish"}, {"example_worker", "cleanup"}}) {
    const v1::JobRun first_child = runs(service, job, false).back();  // newest first
    EXPECT_EQ(first_child.trigger(), v1::RUN_TRIGGER_PARENTS) << job;
    EXPECT_GE(absl::FromUnixSeconds(first_child.started_at().seconds()),
              absl::FromUnixSeconds(rollups.back().finished_at().seconds()))
        << job << " started after its parent's run ended";
  }
  // And on its schedule (every minute).
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const v1::JobRun& run : runs("example_batch", "rollup", false)) {
          if (run.trigger() == v1::RUN_TRIGGER_SCHEDULE && run.state() == v1::RUN_STATE_SUCCEEDED) return true;
        }
        return false;
      },
      absl::Seconds(100)))
      << "a scheduled run within a minute and its epsilon";

  // Stop the schedule, then rerun for a past date: that date, and no child runs.
  ASSERT_EQ(Paasta({"stop", "-s", "example_batch", "-i", "rollup", "-c", "local"}).exit_code, 0);
  absl::SleepFor(absl::Seconds(6));  // let a run in progress and its child finish
  const size_t children_before = runs("example_batch", "publish", false).size();
  const CliResult rerun = Paasta({"rerun", "-s", "example_batch", "-i", "rollup", "-d", "2016-04-25T00:00:00"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  const auto rerun_done = [&] {
    for (const v1::JobRun& run : runs("example_batch", "rollup", true)) {
      if (absl::StrContains(run.command(), "--date 2016-04-25") && run.state() == v1::RUN_STATE_SUCCEEDED) {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(WaitUntil(rerun_done, absl::Seconds(60))) << rerun.output;
  absl::SleepFor(absl::Seconds(5));
  EXPECT_EQ(runs("example_batch", "publish", false).size(), children_before) << "a rerun triggers no child";
}

// Tasks killed: under-replicated; the alert fires in a real Prometheus and
// resolves once the agent has replaced them.
TEST_F(EndToEndTest, UnderReplicationAlertFiresAndResolves) {
  StartPlatform();
  Deploy("example_service");
  const std::string prometheus = nlohmann::json(Daemon("prometheus"))["ready_url"];
  const std::string alerts_url = absl::StrReplaceAll(prometheus, {{"/-/ready", "/api/v1/alerts"}});
  auto firing = [&] {
    HttpRequest request;
    request.url = alerts_url;
    absl::StatusOr<HttpResponse> response = HttpFetch(request);
    if (!response.ok()) return false;
    const nlohmann::json alerts = nlohmann::json::parse(response->body, nullptr, false);
    if (!alerts.is_object()) return false;
    for (const auto& alert : alerts["data"]["alerts"]) {
      if (alert["labels"]["alertname"] == "PaastaUnderReplicated" && alert["labels"]["service"] == "example_service" &&
          alert["state"] == "firing") {
        return true;
      }
    }
    return false;
  };
  // Kill both tasks' processes: the agent relaunches them after the back-off (5 s for 2 instances).
  for (const v1::Task& task : MainTasks()) {
    const std::string pids = *ReadFile(task.sandbox_dir() + "/pids");
    const pid_t pid = std::stoi(pids.substr(pids.find(' ') + 1));
    ASSERT_EQ(::kill(-pid, SIGKILL), 0) << task.id();
  }
  EXPECT_TRUE(WaitUntil(firing, absl::Seconds(60))) << "the alert fires";
  EXPECT_TRUE(WaitUntil([&] { return MainTasks().size() == 2 && !firing(); }, absl::Seconds(120)))
      << "and resolves once the tasks are back";
}

// kill -9 of the deployer, then of the agent, during a bounce: the supervisor
// restarts them, the bounce completes, and the instance never has more tasks
// than its count plus the crossover's allowance (a whole new app).
TEST_F(EndToEndTest, DaemonsKilledMidBounceAreRestartedAndTheBounceCompletes) {
  // A job run long enough to be going when the agent is killed.
  Replace(soa_ + "/example_batch/chronos-local.yaml", "cmd: python3 rollup.py", "cmd: sleep 4; python3 rollup.py");
  StartPlatform();
  Deploy("example_batch");
  Deploy("example_service");
  std::atomic<bool> sampling{true};
  std::atomic<size_t> most{0};
  std::thread sampler([&] {
    while (sampling) {
      const size_t now = MainTasks().size();
      if (now > most) most = now;
      absl::SleepFor(absl::Milliseconds(100));
    }
  });
  const std::string v2 = ChangeExampleService("v2");
  ASSERT_EQ(Paasta({"mark-for-deployment", "-s", "example_service", "-l", "local.everything", "-c", v2}).exit_code, 0);
  const CliResult started = Paasta({"emergency-start", "-s", "example_batch", "-i", "rollup"});
  ASSERT_TRUE(started.exit_code == 0 || absl::StrContains(started.output, "is going")) << started.output;
  absl::SleepFor(absl::Milliseconds(700));
  for (const std::string name : {"paasta-deployer", "paasta-agent"}) {
    const int pid = Daemon(name)["pid"];
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::kill(pid, SIGKILL), 0) << name;
    EXPECT_TRUE(WaitUntil(
        [&] {
          const nlohmann::json daemon = Daemon(name);
          return daemon["restarts"] == 1 && daemon["state"] == "running";
        },
        absl::Seconds(30)))
        << name << " restarted";
    absl::SleepFor(absl::Milliseconds(500));
  }
  const CliResult waited =
      Paasta({"wait-for-deployment", "-s", "example_service", "-l", "local.everything", "-c", v2, "--timeout", "180s"});
  sampling = false;
  sampler.join();
  EXPECT_EQ(waited.exit_code, 0) << waited.output;
  EXPECT_TRUE(WaitUntil([&] { return absl::StrContains(ThroughProxy(), ") v2"); }, absl::Seconds(30)));
  EXPECT_EQ(MainTasks().size(), 2u);
  EXPECT_LE(most.load(), 4u) << "2 instances + a whole new app of 2 at most";
  const std::string log = *ReadFile(state_ + "/logs/paasta-agent.log");
  EXPECT_TRUE(absl::StrContains(log, "tasks found again")) << "the restarted agent adopted its tasks";

  // The job run that was going finished once, and its child ran once for each
  // success: no run lost, none doubled.
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::vector<v1::JobRun> rollups = runs("example_batch", "rollup", false);
        for (const v1::JobRun& run : rollups) {
          if (run.state() == v1::RUN_STATE_RUNNING || run.state() == v1::RUN_STATE_QUEUED) return false;
        }
        return !rollups.empty() && succeeded(runs("example_batch", "publish", false)) == succeeded(rollups);
      },
      absl::Seconds(90)))
      << Paasta({"status", "-s", "example_batch"}).output;
  for (const v1::JobRun& run : runs("example_batch", "rollup", false)) {
    EXPECT_EQ(run.state(), v1::RUN_STATE_SUCCEEDED) << run.id() << " " << run.output_tail();
  }
  // A child doubled would outnumber its parent's successes (a scheduled run may start meanwhile).
  for (int i = 0; i < 6; ++i) {
    const int parents = succeeded(runs("example_batch", "rollup", false));
    EXPECT_LE(static_cast<int>(runs("example_batch", "publish", false).size()), parents);
    absl::SleepFor(absl::Milliseconds(500));
  }
}

// A broken config for one instance: validate names it, its running version
// keeps running untouched, and other services keep deploying.
TEST_F(EndToEndTest, ABrokenConfigLeavesTheRunningVersionAndOthersDeploy) {
  // A second long-running instance of the same service, in the same deploy group.
  Append(soa_ + "/example_service/marathon-local.yaml",
         "canary:\n  instances: 1\n  cpus: 0.2\n  mem: 128\n  cmd: python3 server.py\n"
         "  deploy_group: \"{cluster}.everything\"\n");
  StartPlatform();
  Deploy("example_service");
  Deploy("example_worker");
  const std::set<std::string> running = MainApps();
  Replace(soa_ + "/example_service/marathon-local.yaml", "cpus: 0.1", "cpus: lots");
  const CliResult validated = Paasta({"validate", "-y", soa_, "-s", "example_service"});
  EXPECT_EQ(validated.exit_code, 1) << validated.output;
  EXPECT_TRUE(absl::StrContains(validated.output, "marathon-local.yaml:")) << validated.output;
  EXPECT_TRUE(absl::StrContains(validated.output, "example_service.main: cpus:")) << validated.output;
  // A new commit: the broken instance keeps its running version, the other
  // instance of the group and the other service deploy.
  const std::string next = ChangeExampleService("next");
  const CliResult marked =
      Paasta({"mark-for-deployment", "-s", "example_service", "-l", "local.everything", "-c", next});
  ASSERT_EQ(marked.exit_code, 0) << marked.output;
  testing::CommitFiles(Repo("example_worker"), {{"NOTE", "a change\n"}}, "worker change");
  Deploy("example_worker");
  EXPECT_TRUE(WaitUntil(
      [&] {
        const CliResult status = Paasta({"status", "-s", "example_service", "-i", "canary"});
        return absl::StrContains(status.output, "Git sha:    " + next.substr(0, 8)) &&
               absl::StrContains(status.output, "(1/1)");
      },
      absl::Seconds(60)))
      << Paasta({"status", "-s", "example_service"}).output;
  EXPECT_EQ(MainApps(), running) << "the broken instance's running version is untouched";
  EXPECT_EQ(MainTasks().size(), 2u);
  const CliResult status = Paasta({"status", "-s", "example_service", "-i", "main"});
  EXPECT_TRUE(absl::StrContains(status.output, "bad config")) << status.output;
}

}  // namespace
}  // namespace paasta
