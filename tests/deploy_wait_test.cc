// `paasta mark-for-deployment --wait` against a real bounce: the real CLI, the
// generator tagging a real git repository, the deployer bouncing real tasks on
// the agent (crossover, drained through the drainer). It follows the deploy to
// the end and exits 0; with a timeout too short for the bounce it exits 1 and
// names the instance it was waiting for. `paasta logs` then shows the bounce's
// events and every task's output, ended tasks included, merged by time, and
// follows new ones.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/testing/agent_helpers.h"
#include "common/testing/child_process.h"
#include "common/testing/git_repo.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"

namespace paasta {
namespace {

class DeployWaitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::NewTempDir("deploy-wait");
    repo_ = dir_ + "/repo";
    testing::InitRepo(repo_);
    v1_ = testing::CommitFiles(repo_, {{"version.txt", "v1\n"}}, "v1");
    v2_ = testing::CommitFiles(repo_, {{"version.txt", "v2\n"}}, "v2");
    ASSERT_TRUE(MakeDirs(dir_ + "/soa/svc").ok());
    ASSERT_TRUE(MakeDirs(dir_ + "/etc").ok());
    Write("soa/svc/service.yaml", "git_url: " + repo_ + "\n");
    Write("soa/svc/marathon-local.yaml",
          absl::StrCat("main:\n  instances: 2\n  cpus: 0.1\n  mem: 64\n  cmd: echo starting version $(cat "
                       "version.txt); VERSION=$(cat version.txt) exec ",
                       testing::AbsolutePath("agent/testing/test_server"),
                       "\n  healthcheck_mode: http\n  healthcheck_uri: /status\n",
                       "  healthcheck_grace_period_seconds: 5\n  healthcheck_interval_seconds: 0.2\n",
                       "  drain_method: test\n  deploy_group: local.everything\n"));
    Write("etc/cluster.json", R"({"cluster": "local", "volumes": []})");
    absl::StatusOr<testing::Daemon> agent =
        testing::StartDaemon("agent/paasta-agent",
                             {"--state_dir=" + dir_ + "/agent", "--tick=50ms",
                              "--cgroup_name=paasta-deploy-wait-test-" + std::to_string(::getpid())},
                             dir_);
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = std::move(*agent);
    absl::StatusOr<testing::Daemon> drainer =
        testing::StartDaemon("drainer/paasta-drainer", {"--hacheck_listen="}, dir_);
    ASSERT_TRUE(drainer.ok()) << drainer.status();
    drainer_ = std::move(*drainer);
    absl::StatusOr<testing::Daemon> deployer =
        testing::StartDaemon("deployer/paasta-deployer",
                             {"--soa_dir=" + dir_ + "/soa", "--system_config_dir=" + dir_ + "/etc", "--interval=200ms",
                              "--agent=" + agent_.grpc_address, "--drainer=" + drainer_.grpc_address, "--smartstack="},
                             dir_);
    ASSERT_TRUE(deployer.ok()) << deployer.status();
    deployer_ = std::move(*deployer);
    absl::StatusOr<testing::Daemon> generator =
        testing::StartDaemon("deployer/generator/paasta-generator",
                             {"--soa_dir=" + dir_ + "/soa", "--git_cache_dir=" + dir_ + "/cache", "--interval=1s",
                              "--deployer=" + deployer_.grpc_address, "--scheduler_bridge="},
                             dir_);
    ASSERT_TRUE(generator.ok()) << generator.status();
    generator_ = std::move(*generator);
    agent_stub_ = v1::Agent::NewStub(grpc::CreateChannel(agent_.grpc_address, grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    generator_.process.reset();
    deployer_.process.reset();
    testing::StopAgentCleanly(agent_stub_.get(), agent_);
  }

  void Write(const std::string& path, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomically(absl::StrCat(dir_, "/", path), text).ok());
  }

  std::pair<int, std::string> Paasta(std::vector<std::string> args) {
    std::vector<std::string> argv = {"cli/paasta", "--generator=" + generator_.grpc_address,
                                     "--deployer=" + deployer_.grpc_address, "--agent=" + agent_.grpc_address,
                                     "--scheduler-bridge=" + bridge_address_};
    argv.insert(argv.end(), args.begin(), args.end());
    auto child = testing::ChildProcess::Start(argv, dir_ + "/cli.log." + std::to_string(++calls_));
    if (!child.ok()) return {-1, ""};
    const absl::StatusOr<int> status = (*child)->Wait(absl::Seconds(180));
    return {status.ok() && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1, (*child)->Output()};
  }

