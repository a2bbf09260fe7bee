// The deployer with the real agent and drainer, real processes and a real git
// repository: deploy v1, a crossover bounce to v2 during which the healthy task
// count never drops below the instance count, stop, start, and an emergency
// stop that holds through passes until the next deploy.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <functional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/file_util.h"
#include "common/http_client.h"
#include "common/testing/child_process.h"
#include "common/testing/git_repo.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "protos/agent.grpc.pb.h"
#include "protos/deployer.grpc.pb.h"

namespace paasta {
namespace {

class DeployerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::NewTempDir("deployer");
    repo_ = dir_ + "/repo";
    testing::InitRepo(repo_);
    v1_ = testing::CommitFiles(repo_, {{"version.txt", "v1\n"}}, "v1");
    v2_ = testing::CommitFiles(repo_, {{"version.txt", "v2\n"}}, "v2");
    ::mkdir((dir_ + "/soa").c_str(), 0755);
    ::mkdir((dir_ + "/soa/svc").c_str(), 0755);
    ::mkdir((dir_ + "/etc").c_str(), 0755);
    Write("soa/svc/service.yaml", "git_url: " + repo_ + "\n");
    Write("soa/svc/marathon-local.yaml",
          absl::StrCat("main:\n  instances: 3\n  cpus: 0.1\n  mem: 128\n", "  cmd: VERSION=$(cat version.txt) exec ",
                       testing::AbsolutePath("agent/testing/test_server"), "\n",
                       "  healthcheck_mode: http\n  healthcheck_uri: /status\n",
                       "  healthcheck_grace_period_seconds: 5\n  healthcheck_interval_seconds: 0.2\n",
                       "  healthcheck_timeout_seconds: 1\n  healthcheck_max_consecutive_failures: 3\n",
                       "  drain_method: test\n  deploy_group: local.everything\n"));
    Write("etc/cluster.json", R"({"cluster": "local", "volumes": []})");

    agent_ = Start("agent/paasta-agent",
                   {"--state_dir=" + dir_ + "/agent", "--tick=50ms",
                    "--cgroup_name=paasta-deployer-test-" + std::to_string(::getpid())},
                   &agent_address_);
    drainer_ = Start("drainer/paasta-drainer", {}, &drainer_address_);
    deployer_ = Start("deployer/paasta-deployer",
                      {"--soa_dir=" + dir_ + "/soa", "--system_config_dir=" + dir_ + "/etc", "--interval=200ms",
                       "--agent=" + agent_address_, "--drainer=" + drainer_address_, "--smartstack="},
                      &deployer_address_);
    agent_stub_ = v1::Agent::NewStub(grpc::CreateChannel(agent_address_, grpc::InsecureChannelCredentials()));
    deployer_stub_ = v1::Deployer::NewStub(grpc::CreateChannel(deployer_address_, grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    // Stop deploying, then leave no task behind.
    deployer_.reset();
    if (agent_stub_ != nullptr) {
      for (const v1::App& app : Apps()) {
        grpc::ClientContext context;
        v1::DeleteAppRequest request;
        request.set_app_id(app.definition().id());
        v1::DeleteAppResponse response;
        agent_stub_->DeleteApp(&context, request, &response);
      }
      testing::WaitUntil([&] { return Tasks() == 0; }, absl::Seconds(15));
    }
    if (agent_ != nullptr && agent_->Signal(SIGTERM)) agent_->Wait(absl::Seconds(10)).IgnoreError();
  }

  void Write(const std::string& path, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomically(absl::StrCat(dir_, "/", path), text).ok());
  }

  std::unique_ptr<testing::ChildProcess> Start(const std::string& binary, std::vector<std::string> flags,
                                               std::string* address) {
    absl::StatusOr<testing::Daemon> daemon = testing::StartDaemon(binary, flags, dir_);
    EXPECT_TRUE(daemon.ok()) << daemon.status();
    if (!daemon.ok()) return nullptr;
    *address = daemon->grpc_address;
    return std::move(daemon->process);
  }

