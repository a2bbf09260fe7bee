// The monitor's pass over real soa-config files on an injected clock, with an
// engine and status sources that answer what the test sets.
#include "monitor/monitor.h"

#include <map>
#include <set>

#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace paasta::monitor {
namespace {

using google::protobuf::util::TimeUtil;

constexpr char kSha[] = "3f596a503944b7ef7b534e00087d9c7f2f1c511a";

class FakeEngine : public deployer::Orchestrator {
 public:
  absl::StatusOr<std::vector<deployer::OrchestratorApp>> ListApps(const std::string&) override {
    if (down) return absl::UnavailableError("the agent is down");
    return apps;
  }
  absl::Status CreateApp(const deployer::ComposedApp&) override { return absl::UnimplementedError("read only"); }
  absl::Status ScaleApp(const std::string&, int64_t) override { return absl::UnimplementedError("read only"); }
  absl::Status DeleteApp(const std::string&) override { return absl::UnimplementedError("read only"); }
  absl::Status KillTasks(const std::vector<std::string>&, bool) override {
    return absl::UnimplementedError("read only");
  }
  absl::Status SetLabel(const std::string&, const std::string&, const std::string&) override {
    return absl::UnimplementedError("read only");
  }
  std::vector<deployer::OrchestratorApp> apps;
  bool down = false;
};

class FakeStatuses : public StatusSource {
 public:
  absl::StatusOr<std::vector<v1::InstanceStatus>> DeployStatuses() override {
    if (down) return absl::UnavailableError("down");
    return deploys;
  }
  absl::StatusOr<std::vector<v1::JobStatus>> JobStatuses() override {
    if (down) return absl::UnavailableError("down");
    return jobs;
  }
  std::vector<v1::InstanceStatus> deploys;
  std::vector<v1::JobStatus> jobs;
  bool down = false;
};

class MonitorTest : public ::testing::Test {
 protected:
  MonitorTest() : dir_(paasta::testing::NewTempDir("monitor")) {
    Write("etc/cluster.json", R"({"cluster": "local", "volumes": []})");
    Write("soa/svc/marathon-local.yaml", R"(
main:
  instances: 4
canary:
  instances: 1
  nerve_ns: main
stopped:
  instances: 3
strict:
  instances: 2
  replication_threshold: 100
)");
    Write("soa/svc/monitoring.yaml", "team: web\nrunbook: http://runbooks/svc\nalert_after: 30s\n");
    Write("soa/svc/chronos-local.yaml", "nightly:\n  schedule: R/2016-01-01T00:00:00Z/P1D\n  cmd: ./run\n");
    std::string v1;
    for (const char* instance : {"main", "canary", "stopped", "strict"}) {
      v1 += absl::StrCat(v1.empty() ? "" : ", ", R"("svc:paasta-local.)", instance, R"(": {"docker_image": )",
                         R"("services-svc:paasta-)", kSha, R"(", "desired_state": ")",
                         std::string(instance) == "stopped" ? "stop" : "start", R"(", "force_bounce": null})");
    }
    Write("soa/svc/deployments.json", absl::StrCat(R"({"v1": {)", v1, "}}"));
    MonitorOptions options;
    options.soa_dir = dir_ + "/soa";
    options.system_config_dir = dir_ + "/etc";
    monitor_ = std::make_unique<Monitor>(options, &engine_, &statuses_, &clock_);
  }

  void Write(const std::string& relative, const std::string& text) {
    const std::string path = dir_ + "/" + relative;
    ASSERT_TRUE(MakeDirs(path.substr(0, path.rfind('/'))).ok());
    ASSERT_TRUE(WriteFileAtomically(path, text).ok());
  }

  // An app of svc.<instance> with tasks started `ages` ago (negative: unhealthy).
  void App(const std::string& instance, const std::vector<int>& ages) {
    deployer::OrchestratorApp& app = engine_.apps.emplace_back();
    app.id = absl::StrCat("svc.", instance, ".git3f596a50.config01234567");
    app.has_health_checks = true;
    for (int age : ages) {
      deployer::OrchestratorTask& task = app.tasks.emplace_back();
      task.started = true;
      task.started_at = clock_.Now() - absl::Seconds(age < 0 ? -age : age);
      task.health_results = 1;
      task.alive_results = age < 0 ? 0 : 1;
    }
  }

  v1::Replication Replication(const std::string& instance) {
    for (const v1::Replication& r : monitor_->Replications("svc")) {
      if (r.instance().instance() == instance) return r;
    }
    ADD_FAILURE() << "no replication for " << instance;
    return v1::Replication();
  }

  v1::AlertState State(const std::string& check, const std::string& instance) {
    for (const v1::Alert& alert : monitor_->Alerts("", true)) {
      if (alert.check() == check && alert.instance().instance() == instance) return alert.state();
    }
    return v1::ALERT_STATE_UNSPECIFIED;
  }

  const std::string dir_;
  FakeClock clock_{absl::FromUnixSeconds(1461578400)};
  FakeEngine engine_;
  FakeStatuses statuses_;
  std::unique_ptr<Monitor> monitor_;
};

