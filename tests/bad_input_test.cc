// The bad-input corpus (tests/testdata/bad/) against the running platform:
// hostile soa-config files (anchors that expand enormously, deep nesting, a
// huge file, binary, bad UTF-8, names that try to leave the soa-dir, wrong
// types), schedules out of range and dependency cycles, and RPCs with missing
// fields, unsafe names or oversized messages. Each gets a clear error naming
// what is wrong; no daemon dies (none restarted by the supervisor) and what runs
// does not change.
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "protos/agent.grpc.pb.h"
#include "protos/deployer.grpc.pb.h"
#include "protos/drainer.grpc.pb.h"
#include "protos/generator.grpc.pb.h"
#include "protos/scheduler_bridge.grpc.pb.h"
#include "tests/platform_fixture.h"

namespace paasta {
namespace {

namespace fs = std::filesystem;

class BadInputTest : public PlatformTest {
 protected:
  std::shared_ptr<grpc::Channel> Channel(const std::string& daemon) {
    return grpc::CreateChannel(Daemon(daemon)["grpc"].get<std::string>(), grpc::InsecureChannelCredentials());
  }

  // No daemon was restarted, each still runs; example_service runs `apps` with 2 tasks.
  void ExpectNothingChanged(const std::set<std::string>& apps, const std::string& after) {
    for (const std::string name : {"paasta-agent", "paasta-drainer", "paasta-smartstack", "paasta-deployer",
                                   "paasta-scheduler-bridge", "paasta-generator", "paasta-monitor"}) {
      const nlohmann::json daemon = Daemon(name);
      EXPECT_EQ(daemon["restarts"], 0) << name << " after " << after;
      EXPECT_EQ(daemon["state"], "running") << name << " after " << after;
    }
    EXPECT_EQ(MainApps(), apps) << after;
    EXPECT_EQ(MainTasks().size(), 2u) << after;
  }