  std::string dir_, repo_, v1_, v2_;
  testing::Daemon agent_, drainer_, deployer_, generator_;
  std::unique_ptr<v1::Agent::Stub> agent_stub_;
  int calls_ = 0;
  // No scheduler bridge runs here: `paasta logs` must say so and go on.
  std::string bridge_address_ = "127.0.0.1:" + std::to_string(testing::ReserveLoopbackPort());
};

TEST_F(DeployWaitTest, WaitFollowsTheBounceToTheEndOrTimesOutNamingTheInstance) {
  auto [code, output] =
      Paasta({"mark-for-deployment", "-s", "svc", "-l", "local.everything", "-c", v1_, "--wait", "--timeout", "120s"});
  EXPECT_EQ(code, 0) << output;
  EXPECT_TRUE(absl::StrContains(output, "main: new version 2/2 healthy, done")) << output;
  EXPECT_TRUE(
      absl::StrContains(output, absl::StrCat("Deployed ", v1_.substr(0, 8), " to deploy group local.everything")))
      << output;
  // Not a terminal: plain lines, only when something changed.
  EXPECT_FALSE(absl::StrContains(output, "\33[")) << output;

  // A bounce to v2 cannot finish in 1 ms: the timeout names the instance.
  auto [timeout_code, timed_out] =
      Paasta({"mark-for-deployment", "-s", "svc", "-l", "local.everything", "-c", v2_, "--wait", "--timeout", "1ms"});
  EXPECT_EQ(timeout_code, 1) << timed_out;
  EXPECT_TRUE(absl::StrContains(timed_out, "paasta mark-for-deployment: timed out after 1ms waiting for main: "))
      << timed_out;
  // And waiting again for the same deploy follows it to the end.
  auto [again, followed] =
      Paasta({"mark-for-deployment", "-s", "svc", "-l", "local.everything", "-c", v2_, "--wait", "--timeout", "120s"});
  EXPECT_EQ(again, 0) << followed;
  EXPECT_TRUE(absl::StrContains(followed, absl::StrCat("Deployed ", v2_.substr(0, 8)))) << followed;

  // paasta status -v: the new app and its two tasks, healthy, from the deployer's last pass.
  auto [status_code, status] = Paasta({"status", "-s", "svc", "-v"});
  EXPECT_EQ(status_code, 2) << "the scheduler bridge is down: " << status;
  EXPECT_TRUE(absl::StrContains(status, absl::StrCat("Marathon app ID: svc.main.git", v2_.substr(0, 8)))) << status;
  EXPECT_TRUE(absl::StrContains(status, "Mesos Task ID")) << status;
  size_t healthy_rows = 0;
  for (size_t at = status.find("127.0.0.1:"); at != std::string::npos; at = status.find("127.0.0.1:", at + 1)) {
    const size_t end = status.find('\n', at);
    healthy_rows += absl::StrContains(status.substr(at, end - at), "Healthy");
  }
  EXPECT_EQ(healthy_rows, 2u) << status;

  // paasta logs: the deployer's bounce steps and the output of the v1 tasks
  // (ended, their sandboxes kept) before the v2 ones.
  auto [logs_code, logs] = Paasta({"logs", "-s", "svc", "-n", "500"});
  EXPECT_EQ(logs_code, 2) << "the scheduler bridge is down: " << logs;
  EXPECT_TRUE(absl::StrContains(logs, "cannot reach paasta-scheduler-bridge")) << logs;
  EXPECT_TRUE(absl::StrContains(logs, " main deployer: crossover bounce: ")) << logs;
  const size_t first_v1 = logs.find("starting version v1");
  const size_t first_v2 = logs.find("starting version v2");
  ASSERT_NE(first_v1, std::string::npos) << logs;
  ASSERT_NE(first_v2, std::string::npos) << logs;
  EXPECT_LT(first_v1, first_v2) << logs;
  EXPECT_NE(logs.find("starting version v1", first_v1 + 1), std::string::npos) << "both v1 tasks: " << logs;
  EXPECT_TRUE(absl::StrContains(logs, " main stdout ")) << logs;
  // -n keeps the newest lines.
  auto [one_code, one] = Paasta({"logs", "-s", "svc", "-n", "1"});
  EXPECT_EQ(std::count(one.begin(), one.end(), '\n'), 2) << "one line, one about the bridge: " << one;
  auto [missing_code, missing] = Paasta({"logs", "-s", "svc", "-i", "nope"});
  EXPECT_EQ(missing_code, 2) << "the bridge could not be asked: " << missing;
  EXPECT_TRUE(absl::StrContains(missing,
                                "svc.nope is not an instance or job of cluster local (there: main; as far "
                                "as the daemons that answered know)"))
      << missing;

  // -f follows: a deploy back to v1 shows up while it runs.
  auto follower = testing::ChildProcess::Start(
      {"cli/paasta", "--deployer=" + deployer_.grpc_address, "--agent=" + agent_.grpc_address,
       "--scheduler-bridge=" + bridge_address_, "logs", "-s", "svc", "-n", "0", "-f"},
      dir_ + "/follow.log");
  ASSERT_TRUE(follower.ok()) << follower.status();
  auto [back, back_output] =
      Paasta({"mark-for-deployment", "-s", "svc", "-l", "local.everything", "-c", v1_, "--wait", "--timeout", "120s"});
  EXPECT_EQ(back, 0) << back_output;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        const std::string followed_logs = (*follower)->Output();
        return absl::StrContains(followed_logs, "starting version v1") &&
               absl::StrContains(followed_logs, "deployer: crossover bounce");
      },
      absl::Seconds(30)))
      << (*follower)->Output();
  EXPECT_FALSE(absl::StrContains((*follower)->Output(), "starting version v2")) << "-n 0: only new lines";
}