TEST_F(MonitorTest, CountsHealthyTasksUpAMinuteAgainstTheNamespacesExpectedCount) {
  App("main", {120, 90, 10, -300});  // one too young, one unhealthy
  App("canary", {600});
  App("strict", {600, 600});
  monitor_->Check();
  const v1::Replication main = Replication("main");
  EXPECT_EQ(main.expected(), 5) << "main's 4 and the canary registering as main";
  EXPECT_EQ(main.available(), 2);
  EXPECT_DOUBLE_EQ(main.ratio_percent(), 40);
  EXPECT_TRUE(main.under_replicated());
  EXPECT_EQ(Replication("canary").expected(), 0) << "the canary registers in main's namespace";
  EXPECT_FALSE(Replication("canary").under_replicated());
  EXPECT_EQ(Replication("stopped").expected(), 0);
  EXPECT_FALSE(Replication("stopped").under_replicated()) << "a stopped instance never alerts";
  EXPECT_FALSE(Replication("strict").under_replicated());
  EXPECT_EQ(Replication("strict").threshold_percent(), 100);

  // alert_after 30 s (monitoring.yaml): pending, then firing, then OK at once.
  EXPECT_EQ(State("check_marathon_services_replication", "main"), v1::ALERT_STATE_PENDING);
  clock_.Advance(absl::Seconds(30));
  monitor_->Check();
  EXPECT_EQ(State("check_marathon_services_replication", "main"), v1::ALERT_STATE_FIRING);
  engine_.apps[0].tasks[2].started_at -= absl::Minutes(5);  // now up long enough: 3 of 5
  monitor_->Check();
  EXPECT_EQ(State("check_marathon_services_replication", "main"), v1::ALERT_STATE_OK);
  EXPECT_EQ(State("check_marathon_services_replication", "stopped"), v1::ALERT_STATE_OK);
}

TEST_F(MonitorTest, DeployErrorsAndFailedOrMissedJobsAlertUntilTheyClear) {
  v1::InstanceStatus& deploy = statuses_.deploys.emplace_back();
  deploy.mutable_instance()->set_service("svc");
  deploy.mutable_instance()->set_instance("main");
  deploy.set_last_error("no docker image for svc.main");
  v1::JobStatus& job = statuses_.jobs.emplace_back();
  job.mutable_instance()->set_service("svc");
  job.mutable_instance()->set_instance("nightly");
  *job.mutable_last_success() = TimeUtil::SecondsToTimestamp(1461500000);
  *job.mutable_last_failure() = TimeUtil::SecondsToTimestamp(1461510000);
  v1::JobStatus& rerun = statuses_.jobs.emplace_back(job);  // reruns never alert
  rerun.set_launched_by_rerun(true);
  monitor_->Check();
  clock_.Advance(absl::Seconds(31));
  monitor_->Check();
  EXPECT_EQ(State("setup_marathon_job", "main"), v1::ALERT_STATE_FIRING);
  EXPECT_EQ(State("check_chronos_jobs", "nightly"), v1::ALERT_STATE_FIRING);
  std::vector<v1::Alert> alerts = monitor_->Alerts("svc", false);
  bool job_message = false;
  for (const v1::Alert& alert : alerts) {
    job_message |= alert.message() ==
                   "Job svc.nightly: its last run failed (2016-04-24T15:00:00Z) and none "
                   "succeeded since";
    EXPECT_EQ(alert.team(), "web");
    EXPECT_EQ(alert.instance().cluster(), "local");
  }
  EXPECT_TRUE(job_message);

  // The sources cannot be read: alerts stay as they were.
  statuses_.down = true;
  monitor_->Check();
  EXPECT_EQ(State("setup_marathon_job", "main"), v1::ALERT_STATE_FIRING);
  statuses_.down = false;

  // A pass succeeds and a run succeeds: OK. Then a missed run: pending again.
  statuses_.deploys[0].clear_last_error();
  *statuses_.jobs[0].mutable_last_success() = TimeUtil::SecondsToTimestamp(1461520000);
  monitor_->Check();
  EXPECT_EQ(State("setup_marathon_job", "main"), v1::ALERT_STATE_OK);
  EXPECT_EQ(State("check_chronos_jobs", "nightly"), v1::ALERT_STATE_OK);
  *statuses_.jobs[0].mutable_last_missed() = TimeUtil::SecondsToTimestamp(1461530000);
  monitor_->Check();
  EXPECT_EQ(State("check_chronos_jobs", "nightly"), v1::ALERT_STATE_PENDING);
}