  // Lets every daemon see the current files (the generator and the bridge pass each second).
  void LetThePassesRun() { absl::SleepFor(absl::Milliseconds(2500)); }
};

TEST_F(BadInputTest, HostileConfigFilesAreNamedAndChangeNothingRunning) {
  StartPlatform();
  // Without grpc_tls each daemon says, as it starts, that anyone may change anything.
  EXPECT_TRUE(absl::StrContains(*ReadFile(state_ + "/logs/paasta-deployer.log"),
                                "gRPC is plaintext without authentication"));
  Deploy("example_service");
  const std::set<std::string> apps = MainApps();
  const std::string live = soa_ + "/example_service/marathon-local.yaml";
  const std::string good = *ReadFile(live);

  std::vector<std::pair<std::string, std::string>> cases;  // name, content
  for (const auto& entry : fs::directory_iterator(testing::AbsolutePath("tests/testdata/bad/soa"))) {
    cases.emplace_back(entry.path().filename().string(), *ReadFile(entry.path().string()));
  }
  // A huge file: 5 MiB of command.
  cases.emplace_back("huge.yaml", absl::StrCat("main:\n  cmd: ", std::string(5 << 20, 'x'), "\n"));
  ASSERT_GE(cases.size(), 10u);
  // What validate must say about each (the file is named in every message).
  const std::map<std::string, std::string> expected = {
      {"bad_utf8.yaml", "not valid UTF-8 (byte 0xE9)"},
      {"billion_laughs.yaml", "aliases that expand too much"},
      {"binary.yaml", "not valid UTF-8"},
      {"deep_nesting.yaml", "cannot parse YAML"},
      {"duplicate_keys.yaml", "key \"cpus\" appears twice"},
      {"escaping_instance_name.yaml", "instance name \"../../etc/passwd\" is not allowed"},
      {"huge.yaml", "a soa-config file may hold at most 4194304"},
      {"not_a_mapping.yaml", "expected a map of instance -> keys"},
      {"tabs.yaml", "cannot parse YAML"},
      {"unclosed.yaml", "cannot parse YAML"},
      {"wrong_types.yaml", "example_service.main: cpus: must be a number"},
  };
  for (const auto& [name, content] : cases) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(WriteFileAtomically(live, content).ok());
    const CliResult validated = Paasta({"validate", "-y", soa_, "-s", "example_service"});
    EXPECT_EQ(validated.exit_code, 1) << validated.output.substr(0, 2000);
    EXPECT_TRUE(absl::StrContains(validated.output, live)) << validated.output.substr(0, 2000);
    auto want = expected.find(name);
    ASSERT_NE(want, expected.end()) << "a corpus file without an expected message";
    EXPECT_TRUE(absl::StrContains(validated.output, want->second)) << validated.output.substr(0, 2000);
    LetThePassesRun();
    ExpectNothingChanged(apps, name);
  }
  // Fixed again, the service deploys.
  ASSERT_TRUE(WriteFileAtomically(live, good).ok());
  ChangeExampleService("after-the-corpus");
  Deploy("example_service");
  EXPECT_NE(MainApps(), apps);
}

TEST_F(BadInputTest, BadSchedulesAndDependenciesAreNamedAndTheBridgeKeepsRunning) {
  StartPlatform();
  Deploy("example_service");
  const std::set<std::string> apps = MainApps();
  const std::string live = soa_ + "/example_batch/chronos-local.yaml";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"rollup:\n  schedule: R/2016-13-45T25:61:00Z/PT1M\n  cmd: 'true'\n", "rollup: schedule:"},
      {"rollup:\n  schedule: R/2016-01-01T00:00:00Z/PT10S\n  cmd: 'true'\n", "interval of > 60 seconds"},
      {"rollup:\n  schedule: R-1/2016-01-01T00:00:00Z/PT1M\n  cmd: 'true'\n", "rollup: schedule:"},
      {"rollup:\n  schedule: every day\n  cmd: 'true'\n", "rollup: schedule:"},
      {"rollup:\n  parents: [example_batch.publish]\n  cmd: 'true'\n"
       "publish:\n  parents: [example_batch.rollup]\n  cmd: 'true'\n",
       "cycle"},
      {"rollup:\n  parents: [example_batch.rollup]\n  cmd: 'true'\n", "itself"},
      {"rollup:\n  parents: [nowhere.nothing]\n  cmd: 'true'\n", "nowhere.nothing"},
  };
  for (const auto& [content, message] : cases) {
    SCOPED_TRACE(content);
    ASSERT_TRUE(WriteFileAtomically(live, content).ok());
    const CliResult validated = Paasta({"validate", "-y", soa_, "-s", "example_batch"});
    EXPECT_EQ(validated.exit_code, 1) << validated.output;
    EXPECT_TRUE(absl::StrContains(validated.output, live)) << validated.output;
    EXPECT_TRUE(absl::StrContains(validated.output, message)) << validated.output;
    LetThePassesRun();
    ExpectNothingChanged(apps, content);
  }
}

