// The Marathon client against an in-test Marathon (deployer/testing/fake_marathon):
// no real Marathon can run here, so the server follows the documented v2 API of
// Marathon 1.4 (external-apis.md §1), including 409 for locked apps and existing
// ids, 404 for unknown apps and 422 for apps that break the field rules.
#include "deployer/marathon_orchestrator.h"

#include <sys/stat.h>

#include "absl/strings/match.h"
#include "common/config/soa_loader.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "deployer/app_composer.h"
#include "deployer/deployer.h"
#include "deployer/testing/fake_marathon.h"
#include "deployer/testing/instant_drainer.h"
#include "gtest/gtest.h"

namespace paasta::deployer {
namespace {

using testing::FakeMarathon;

const std::string kSha = "3f596a503944b7ef7b534e00087d9c7f2f1c511a";

ComposedApp ExampleApp(std::optional<std::string> force_bounce = std::nullopt) {
  std::vector<config::Problem> problems;
  auto service = config::SoaDir("examples/soa-configs").LoadService("example_service", &problems);
  EXPECT_TRUE(service.ok()) << service.status();
  config::SystemConfig system;
  system.cluster = "local";
  system.volumes = std::vector<config::VolumeConfig>{{"/nail/etc", "/nail/etc", "RO"}};
  config::BranchDeployment deployment;
  deployment.docker_image = "services-example_service:paasta-" + kSha;
  deployment.force_bounce = force_bounce;
  auto app = ComposeApp(service->marathon.at(0), deployment, system, 1, "");
  EXPECT_TRUE(app.ok()) << app.status();
  return *app;
}

class MarathonOrchestratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(marathon_.Start().ok());
    client_ = std::make_unique<MarathonOrchestrator>(
        config::MarathonEndpoint{marathon_.url() + "/", "paasta", "secret"},
        MarathonOptions{absl::Seconds(5), 2, absl::Milliseconds(10)});
  }
  FakeMarathon marathon_;
  std::unique_ptr<MarathonOrchestrator> client_;
};

TEST(FakeMarathonTest, FollowsTheDocumentedFieldRules) {
  const nlohmann::json good = MarathonAppJson(ExampleApp().app);
  EXPECT_EQ(FakeMarathon::Validate(good), nlohmann::json::array()) << good.dump(2);
  const auto rejects = [&](const std::string& why, const std::function<void(nlohmann::json&)>& change) {
    nlohmann::json bad = good;
    change(bad);
    EXPECT_FALSE(FakeMarathon::Validate(bad).empty()) << why;
  };
  rejects("_ in the id", [](nlohmann::json& app) { app["id"] = "example_service.main.gitabc.config123"; });
  rejects("cmd and args", [](nlohmann::json& app) { app["args"] = {"x"}; });
  rejects("lowercase protocol", [](nlohmann::json& app) { app["healthChecks"][0]["protocol"] = "http"; });
  rejects("lowercase network", [](nlohmann::json& app) { app["container"]["docker"]["network"] = "bridge"; });
  rejects("EQUALS", [](nlohmann::json& app) { app["constraints"] = {{"host", "EQUALS", "a"}}; });
  rejects("Python's key names", [](nlohmann::json& app) { app["health_checks"] = app["healthChecks"]; });
  EXPECT_TRUE(FakeMarathon::ValidId("/example--service.main.git3f596a50.config1234abcd"));
  EXPECT_FALSE(FakeMarathon::ValidId("/Upper.case"));
}

TEST(MarathonAppJsonTest, CamelCaseAtTheTopAndNoNulls) {
  const nlohmann::json app = MarathonAppJson(ExampleApp().app);
  EXPECT_TRUE(app.contains("healthChecks"));
  EXPECT_TRUE(app.contains("backoffFactor"));
  EXPECT_TRUE(app.contains("maxLaunchDelaySeconds"));
  EXPECT_FALSE(app.contains("health_checks"));
  EXPECT_FALSE(app.contains("args")) << "null args are left out, so cmd alone is sent";
  // Nested user data keeps its keys.
  EXPECT_EQ(app["env"]["PAASTA_SERVICE"], "example_service");
}