TEST_F(MonitorTest, AnEngineThatCannotBeReadKeepsTheLastReplicationAndAlerts) {
  App("main", {600});
  monitor_->Check();
  clock_.Advance(absl::Seconds(31));
  monitor_->Check();
  ASSERT_EQ(State("check_marathon_services_replication", "main"), v1::ALERT_STATE_FIRING);
  engine_.down = true;
  const PassReport report = monitor_->Check();
  EXPECT_FALSE(report.engine_read);
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0], "engine: the agent is down");
  EXPECT_EQ(State("check_marathon_services_replication", "main"), v1::ALERT_STATE_FIRING);
  EXPECT_EQ(Replication("main").available(), 1);
}

class FakeBackends : public deployer::BackendSource {
 public:
  absl::StatusOr<std::map<std::string, std::set<std::string>>> UpBackends() override { return up; }
  std::map<std::string, std::set<std::string>> up;
};

TEST_F(MonitorTest, SmartstackInstancesAreCountedByHaproxysBackendsUpInTheirOwnNamespace) {
  Write("soa/svc/smartstack.yaml", "main:\n  proxy_port: 20001\n");
  FakeBackends backends;
  backends.up["svc.main"] = {"127.0.0.1:31001", "127.0.0.1:31002", "127.0.0.1:31003"};
  App("main", {600, 600});  // the tasks do not count: HAProxy does
  MonitorOptions options;
  options.soa_dir = dir_ + "/soa";
  options.system_config_dir = dir_ + "/etc";
  monitor_ = std::make_unique<Monitor>(options, &engine_, &statuses_, &clock_, &backends);
  monitor_->Check();
  const v1::Replication main = Replication("main");
  EXPECT_EQ(main.source(), v1::REPLICATION_SOURCE_SMARTSTACK);
  EXPECT_EQ(main.available(), 3);
  EXPECT_EQ(main.expected(), 5);
  EXPECT_FALSE(main.under_replicated());
  for (const v1::Replication& r : monitor_->Replications("svc")) {
    EXPECT_NE(r.instance().instance(), "canary") << "the canary registers in main: counted there";
  }
  EXPECT_EQ(Replication("strict").source(), v1::REPLICATION_SOURCE_TASKS) << "not in a proxied namespace";
  backends.up["svc.main"].clear();
  monitor_->Check();
  EXPECT_TRUE(Replication("main").under_replicated());
}

TEST(ParseAlertAfterTest, TheOriginalsForms) {
  EXPECT_EQ(ParseAlertAfter("2m", absl::Minutes(5)), absl::Minutes(2));
  EXPECT_EQ(ParseAlertAfter("30s", absl::Minutes(5)), absl::Seconds(30));
  EXPECT_EQ(ParseAlertAfter("1h30m", absl::Minutes(5)), absl::Minutes(90));
  EXPECT_EQ(ParseAlertAfter("45", absl::Minutes(5)), absl::Seconds(45));
  EXPECT_EQ(ParseAlertAfter("", absl::Minutes(5)), absl::Minutes(5));
  EXPECT_EQ(ParseAlertAfter("soon", absl::Minutes(5)), absl::Minutes(5));
}

}  // namespace
}  // namespace paasta::monitor
