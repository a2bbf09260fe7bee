// The scheduler bridge with the real agent, real processes and a real git
// repository, driven through gRPC and the real `paasta` CLI: a job due a few
// seconds after the start runs on time, its child follows, a rerun for a past
// date renders that date without running the child, emergency-stop disables
// the job and emergency-start then refuses to run it; and kill -9 of the
// bridge loses no run still within epsilon and fires none twice.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/file_util.h"
#include "common/http_client.h"
#include "common/testing/child_process.h"
#include "common/testing/git_repo.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "protos/agent.grpc.pb.h"
#include "protos/scheduler_bridge.grpc.pb.h"

namespace paasta {
namespace {

class SchedulerBridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::NewTempDir("bridge");
    repo_ = dir_ + "/repo";
    testing::InitRepo(repo_);
    const std::string sha = testing::CommitFiles(repo_, {{"job.sh", "echo \"$1\" >> \"$OUT\"\n"}}, "jobs");
    out_ = dir_ + "/out.txt";
    // The first run a few seconds from now, then every minute.
    first_run_ = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now())) + absl::Seconds(8);
    const std::string start = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", first_run_, absl::UTCTimeZone());
    ASSERT_TRUE(MakeDirs(dir_ + "/soa/batch").ok());
    ASSERT_TRUE(MakeDirs(dir_ + "/etc").ok());
    Write("soa/batch/service.yaml", "git_url: " + repo_ + "\n");
    Write("soa/batch/chronos-local.yaml",
          absl::StrCat("extract:\n  schedule: R/", start, "/PT1M\n  epsilon: PT30S\n  cpus: 0.1\n  mem: 64\n",
                       "  cmd: sh job.sh \"extract %(shortdate)s\"\n  env:\n    OUT: ", out_, "\n",
                       "publish:\n  parents: [batch.extract]\n  cpus: 0.1\n  mem: 64\n",
                       "  cmd: sh job.sh publish\n  env:\n    OUT: ", out_, "\n"));
    Write("soa/batch/deployments.json",
          absl::StrCat(R"({"v1": {"batch:paasta-local.extract": {"desired_state": "start", "docker_image": )",
                       R"("services-batch:paasta-)", sha, R"(", "force_bounce": null}, )",
                       R"("batch:paasta-local.publish": {"desired_state": "start", "docker_image": )",
                       R"("services-batch:paasta-)", sha, R"(", "force_bounce": null}}})"));
    Write("etc/cluster.json", R"({"cluster": "local", "volumes": []})");

    absl::StatusOr<testing::Daemon> agent =
        testing::StartDaemon("agent/paasta-agent",
                             {"--state_dir=" + dir_ + "/agent", "--tick=50ms",
                              "--cgroup_name=paasta-bridge-test-" + std::to_string(::getpid())},
                             dir_);
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = std::move(*agent);
    StartBridge();
  }

  void StartBridge() {
    absl::StatusOr<testing::Daemon> bridge = testing::StartDaemon(
        "scheduler-bridge/paasta-scheduler-bridge",
        {"--soa_dir=" + dir_ + "/soa", "--system_config_dir=" + dir_ + "/etc", "--state_dir=" + dir_ + "/bridge",
         "--agent=" + agent_.grpc_address, "--tick=100ms", "--interval=1s"},
        dir_);
    ASSERT_TRUE(bridge.ok()) << bridge.status();
    bridge_ = std::move(*bridge);
    stub_ = v1::SchedulerBridge::NewStub(grpc::CreateChannel(bridge_.grpc_address, grpc::InsecureChannelCredentials()));
  }

  // kill -9, as a crash would.
  void KillBridge() {
    ASSERT_TRUE(bridge_.process->Signal(SIGKILL));
    ASSERT_TRUE(bridge_.process->Wait(absl::Seconds(10)).ok());
    bridge_.process.reset();
  }

  bool JobKnown(const std::string& instance) {
    grpc::ClientContext context;
    v1::GetJobStatusRequest request;
    request.mutable_instance()->set_service("batch");
    request.mutable_instance()->set_instance(instance);
    v1::JobStatus status;
    return stub_->GetJobStatus(&context, request, &status).ok() && status.has_job();
  }

  void TearDown() override {
    bridge_.process.reset();
    // Let the last runs end while the agent watches (it removes their cgroups).
    if (agent_.process != nullptr) {
      auto agent = v1::Agent::NewStub(grpc::CreateChannel(agent_.grpc_address, grpc::InsecureChannelCredentials()));
      testing::WaitUntil(
          [&] {
            grpc::ClientContext context;
            v1::ListTasksRequest request;
            v1::ListTasksResponse response;
            if (!agent->ListTasks(&context, request, &response).ok()) return true;
            for (const v1::Task& task : response.tasks()) {
              if (task.state() == v1::TASK_STATE_RUNNING || task.state() == v1::TASK_STATE_STARTING ||
                  task.state() == v1::TASK_STATE_STAGING || task.state() == v1::TASK_STATE_KILLING) {
                return false;
              }
            }
            return true;
          },
          absl::Seconds(15));
    }
    if (agent_.process != nullptr && agent_.process->Signal(SIGTERM)) {
      agent_.process->Wait(absl::Seconds(10)).IgnoreError();
    }
  }

  void Write(const std::string& path, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomically(absl::StrCat(dir_, "/", path), text).ok());
  }

  std::vector<std::string> OutputLines() {
    absl::StatusOr<std::string> text = ReadFile(out_);
    if (!text.ok()) return {};
    return absl::StrSplit(*text, '\n', absl::SkipEmpty());
  }
  int Count(const std::string& line) {
    int count = 0;
    for (const std::string& l : OutputLines()) count += l == line;
    return count;
  }

  std::vector<v1::JobRun> Runs(const std::string& instance, bool include_reruns) {
    grpc::ClientContext context;
    v1::ListRunsRequest request;
    request.mutable_instance()->set_service("batch");
    request.mutable_instance()->set_instance(instance);
    request.set_include_reruns(include_reruns);
    v1::ListRunsResponse response;
    const grpc::Status status = stub_->ListRuns(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.runs().begin(), response.runs().end()};
  }

  // Runs the real CLI against the bridge.
  std::pair<int, std::string> Paasta(std::vector<std::string> args) {
    std::vector<std::string> argv = {"cli/paasta", "--scheduler-bridge=" + bridge_.grpc_address};
    argv.insert(argv.end(), args.begin(), args.end());
    auto child = testing::ChildProcess::Start(argv, dir_ + "/cli.log." + std::to_string(++cli_calls_));
    if (!child.ok()) return {-1, ""};
    const absl::StatusOr<int> status = (*child)->Wait(absl::Seconds(30));
    return {status.ok() && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1, (*child)->Output()};
  }

  std::string dir_, repo_, out_;
  absl::Time first_run_;
  testing::Daemon agent_, bridge_;
  std::unique_ptr<v1::SchedulerBridge::Stub> stub_;
  int cli_calls_ = 0;
};

