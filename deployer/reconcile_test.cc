// The reconcile step against a fake orchestrator (apps and tasks in memory,
// tasks turning healthy when the test says) and a fake drainer (drained tasks
// become safe to kill when the test says; some drains can fail).
#include "deployer/reconcile.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/config/soa_loader.h"
#include "gtest/gtest.h"

namespace paasta::deployer {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1795846142);

class FakeOrchestrator : public Orchestrator {
 public:
  absl::StatusOr<std::vector<OrchestratorApp>> ListApps(const std::string& prefix) override {
    std::vector<OrchestratorApp> out;
    for (const auto& [id, app] : apps) {
      if (id.rfind(prefix, 0) == 0) out.push_back(app);
    }
    return out;
  }
  absl::Status CreateApp(const ComposedApp& app) override {
    OrchestratorApp& created = apps[app.id];
    created.id = app.id;
    created.has_health_checks = !app.app["health_checks"].empty();
    Scale(created, app.instances);
    ++creates;
    return absl::OkStatus();
  }
  absl::Status ScaleApp(const std::string& id, int64_t instances) override {
    Scale(apps[id], instances);
    return absl::OkStatus();
  }
  absl::Status DeleteApp(const std::string& id) override {
    apps.erase(id);
    deleted.push_back(id);
    return absl::OkStatus();
  }
  absl::Status SetLabel(const std::string& id, const std::string& key, const std::string& value) override {
    apps[id].labels[key] = value;
    return absl::OkStatus();
  }
  absl::Status KillTasks(const std::vector<std::string>& ids, bool scale) override {
    for (auto& [id, app] : apps) {
      for (const std::string& task : ids) {
        auto it =
            std::find_if(app.tasks.begin(), app.tasks.end(), [&](const OrchestratorTask& t) { return t.id == task; });
        if (it == app.tasks.end()) continue;
        app.tasks.erase(it);
        if (scale) --app.instances;
        killed.insert(task);
      }
    }
    return absl::OkStatus();
  }

  // Tasks turn running and healthy, `count` at most.
  void Heal(const std::string& app_id, int count) {
    for (OrchestratorTask& task : apps[app_id].tasks) {
      if (count == 0) break;
      if (task.alive_results > 0) continue;
      task.started = true;
      task.started_at = kNow - absl::Minutes(5);
      task.health_results = 1;
      task.alive_results = 1;
      --count;
    }
  }
  int Healthy() {
    int healthy = 0;
    for (const auto& [id, app] : apps) {
      for (const OrchestratorTask& task : app.tasks) healthy += task.alive_results > 0;
    }
    return healthy;
  }
  void AddHealthyApp(const std::string& id, int instances) {
    OrchestratorApp& app = apps[id];
    app.id = id;
    app.has_health_checks = true;
    Scale(app, instances);
    Heal(id, instances);
  }

  std::map<std::string, OrchestratorApp> apps;
  std::set<std::string> killed;
  std::vector<std::string> deleted;
  int creates = 0;

 private:
  void Scale(OrchestratorApp& app, int64_t instances) {
    app.instances = instances;
    while (static_cast<int64_t>(app.tasks.size()) < instances) {
      OrchestratorTask task;
      task.id = absl::StrCat(app.id, ".t", next_++);
      task.app_id = app.id;
      task.host = "127.0.0.1";
      task.ports = {31000 + next_};
      app.tasks.push_back(task);
    }
    while (static_cast<int64_t>(app.tasks.size()) > instances) app.tasks.pop_back();
  }
  int next_ = 0;
};

class FakeDrainer : public DrainClient {
 public:
  absl::Status Drain(const DrainTarget& target) override {
    if (failing.count(target.task.id) != 0) return absl::UnavailableError("hacheck is down");
    drained.insert(target.task.id);
    return absl::OkStatus();
  }
  absl::Status StopDraining(const DrainTarget& target) override {
    drained.erase(target.task.id);
    undrained.insert(target.task.id);
    return absl::OkStatus();
  }
  absl::StatusOr<bool> IsDraining(const DrainTarget& target) override { return drained.count(target.task.id) != 0; }
  absl::StatusOr<bool> IsSafeToKill(const DrainTarget& target) override {
    return drained.count(target.task.id) != 0 && safe;
  }
  std::set<std::string> drained, undrained, failing;
  bool safe = true;
};