// The deploy commands around mark-for-deployment: get-latest-deployment,
// wait-for-deployment (for a commit someone else marks), rollback,
// emergency-restart and list-clusters, on the same real daemons.
TEST_F(DeployWaitTest, LatestDeploymentWaitRollbackAndEmergencyRestart) {
  auto [marked, marked_output] =
      Paasta({"mark-for-deployment", "-s", "svc", "-l", "local.everything", "-c", v1_, "--wait", "--timeout", "120s"});
  ASSERT_EQ(marked, 0) << marked_output;
  auto [latest_code, latest] = Paasta({"get-latest-deployment", "-s", "svc", "-l", "local.everything"});
  EXPECT_EQ(latest_code, 0) << latest;
  EXPECT_EQ(latest, v1_ + "\n");
  auto [unknown_code, unknown] = Paasta({"get-latest-deployment", "-s", "svc", "-l", "prod.everything"});
  EXPECT_EQ(unknown_code, 1) << unknown;
  EXPECT_TRUE(absl::StrContains(unknown,
                                "svc has no deployment to deploy group prod.everything (deployed groups: "
                                "local.everything)"))
      << unknown;

  // Nobody marks v2: the wait times out saying so.
  auto [never_code, never] =
      Paasta({"wait-for-deployment", "-s", "svc", "-l", "local.everything", "-c", v2_.substr(0, 7), "--timeout", "1s"});
  EXPECT_EQ(never_code, 1) << never;
  EXPECT_TRUE(absl::StrContains(never, "was never marked with " + v2_.substr(0, 7))) << never;

  // A wait started before someone marks v2 follows that deploy to the end.
  auto waiter = testing::ChildProcess::Start(
      {"cli/paasta", "--generator=" + generator_.grpc_address, "--deployer=" + deployer_.grpc_address,
       "wait-for-deployment", "-s", "svc", "-l", "local.everything", "-c", v2_.substr(0, 7), "--timeout", "120s"},
      dir_ + "/waiter.log");
  ASSERT_TRUE(waiter.ok()) << waiter.status();
  ASSERT_TRUE(testing::WaitUntil([&] { return absl::StrContains((*waiter)->Output(), "Waiting for deploy group"); },
                                 absl::Seconds(30)))
      << (*waiter)->Output();
  auto [v2_code, v2_output] = Paasta({"mark-for-deployment", "-s", "svc", "-l", "local.everything", "-c", v2_});
  ASSERT_EQ(v2_code, 0) << v2_output;
  const absl::StatusOr<int> waited = (*waiter)->Wait(absl::Seconds(150));
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_TRUE(WIFEXITED(*waited) && WEXITSTATUS(*waited) == 0) << (*waiter)->Output();
  EXPECT_TRUE(absl::StrContains((*waiter)->Output(),
                                absl::StrCat("Deployed ", v2_.substr(0, 8), " to deploy group local.everything.")))
      << (*waiter)->Output();

  // rollback: every deployed group back to v1.
  auto [rollback_code, rolled_back] = Paasta({"rollback", "-s", "svc", "-k", v1_.substr(0, 10)});
  EXPECT_EQ(rollback_code, 0) << rolled_back;
  EXPECT_TRUE(absl::StrContains(rolled_back, "Marked " + v1_ + " for deployment in deploy group local.everything"))
      << rolled_back;
  auto [after_code, after] = Paasta({"get-latest-deployment", "-s", "svc", "-l", "local.everything"});
  EXPECT_EQ(after, v1_ + "\n") << after;

  // emergency-restart: the tasks are replaced at once (no scheduler bridge here: the instance is the deployer's).
  auto [restart_code, restarted] = Paasta({"emergency-restart", "-s", "svc", "-i", "main"});
  EXPECT_EQ(restart_code, 0) << restarted;
  EXPECT_TRUE(absl::StrContains(restarted, "svc.main: killed ")) << restarted;
  EXPECT_TRUE(absl::StrContains(restarted, "task(s) without draining and started; 2 task(s) expected.")) << restarted;

  auto [clusters_code, clusters] = Paasta({"list-clusters", "-y", dir_ + "/soa"});
  EXPECT_EQ(clusters_code, 0) << clusters;
  EXPECT_EQ(clusters, "local\n");
}

}  // namespace
}  // namespace paasta