TEST_F(SchedulerBridgeTest, AJobRunsOnScheduleItsChildFollowsAndARerunRendersItsDate) {
  const std::string today = absl::FormatTime("%Y-%m-%d", first_run_, absl::UTCTimeZone());
  ASSERT_TRUE(testing::WaitUntil([&] { return Count("publish") == 1; }, absl::Seconds(60)))
      << "output: " << absl::StrJoin(OutputLines(), " | ") << "\n"
      << bridge_.process->Output();
  EXPECT_EQ(OutputLines()[0], "extract " + today) << "the parent ran first";
  const std::vector<v1::JobRun> extract_runs = Runs("extract", false);
  ASSERT_EQ(extract_runs.size(), 1u);
  EXPECT_EQ(extract_runs[0].state(), v1::RUN_STATE_SUCCEEDED);
  EXPECT_EQ(extract_runs[0].trigger(), v1::RUN_TRIGGER_SCHEDULE);
  EXPECT_EQ(extract_runs[0].command(), "sh job.sh \"extract " + today + "\"");
  const std::vector<v1::JobRun> publish_runs = Runs("publish", false);
  ASSERT_EQ(publish_runs.size(), 1u);
  EXPECT_EQ(publish_runs[0].trigger(), v1::RUN_TRIGGER_PARENTS);

  // A rerun through the CLI: without -d it is refused (the command has date variables).
  auto [refused_code, refused] = Paasta({"rerun", "-s", "batch", "-i", "extract"});
  EXPECT_EQ(refused_code, 1) << refused;
  EXPECT_TRUE(absl::StrContains(refused, "please supply a `--execution_date` argument")) << refused;
  auto [code, output] = Paasta({"rerun", "-s", "batch", "-i", "extract", "-d", "2016-04-25T00:00:00"});
  EXPECT_EQ(code, 0) << output;
  EXPECT_TRUE(absl::StrContains(output, "successfully created job tmp-")) << output;
  ASSERT_TRUE(testing::WaitUntil([&] { return Count("extract 2016-04-25") == 1; }, absl::Seconds(30)))
      << absl::StrJoin(OutputLines(), " | ");
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        const std::vector<v1::JobRun> runs = Runs("extract", true);
        return !runs.empty() && runs[0].state() == v1::RUN_STATE_SUCCEEDED &&
               runs[0].trigger() == v1::RUN_TRIGGER_RERUN;
      },
      absl::Seconds(30)));
  absl::SleepFor(absl::Seconds(1));  // ten scheduler ticks: time for a child to start, if one wrongly would
  EXPECT_EQ(Count("publish"), 1) << "a rerun does not trigger the job's children";

  // emergency-stop disables the job; emergency-start then runs nothing.
  auto [stop_code, stopped] = Paasta({"emergency-stop", "-s", "batch", "-i", "extract"});
  EXPECT_EQ(stop_code, 0) << stopped;
  EXPECT_TRUE(absl::StrContains(stopped, "disabled until its next deploy")) << stopped;
  auto [start_code, started] = Paasta({"emergency-start", "-s", "batch", "-i", "extract"});
  EXPECT_EQ(start_code, 1) << started;
  EXPECT_TRUE(absl::StrContains(started, "is disabled")) << started;
  grpc::ClientContext context;
  v1::GetJobStatusRequest request;
  request.mutable_instance()->set_service("batch");
  request.mutable_instance()->set_instance("extract");
  v1::JobStatus status;
  ASSERT_TRUE(stub_->GetJobStatus(&context, request, &status).ok());
  EXPECT_TRUE(status.job().disabled());
  EXPECT_FALSE(status.has_next_run());
  EXPECT_TRUE(status.has_last_success());

  // The metrics say the same.
  HttpRequest metrics;
  metrics.url = "http://" + bridge_.metrics_address + "/metrics";
  absl::StatusOr<HttpResponse> scraped = HttpFetch(metrics);
  ASSERT_TRUE(scraped.ok());
  EXPECT_TRUE(absl::StrContains(
      scraped->body, R"(paasta_scheduler_job_enabled{cluster="local",instance="extract",service="batch"} 0)"))
      << scraped->body;
  EXPECT_TRUE(absl::StrContains(
      scraped->body, R"(paasta_scheduler_job_runs_total{cluster="local",instance="publish",service="batch"} 1)"))
      << scraped->body;
}