config::MarathonInstanceConfig Config(const std::string& bounce_method = "crossover") {
  std::vector<config::Problem> problems;
  auto service = config::SoaDir("examples/soa-configs").LoadService("example_service", &problems);
  config::MarathonInstanceConfig config = service->marathon.at(0);
  config.bounce_method = bounce_method;
  return config;
}

ComposedApp Desired(const std::string& id, int64_t instances) {
  ComposedApp app;
  app.id = id;
  app.instances = instances;
  app.app = {{"health_checks", nlohmann::json::array({{{"protocol", "HTTP"}}})}};
  return app;
}

TEST(ReconcileTest, AFreshDeployCreatesTheApp) {
  FakeOrchestrator orchestrator;
  FakeDrainer drainer;
  const auto result =
      ReconcileInstance(Config(), Desired("example--service.main.git1.config1", 2), orchestrator, drainer, kNow);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(orchestrator.creates, 1);
  EXPECT_EQ(orchestrator.apps.at("example--service.main.git1.config1").instances, 2);
  EXPECT_FALSE(result->bounce_in_progress);
  EXPECT_EQ(result->actions, "created example--service.main.git1.config1");
}

TEST(ReconcileTest, CrossoverNeverDropsBelowTheInstanceCount) {
  FakeOrchestrator orchestrator;
  FakeDrainer drainer;
  orchestrator.AddHealthyApp("example--service.main.git1.config1", 3);
  // Another service's app sharing the prefix but not the instance is untouched.
  orchestrator.AddHealthyApp("example--service.main--worker.git1.config1", 1);
  const ComposedApp desired = Desired("example--service.main.git2.config2", 3);
  for (int pass = 0; pass < 10; ++pass) {
    const auto result = ReconcileInstance(Config(), desired, orchestrator, drainer, kNow);
    ASSERT_TRUE(result.ok()) << result.status();
    // At every observed moment: at least 3 healthy tasks of the instance.
    EXPECT_GE(orchestrator.Healthy() - 1, 3) << "pass " << pass << ": " << result->actions;
    orchestrator.Heal(desired.id, 1);  // one new task becomes healthy per pass
  }
  EXPECT_EQ(orchestrator.apps.count("example--service.main.git1.config1"), 0u) << "old app deleted";
  EXPECT_EQ(orchestrator.apps.at(desired.id).tasks.size(), 3u);
  EXPECT_EQ(orchestrator.apps.count("example--service.main--worker.git1.config1"), 1u);
  const auto steady = ReconcileInstance(Config(), desired, orchestrator, drainer, kNow);
  EXPECT_FALSE(steady->bounce_in_progress);
  EXPECT_EQ(steady->healthy, 3);
  EXPECT_EQ(steady->actions, "");
}

TEST(ReconcileTest, WithCheckHaproxyNewTasksAreHappyOnlyOnceHaproxyHasThemUp) {
  // example_service.main is in smartstack: its bounce health params default to
  // {check_haproxy: true}.
  FakeOrchestrator orchestrator;
  FakeDrainer drainer;
  orchestrator.AddHealthyApp("example--service.main.git1.config1", 2);
  orchestrator.AddHealthyApp("example--service.main.git2.config2", 2);
  const ComposedApp desired = Desired("example--service.main.git2.config2", 2);
  std::set<std::string> up;
  for (const OrchestratorTask& task : orchestrator.apps["example--service.main.git1.config1"].tasks) {
    up.insert(absl::StrCat(task.host, ":", task.ports[0]));
  }
  auto result = ReconcileInstance(Config(), desired, *orchestrator.ListApps(""), orchestrator, drainer, kNow, &up);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(drainer.drained.empty()) << "the new tasks pass their checks but take no traffic yet";
  EXPECT_EQ(result->healthy, 0);

  for (const OrchestratorTask& task : orchestrator.apps[desired.id].tasks) {
    up.insert(absl::StrCat(task.host, ":", task.ports[0]));
  }
  result = ReconcileInstance(Config(), desired, *orchestrator.ListApps(""), orchestrator, drainer, kNow, &up);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(drainer.drained.size(), 2u) << "now in HAProxy: the old tasks are drained";
  // Without SmartStack's view, the health checks decide alone.
  FakeDrainer other;
  result = ReconcileInstance(Config(), desired, *orchestrator.ListApps(""), orchestrator, other, kNow, nullptr);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->healthy, 2);
}