  // deployments.json as the generator writes it (v1 is what the deployer reads).
  void Deploy(const std::string& sha, const std::string& state = "start", const std::string& force_bounce = "") {
    Write("soa/svc/deployments.json",
          absl::StrCat(R"({"v1": {"svc:paasta-local.main": {"desired_state": ")", state,
                       R"(", "docker_image": "services-svc:paasta-)", sha, R"(", "force_bounce": )",
                       force_bounce.empty() ? "null" : "\"" + force_bounce + "\"", "}}}"));
  }

  std::vector<v1::App> Apps() {
    grpc::ClientContext context;
    v1::ListAppsRequest request;
    request.set_app_id_prefix("svc.main.");
    request.set_embed_tasks(true);
    v1::ListAppsResponse response;
    if (!agent_stub_->ListApps(&context, request, &response).ok()) return {};
    return {response.apps().begin(), response.apps().end()};
  }
  int Healthy() {
    int healthy = 0;
    for (const v1::App& app : Apps()) {
      for (const v1::Task& task : app.tasks()) {
        healthy += task.health() == v1::HEALTH_STATE_HEALTHY && task.state() == v1::TASK_STATE_RUNNING;
      }
    }
    return healthy;
  }
  int Tasks() {
    int tasks = 0;
    for (const v1::App& app : Apps()) tasks += app.tasks_size();
    return tasks;
  }
  // The single app of the instance, answering with `version` on every task.
  bool Runs(const std::string& version, int count) {
    const std::vector<v1::App> apps = Apps();
    if (apps.size() != 1 || apps[0].tasks_healthy() != count || apps[0].tasks_size() != count) return false;
    for (const v1::Task& task : apps[0].tasks()) {
      HttpRequest request;
      request.url = absl::StrCat("http://127.0.0.1:", task.ports(0), "/");
      const auto response = HttpFetch(request);
      if (!response.ok() || !absl::StartsWith(response->body, "version=" + version)) return false;
    }
    return true;
  }
  v1::InstanceStatus Status() {
    grpc::ClientContext context;
    v1::GetInstanceStatusRequest request;
    request.mutable_instance()->set_service("svc");
    request.mutable_instance()->set_instance("main");
    v1::InstanceStatus status;
    deployer_stub_->GetInstanceStatus(&context, request, &status);
    return status;
  }

  std::string dir_, repo_, v1_, v2_;
  std::string agent_address_, drainer_address_, deployer_address_;
  std::unique_ptr<testing::ChildProcess> agent_, drainer_, deployer_;
  std::unique_ptr<v1::Agent::Stub> agent_stub_;
  std::unique_ptr<v1::Deployer::Stub> deployer_stub_;
};

TEST_F(DeployerTest, DeployBounceStopStartAndEmergencyStop) {
  // Not deployed yet: nothing runs, and the status says so.
  ASSERT_TRUE(testing::WaitUntil([&] { return Status().last_action() == "not deployed yet"; }, absl::Seconds(10)));
  EXPECT_EQ(Tasks(), 0);
  EXPECT_TRUE(absl::StrContains(Status().last_error(), "no deployments.json for svc")) << Status().last_error();

  // v1: three healthy tasks answering v1.
  Deploy(v1_);
  ASSERT_TRUE(testing::WaitUntil([&] { return Runs("v1", 3); })) << deployer_->Output();
  const v1::InstanceStatus deployed = Status();
  EXPECT_EQ(deployed.git_sha(), v1_);
  EXPECT_EQ(deployed.expected_instances(), 3);
  EXPECT_EQ(deployed.last_error(), "");
  EXPECT_TRUE(absl::StartsWith(deployed.desired_app_id(), "svc.main.git" + v1_.substr(0, 8) + ".config"));

  // v2 with crossover: at every observed moment, at least 3 healthy tasks.
  Deploy(v2_);
  int lowest = 3;
  ASSERT_TRUE(testing::WaitUntil([&] {
    lowest = std::min(lowest, Healthy());
    return Runs("v2", 3);
  })) << deployer_->Output();
  EXPECT_GE(lowest, 3) << "capacity dropped during the bounce";
  EXPECT_EQ(Apps().size(), 1u) << "the old app is gone";

  // stop: a new control tag; the app goes to zero tasks.
  Deploy(v2_, "stop", "20261128T080000");
  ASSERT_TRUE(testing::WaitUntil([&] { return Tasks() == 0 && Status().expected_instances() == 0; }))
      << deployer_->Output();
  EXPECT_EQ(Status().desired_state(), v1::DESIRED_STATE_STOP);
  // start: back.
  Deploy(v2_, "start", "20261128T080100");
  ASSERT_TRUE(testing::WaitUntil([&] { return Runs("v2", 3); })) << deployer_->Output();

  // emergency-stop: zero at once, and it holds through passes.
  grpc::ClientContext context;
  v1::EmergencyStopRequest stop;
  stop.mutable_instance()->set_service("svc");
  stop.mutable_instance()->set_instance("main");
  v1::EmergencyStopResponse stopped;
  ASSERT_TRUE(deployer_stub_->EmergencyStop(&context, stop, &stopped).ok());
  EXPECT_EQ(stopped.killed_tasks(), 3);
  ASSERT_TRUE(testing::WaitUntil([&] { return Tasks() == 0; }, absl::Seconds(10)));
  absl::SleepFor(absl::Seconds(2));  // about ten passes
  EXPECT_EQ(Tasks(), 0);
  EXPECT_TRUE(Status().emergency_stopped());
  // A new deploy brings it back.
  Deploy(v1_, "start", "20261128T080100");
  ASSERT_TRUE(testing::WaitUntil([&] { return Runs("v1", 3); })) << deployer_->Output();
  EXPECT_FALSE(Status().emergency_stopped());
}

TEST_F(DeployerTest, ABrokenConfigLeavesTheRunningAppAlone) {
  Deploy(v1_);
  ASSERT_TRUE(testing::WaitUntil([&] { return Runs("v1", 3); })) << deployer_->Output();
  Write("soa/svc/marathon-local.yaml", "main:\n  instances: lots\n  deploy_group: local.everything\n");
  ASSERT_TRUE(testing::WaitUntil([&] { return absl::StrContains(Status().last_error(), "bad config"); }));
  EXPECT_TRUE(absl::StrContains(Status().last_error(), "svc.main: instances: must be an integer"))
      << Status().last_error();
  absl::SleepFor(absl::Seconds(1));
  EXPECT_TRUE(Runs("v1", 3)) << "untouched";
}

}  // namespace
}  // namespace paasta