TEST_F(SchedulerBridgeTest, AfterKillNineItNeitherLosesARunWithinEpsilonNorFiresOneTwice) {
  // Killed before the first run is due, back 2 s after it: within epsilon (30 s), so it runs, once.
  ASSERT_TRUE(testing::WaitUntil([&] { return JobKnown("extract"); }, absl::Seconds(30)));
  ASSERT_LT(absl::Now(), first_run_) << "the machine is too slow for this test's timing";
  KillBridge();
  absl::SleepFor(first_run_ + absl::Seconds(2) - absl::Now());
  StartBridge();
  ASSERT_TRUE(testing::WaitUntil([&] { return Count("publish") == 1; }, absl::Seconds(30)))
      << absl::StrJoin(OutputLines(), " | ");
  const std::string today = absl::FormatTime("%Y-%m-%d", first_run_, absl::UTCTimeZone());
  EXPECT_EQ(Count("extract " + today), 1);
  const std::vector<v1::JobRun> runs = Runs("extract", false);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].trigger(), v1::RUN_TRIGGER_SCHEDULE);
  EXPECT_GE(absl::FromUnixSeconds(runs[0].started_at().seconds()), first_run_ + absl::Seconds(2));

  // Killed right after the runs, and back: nothing runs again before the next minute.
  KillBridge();
  StartBridge();
  absl::SleepFor(absl::Seconds(3));
  EXPECT_EQ(Count("extract " + today), 1);
  EXPECT_EQ(Count("publish"), 1);
  EXPECT_EQ(Runs("extract", false).size(), 1u) << "the run records survived the crash";
}

}  // namespace
}  // namespace paasta