TEST(ReconcileTest, NothingIsKilledBeforeTheDrainerSaysSafe) {
  FakeOrchestrator orchestrator;
  FakeDrainer drainer;
  drainer.safe = false;
  orchestrator.AddHealthyApp("example--service.main.git1.config1", 2);
  orchestrator.AddHealthyApp("example--service.main.git2.config2", 2);
  const auto result =
      ReconcileInstance(Config(), Desired("example--service.main.git2.config2", 2), orchestrator, drainer, kNow);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(drainer.drained.size(), 2u);
  EXPECT_TRUE(orchestrator.killed.empty());
  EXPECT_TRUE(result->bounce_in_progress);
  drainer.safe = true;
  ASSERT_TRUE(
      ReconcileInstance(Config(), Desired("example--service.main.git2.config2", 2), orchestrator, drainer, kNow).ok());
  EXPECT_EQ(orchestrator.killed.size(), 2u);
  EXPECT_EQ(orchestrator.deleted, std::vector<std::string>{"example--service.main.git1.config1"});
}

TEST(ReconcileTest, ATaskThatCannotBeDrainedIsKilledAtOnce) {
  FakeOrchestrator orchestrator;
  FakeDrainer drainer;
  drainer.safe = false;
  orchestrator.AddHealthyApp("example--service.main.git1.config1", 1);
  orchestrator.AddHealthyApp("example--service.main.git2.config2", 1);
  drainer.failing.insert(orchestrator.apps.at("example--service.main.git1.config1").tasks[0].id);
  ASSERT_TRUE(
      ReconcileInstance(Config("brutal"), Desired("example--service.main.git2.config2", 1), orchestrator, drainer, kNow)
          .ok());
  EXPECT_EQ(orchestrator.killed.size(), 1u);
}

TEST(ReconcileTest, ScalingChangesTheCountInPlace) {
  FakeOrchestrator orchestrator;
  FakeDrainer drainer;
  orchestrator.AddHealthyApp("example--service.main.git1.config1", 3);
  auto result =
      ReconcileInstance(Config(), Desired("example--service.main.git1.config1", 5), orchestrator, drainer, kNow);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(orchestrator.apps.at("example--service.main.git1.config1").instances, 5);
  EXPECT_EQ(orchestrator.creates, 0);
  EXPECT_TRUE(drainer.drained.empty());
  // Down to 1: two tasks drained and killed (scaling the app down), no new app.
  result = ReconcileInstance(Config(), Desired("example--service.main.git1.config1", 1), orchestrator, drainer, kNow);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(orchestrator.killed.size(), 4u) << "4 of the 5 (the 2 new unhealthy ones first)";
  EXPECT_EQ(orchestrator.apps.at("example--service.main.git1.config1").instances, 1);
  EXPECT_EQ(orchestrator.creates, 0);
}

TEST(ReconcileTest, StopDrainsEverythingAndKeepsTheApp) {
  FakeOrchestrator orchestrator;
  FakeDrainer drainer;
  orchestrator.AddHealthyApp("example--service.main.git1.config1", 2);
  const auto result =
      ReconcileInstance(Config(), Desired("example--service.main.git1.config1", 0), orchestrator, drainer, kNow);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(orchestrator.killed.size(), 2u);
  EXPECT_EQ(orchestrator.apps.at("example--service.main.git1.config1").instances, 0);
  EXPECT_TRUE(orchestrator.deleted.empty());
}

TEST(ReconcileTest, ARollbackUndrainsTheTasksItKeeps) {
  FakeOrchestrator orchestrator;
  FakeDrainer drainer;
  drainer.safe = false;
  orchestrator.AddHealthyApp("example--service.main.git1.config1", 2);
  orchestrator.AddHealthyApp("example--service.main.git2.config2", 2);
  // Bounce toward git2 starts: git1's tasks are draining...
  ASSERT_TRUE(
      ReconcileInstance(Config(), Desired("example--service.main.git2.config2", 2), orchestrator, drainer, kNow).ok());
  EXPECT_EQ(drainer.drained.size(), 2u);
  // ...then a rollback to git1: its tasks come back into service.
  ASSERT_TRUE(
      ReconcileInstance(Config(), Desired("example--service.main.git1.config1", 2), orchestrator, drainer, kNow).ok());
  for (const OrchestratorTask& task : orchestrator.apps.at("example--service.main.git1.config1").tasks) {
    EXPECT_EQ(drainer.undrained.count(task.id), 1u) << task.id;
  }
}

}  // namespace
}  // namespace paasta::deployer