TEST_F(MarathonOrchestratorTest, CreateListScaleKillDelete) {
  const ComposedApp app = ExampleApp();
  ASSERT_TRUE(client_->CreateApp(app).ok());
  const nlohmann::json stored = marathon_.App(app.id);
  ASSERT_FALSE(stored.is_null());
  EXPECT_EQ(stored["id"], "/" + app.id);
  EXPECT_EQ(stored["instances"], 2);
  EXPECT_EQ(stored["container"]["docker"]["network"], "BRIDGE");

  // A second create of the same id: 409, named.
  const absl::Status again = client_->CreateApp(app);
  EXPECT_TRUE(absl::IsAlreadyExists(again)) << again;
  EXPECT_TRUE(absl::StrContains(again.message(), "already exists")) << again;
  EXPECT_TRUE(absl::StrContains(again.message(), marathon_.url() + "/v2/apps")) << again;

  // Listing: only ids that start with the prefix, with tasks, ports and health.
  marathon_.Preload({{"id", "/xexample--service.main.gitaaaa.configbbbb"}, {"instances", 1}, {"cmd", "x"}});
  auto apps = client_->ListApps("example--service.main.");
  ASSERT_TRUE(apps.ok()) << apps.status();
  ASSERT_EQ(apps->size(), 1u);
  const OrchestratorApp& listed = (*apps)[0];
  EXPECT_EQ(listed.id, app.id);
  EXPECT_EQ(listed.instances, 2);
  EXPECT_TRUE(listed.has_health_checks);
  ASSERT_EQ(listed.tasks.size(), 2u);
  EXPECT_TRUE(listed.tasks[0].started);
  EXPECT_EQ(listed.tasks[0].health_results, 1);
  EXPECT_EQ(listed.tasks[0].alive_results, 1);
  EXPECT_EQ(listed.tasks[0].app_id, app.id);
  EXPECT_EQ(listed.tasks[0].ports.size(), 1u);

  // Locked by a deployment: changes pass force=true, as the original.
  marathon_.Lock(app.id);
  ASSERT_TRUE(client_->ScaleApp(app.id, 4).ok());
  EXPECT_EQ(marathon_.TaskCount(app.id), 4);
  EXPECT_EQ(marathon_.Requests().back(), "PUT /v2/apps/" + app.id + "?force=true");

  // Kill with scale: gone and not replaced; unknown ids are dropped.
  apps = client_->ListApps("example--service.main.");
  ASSERT_TRUE(apps.ok());
  ASSERT_TRUE(client_->KillTasks({(*apps)[0].tasks[0].id, "example--service.main.gone.0000"}, true).ok());
  EXPECT_EQ(marathon_.TaskCount(app.id), 3);
  EXPECT_EQ(marathon_.App(app.id)["instances"], 3);
  const absl::Status malformed = client_->KillTasks({"nodots"}, true);
  EXPECT_TRUE(absl::IsInvalidArgument(malformed)) << malformed;
  EXPECT_TRUE(absl::StrContains(malformed.message(), "Invalid task id 'nodots'")) << malformed;

  // Labels keep each other.
  ASSERT_TRUE(client_->SetLabel(app.id, "a", "1").ok());
  ASSERT_TRUE(client_->SetLabel(app.id, "b", "2").ok());
  EXPECT_EQ(marathon_.App(app.id)["labels"], (nlohmann::json{{"a", "1"}, {"b", "2"}}));

  ASSERT_TRUE(client_->DeleteApp(app.id).ok());
  EXPECT_TRUE(marathon_.App(app.id).is_null());
  const absl::Status missing = client_->DeleteApp(app.id);
  EXPECT_TRUE(absl::IsNotFound(missing)) << missing;
  EXPECT_TRUE(absl::StrContains(missing.message(), "does not exist")) << missing;
}

TEST_F(MarathonOrchestratorTest, RetriesUnavailableThenNamesTheUrl) {
  marathon_.FailNext(2);  // two retries are allowed
  EXPECT_TRUE(client_->ListApps("x.").ok());
  marathon_.FailNext(3);
  const auto failed = client_->ListApps("x.");
  EXPECT_TRUE(absl::IsUnavailable(failed.status())) << failed.status();
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "GET " + marathon_.url() + "/v2/apps?embed=apps.tasks"))
      << failed.status();
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "Request timed out")) << failed.status();

  MarathonOrchestrator nobody(config::MarathonEndpoint{"http://127.0.0.1:1", "", ""},
                              MarathonOptions{absl::Seconds(2), 0, absl::Milliseconds(1)});
  EXPECT_TRUE(absl::IsUnavailable(nobody.ListApps("x.").status()));
}


TEST_F(MarathonOrchestratorTest, TheDeployerBouncesThroughMarathon) {
  const std::string dir = paasta::testing::NewTempDir("marathon-deployer");
  ::mkdir((dir + "/soa").c_str(), 0755);
  ::mkdir((dir + "/soa/svc").c_str(), 0755);
  ::mkdir((dir + "/etc").c_str(), 0755);
  ASSERT_TRUE(WriteFileAtomically(dir + "/soa/svc/marathon-local.yaml",
                                  "main:\n  instances: 3\n  cmd: ./run\n  deploy_group: local.everything\n")
                  .ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/etc/cluster.json", R"({"cluster": "local", "volumes": []})").ok());
  const auto deploy = [&](const std::string& force_bounce) {
    ASSERT_TRUE(WriteFileAtomically(dir + "/soa/svc/deployments.json",
                                    R"({"v1": {"svc:paasta-local.main": {"desired_state": "start",
                                        "docker_image": "services-svc:paasta-)" + kSha +
                                        R"(", "force_bounce": ")" + force_bounce + R"("}}})")
                    .ok());
  };
  testing::InstantDrainer drainer;
  RealClock clock;
  Deployer deployer({dir + "/soa", dir + "/etc", "", 1}, client_.get(), &drainer, &clock);

  deploy("a");
  deployer.Reconcile("", "");
  auto apps = client_->ListApps("svc.main.");
  ASSERT_TRUE(apps.ok());
  ASSERT_EQ(apps->size(), 1u);
  const std::string first = (*apps)[0].id;
  EXPECT_EQ(marathon_.TaskCount(first), 3);

  // A restart (new force_bounce): a new app beside the old, then the old goes.
  deploy("b");
  for (int pass = 0; pass < 5; ++pass) deployer.Reconcile("", "");
  apps = client_->ListApps("svc.main.");
  ASSERT_TRUE(apps.ok());
  ASSERT_EQ(apps->size(), 1u) << "the old app is deleted";
  EXPECT_NE((*apps)[0].id, first);
  EXPECT_EQ(marathon_.TaskCount((*apps)[0].id), 3);
  const auto status = deployer.Get("svc", "main");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->last_error(), "");
}

}  // namespace
}  // namespace paasta::deployer