TEST_F(BadInputTest, RpcsWithMissingFieldsUnsafeNamesOrOversizedMessagesAreRefused) {
  StartPlatform();
  Deploy("example_service");
  const std::set<std::string> apps = MainApps();
  std::vector<std::pair<std::string, grpc::Status>> answers;
  auto call = [&](const std::string& what, auto&& rpc) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    answers.emplace_back(what, rpc(&context));
  };
  auto generator = v1::Generator::NewStub(Channel("paasta-generator"));
  auto deployer = v1::Deployer::NewStub(Channel("paasta-deployer"));
  auto agent = v1::Agent::NewStub(Channel("paasta-agent"));
  auto bridge = v1::SchedulerBridge::NewStub(Channel("paasta-scheduler-bridge"));
  auto drainer = v1::Drainer::NewStub(Channel("paasta-drainer"));

  // Missing fields.
  call("MarkForDeployment {}", [&](grpc::ClientContext* c) {
    v1::MarkForDeploymentResponse r;
    return generator->MarkForDeployment(c, v1::MarkForDeploymentRequest(), &r);
  });
  call("SetDesiredState {}", [&](grpc::ClientContext* c) {
    v1::SetDesiredStateResponse r;
    return generator->SetDesiredState(c, v1::SetDesiredStateRequest(), &r);
  });
  call("EmergencyStop {}", [&](grpc::ClientContext* c) {
    v1::EmergencyStopResponse r;
    return deployer->EmergencyStop(c, v1::EmergencyStopRequest(), &r);
  });
  call("PutApp {}", [&](grpc::ClientContext* c) {
    v1::PutAppResponse r;
    return agent->PutApp(c, v1::PutAppRequest(), &r);
  });
  call("KillTasks {}", [&](grpc::ClientContext* c) {
    v1::KillTasksResponse r;
    return agent->KillTasks(c, v1::KillTasksRequest(), &r);
  });
  call("RunTask {}", [&](grpc::ClientContext* c) {
    v1::RunTaskResponse r;
    return agent->RunTask(c, v1::RunTaskRequest(), &r);
  });
  call("Rerun {}", [&](grpc::ClientContext* c) {
    v1::RerunResponse r;
    return bridge->Rerun(c, v1::RerunRequest(), &r);
  });
  call("Stop {}", [&](grpc::ClientContext* c) {
    v1::StopResponse r;
    return bridge->Stop(c, v1::StopRequest(), &r);
  });
  call("Drain {}", [&](grpc::ClientContext* c) {
    v1::DrainResponse r;
    return drainer->Drain(c, v1::DrainRequest(), &r);
  });
  // Names that try to leave the soa-dir or the agent's state folder.
  call("MarkForDeployment ../../etc", [&](grpc::ClientContext* c) {
    v1::MarkForDeploymentRequest request;
    request.set_service("../../etc");
    request.set_deploy_group("local.everything");
    request.set_commit("HEAD");
    v1::MarkForDeploymentResponse r;
    return generator->MarkForDeployment(c, request, &r);
  });
  call("Generate ../../etc", [&](grpc::ClientContext* c) {
    v1::GenerateRequest request;
    request.set_service("../../etc");
    v1::GenerateResponse r;
    return generator->Generate(c, request, &r);
  });
  call("PutApp ../x", [&](grpc::ClientContext* c) {
    v1::PutAppRequest request;
    request.mutable_app()->set_id("../x");
    request.mutable_app()->set_cmd("true");
    v1::PutAppResponse r;
    return agent->PutApp(c, request, &r);
  });
  call("RunTask ../x", [&](grpc::ClientContext* c) {
    v1::RunTaskRequest request;
    request.set_run_id("../../x");
    request.set_job_name("x");
    request.mutable_task()->set_cmd("true");
    v1::RunTaskResponse r;
    return agent->RunTask(c, request, &r);
  });
  // Oversized: 5 MiB in one field (gRPC's limit is 4 MiB).
  const std::string huge(5 << 20, 'x');
  call("MarkForDeployment 5 MiB", [&](grpc::ClientContext* c) {
    v1::MarkForDeploymentRequest request;
    request.set_service(huge);
    v1::MarkForDeploymentResponse r;
    return generator->MarkForDeployment(c, request, &r);
  });
  call("PutApp 5 MiB", [&](grpc::ClientContext* c) {
    v1::PutAppRequest request;
    request.mutable_app()->set_id("big.main.git1.config1");
    request.mutable_app()->set_cmd(huge);
    v1::PutAppResponse r;
    return agent->PutApp(c, request, &r);
  });

  for (const auto& [what, status] : answers) {
    EXPECT_FALSE(status.ok()) << what;
    EXPECT_NE(status.error_code(), grpc::StatusCode::UNAVAILABLE) << what << ": the daemon answered";
    EXPECT_NE(status.error_code(), grpc::StatusCode::INTERNAL) << what << ": " << status.error_message();
    EXPECT_NE(status.error_code(), grpc::StatusCode::UNKNOWN) << what << ": " << status.error_message();
    EXPECT_FALSE(status.error_message().empty()) << what;
    std::cout << "[ " << what << " -> " << status.error_code() << " " << status.error_message().substr(0, 160)
              << " ]\n";
  }
  EXPECT_FALSE(fs::exists(state_ + "/x")) << "nothing was written outside the state folder";
  ExpectNothingChanged(apps, "the RPCs");
}

}  // namespace
}  // namespace paasta
