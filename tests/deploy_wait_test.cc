// `paasta mark-for-deployment --wait` against a real bounce: the real CLI, the
// generator tagging a real git repository, the deployer bouncing real tasks on
// the agent (crossover, drained through the drainer). It follows the deploy to
// the end and exits 0; with a timeout too short for the bounce it exits 1 and
// names the instance it was waiting for.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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
          absl::StrCat("main:\n  instances: 2\n  cpus: 0.1\n  mem: 64\n  cmd: VERSION=$(cat version.txt) exec ",
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
                                     "--deployer=" + deployer_.grpc_address};
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
}

}  // namespace
}  // namespace paasta
