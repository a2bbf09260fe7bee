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
#include "tests/platform_fixture.h"

namespace paasta {
namespace {

namespace fs = std::filesystem;
using testing::AbsolutePath;
using testing::WaitUntil;

class EndToEndTest : public PlatformTest {};

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
        return Succeeded(Runs("example_batch", "rollup", false)) >= 1 &&
               Succeeded(Runs("example_batch", "publish", false)) >= 1 &&
               Succeeded(Runs("example_worker", "cleanup", false)) >= 1;
      },
      absl::Seconds(60)))
      << Paasta({"status", "-s", "example_batch"}).output;
  const std::vector<v1::JobRun> rollups = Runs("example_batch", "rollup", false);
  for (const auto& [service, job] :
       {std::pair<std::string, std::string>{"example_batch", "publish"}, {"example_worker", "cleanup"}}) {
    const v1::JobRun first_child = Runs(service, job, false).back();  // newest first
    EXPECT_EQ(first_child.trigger(), v1::RUN_TRIGGER_PARENTS) << job;
    EXPECT_GE(absl::FromUnixSeconds(first_child.started_at().seconds()),
              absl::FromUnixSeconds(rollups.back().finished_at().seconds()))
        << job << " started after its parent's run ended";
  }
  // And on its schedule (every minute).
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const v1::JobRun& run : Runs("example_batch", "rollup", false)) {
          if (run.trigger() == v1::RUN_TRIGGER_SCHEDULE && run.state() == v1::RUN_STATE_SUCCEEDED) return true;
        }
        return false;
      },
      absl::Seconds(100)))
      << "a scheduled run within a minute and its epsilon";

  // Stop the schedule, then rerun for a past date: that date, and no child runs.
  ASSERT_EQ(Paasta({"stop", "-s", "example_batch", "-i", "rollup", "-c", "local"}).exit_code, 0);
  absl::SleepFor(absl::Seconds(6));  // let a run in progress and its child finish
  const size_t children_before = Runs("example_batch", "publish", false).size();
  const CliResult rerun = Paasta({"rerun", "-s", "example_batch", "-i", "rollup", "-d", "2016-04-25T00:00:00"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  const auto rerun_done = [&] {
    for (const v1::JobRun& run : Runs("example_batch", "rollup", true)) {
      if (absl::StrContains(run.command(), "--date 2016-04-25") && run.state() == v1::RUN_STATE_SUCCEEDED) {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(WaitUntil(rerun_done, absl::Seconds(60))) << rerun.output;
  absl::SleepFor(absl::Seconds(5));
  EXPECT_EQ(Runs("example_batch", "publish", false).size(), children_before) << "a rerun triggers no child";
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
        const std::vector<v1::JobRun> rollups = Runs("example_batch", "rollup", false);
        for (const v1::JobRun& run : rollups) {
          if (run.state() == v1::RUN_STATE_RUNNING || run.state() == v1::RUN_STATE_QUEUED) return false;
        }
        return !rollups.empty() && Succeeded(Runs("example_batch", "publish", false)) == Succeeded(rollups);
      },
      absl::Seconds(90)))
      << Paasta({"status", "-s", "example_batch"}).output;
  for (const v1::JobRun& run : Runs("example_batch", "rollup", false)) {
    EXPECT_EQ(run.state(), v1::RUN_STATE_SUCCEEDED) << run.id() << " " << run.output_tail();
  }
  // A child doubled would outnumber its parent's successes (a scheduled run may start meanwhile).
  for (int i = 0; i < 6; ++i) {
    const int parents = Succeeded(Runs("example_batch", "rollup", false));
    EXPECT_LE(static_cast<int>(Runs("example_batch", "publish", false).size()), parents);
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
