// The bridge's syncs and controls over real soa-config files, with the embedded
// scheduler (SQLite in a temp folder) on an injected clock and a launcher whose
// runs end when the test says.
#include "scheduler-bridge/bridge.h"

#include <fstream>

#include "absl/time/civil_time.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler-bridge/embedded_scheduler.h"
#include "scheduler-bridge/testing/fake_launcher.h"

namespace paasta::scheduler {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kSha1[] = "1111111111111111111111111111111111111111";
constexpr char kSha2[] = "2222222222222222222222222222222222222222";

absl::Time At(int h, int m, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(2016, 4, 25, h, m, s), absl::UTCTimeZone());
}

std::vector<std::string> Names(const google::protobuf::RepeatedPtrField<std::string>& names) {
  return {names.begin(), names.end()};
}

class BridgeTest : public ::testing::Test {
 protected:
  BridgeTest() : root_(paasta::testing::NewTempDir("bridge")) {
    Write("etc/cluster.json", R"({"cluster": "local", "volumes": []})");
    Write("soa/batch/service.yaml", "git_url: /srv/git/batch\n");
    Write("soa/batch/chronos-local.yaml", R"(
extract:
  schedule: R/2016-01-01T00:00:00Z/PT1H
  cmd: ./extract --date %(shortdate)s
publish:
  parents: [batch.extract]
  cmd: ./publish
)");
    Write("soa/other/chronos-local.yaml", "load:\n  schedule: R/2016-01-01T00:30:00Z/PT1H\n  cmd: ./load\n");
    Deploy("batch", {"extract", "publish"}, kSha1, "start");
    Deploy("other", {"load"}, kSha1, "start");
    OpenScheduler();
    BridgeOptions options;
    options.soa_dir = root_ + "/soa";
    options.system_config_dir = root_ + "/etc";
    options.state_dir = root_ + "/state";
    bridge_ = std::make_unique<Bridge>(options, scheduler_.get(), &clock_);
  }

  void OpenScheduler() {
    scheduler_.reset();
    absl::StatusOr<std::unique_ptr<EmbeddedScheduler>> opened =
        EmbeddedScheduler::Open(root_ + "/scheduler.sqlite", &launcher_, &clock_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    scheduler_ = std::move(*opened);
  }

  void Write(const std::string& relative, const std::string& content) {
    const std::string path = root_ + "/" + relative;
    ASSERT_TRUE(MakeDirs(path.substr(0, path.rfind('/'))).ok());
    ASSERT_TRUE(WriteFileAtomically(path, content).ok());
  }

  void Deploy(const std::string& service, const std::vector<std::string>& instances, const std::string& sha,
              const std::string& state) {
    nlohmann::json v1 = nlohmann::json::object();
    for (const std::string& instance : instances) {
      v1[service + ":paasta-local." + instance] = {{"docker_image", "services-" + service + ":paasta-" + sha},
                                                   {"desired_state", state},
                                                   {"force_bounce", nullptr}};
    }
    Write("soa/" + service + "/deployments.json", nlohmann::json{{"v1", v1}}.dump());
  }

  v1::JobStatus Status(const std::string& service, const std::string& instance) {
    absl::StatusOr<v1::JobStatus> status = bridge_->Get(service, instance);
    EXPECT_TRUE(status.ok()) << status.status();
    return status.ok() ? *status : v1::JobStatus();
  }

  const std::string root_;
  FakeClock clock_{At(9, 59)};
  testing::FakeLauncher launcher_;
  std::unique_ptr<EmbeddedScheduler> scheduler_;
  std::unique_ptr<Bridge> bridge_;
};

TEST_F(BridgeTest, SyncCreatesUpdatesOnlyOnHashChangeAndRemovesJobsWhoseConfigIsGone) {
  v1::SyncResponse first = bridge_->Sync("");
  EXPECT_THAT(Names(first.created()), ElementsAre("batch extract", "other load", "batch publish"))
      << "scheduled jobs first, so parents exist before their children";
  EXPECT_THAT(Names(first.errors()), IsEmpty());
  EXPECT_THAT(Names(bridge_->Sync("").updated()), IsEmpty()) << "nothing changed, nothing updated";

  Write("soa/other/chronos-local.yaml", "load:\n  schedule: R/2016-01-01T00:30:00Z/PT1H\n  cmd: ./load --all\n");
  v1::SyncResponse changed = bridge_->Sync("");
  EXPECT_THAT(Names(changed.updated()), ElementsAre("other load"));
  EXPECT_EQ(Status("other", "load").job().command(), "./load --all");

  clock_.Set(At(10, 0) + absl::Hours(24));  // a new day: the rendered date changes the hash
  EXPECT_THAT(Names(bridge_->Sync("").updated()), ElementsAre("batch extract"));

  Write("soa/other/chronos-local.yaml", "{}\n");
  v1::SyncResponse removed = bridge_->Sync("");
  EXPECT_THAT(Names(removed.removed()), ElementsAre("other load"));
  EXPECT_EQ(bridge_->Get("other", "load").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(BridgeTest, AnUnreadableConfigNeverRemovesOrChangesJobs) {
  bridge_->Sync("");
  Write("soa/other/chronos-local.yaml", "load: [unclosed\n");
  v1::SyncResponse sync = bridge_->Sync("");
  EXPECT_THAT(Names(sync.removed()), IsEmpty());
  EXPECT_EQ(scheduler_->ListJobs()->size(), 3u);

  // A bad key in one job: that job keeps running as it was, the others sync.
  Write("soa/other/chronos-local.yaml", "load:\n  schedule: R/2016-01-01T00:30:00Z/PT1H\n  cmd: ./load\n");
  Write("soa/batch/chronos-local.yaml", R"(
extract:
  schedule: R/2016-01-01T00:00:00Z/PT10S
  cmd: ./extract --date %(shortdate)s
publish:
  parents: [batch.extract]
  cmd: ./publish --v2
)");
  sync = bridge_->Sync("");
  EXPECT_THAT(Names(sync.updated()), ElementsAre("batch publish"));
  EXPECT_THAT(Names(sync.removed()), IsEmpty());
  const v1::JobStatus extract = Status("batch", "extract");
  EXPECT_EQ(extract.job().schedule(), "R/2016-01-01T00:00:00Z/PT1H");
  EXPECT_THAT(extract.last_error(), HasSubstr("chronos-local.yaml"));
  EXPECT_THAT(extract.last_error(), HasSubstr("batch.extract"));
  EXPECT_THAT(extract.last_error(), HasSubstr("schedule"));
}

TEST_F(BridgeTest, StopAndStartThroughDeploymentsDisableAndEnable) {
  bridge_->Sync("");
  EXPECT_FALSE(Status("batch", "extract").job().disabled());
  EXPECT_EQ(Status("batch", "extract").desired_state(), v1::DESIRED_STATE_START);
  Deploy("batch", {"extract", "publish"}, kSha1, "stop");
  EXPECT_THAT(Names(bridge_->Sync("batch").updated()), UnorderedElementsAre("batch extract", "batch publish"));
  EXPECT_TRUE(Status("batch", "extract").job().disabled());
  EXPECT_EQ(Status("batch", "extract").desired_state(), v1::DESIRED_STATE_STOP);
  clock_.Set(At(10, 0));
  scheduler_->Tick();
  EXPECT_THAT(launcher_.launched(), IsEmpty());
  EXPECT_EQ(bridge_->StartNow("batch", "extract").status().code(), absl::StatusCode::kFailedPrecondition)
      << "emergency-start does nothing for a disabled job";
}

TEST_F(BridgeTest, EmergencyStopKillsAndHoldsUntilTheNextDeployAcrossRestarts) {
  bridge_->Sync("");
  clock_.Set(At(10, 0));
  scheduler_->Tick();
  ASSERT_THAT(launcher_.launched_jobs(), ElementsAre("batch extract"));
  absl::StatusOr<int> killed = bridge_->Stop("batch", "extract");
  ASSERT_TRUE(killed.ok()) << killed.status().ToString();
  EXPECT_EQ(*killed, 1);
  EXPECT_EQ(launcher_.kills(), 1);
  EXPECT_TRUE(Status("batch", "extract").job().disabled());

  // A new bridge (restart) still holds it.
  BridgeOptions options;
  options.soa_dir = root_ + "/soa";
  options.system_config_dir = root_ + "/etc";
  options.state_dir = root_ + "/state";
  bridge_ = std::make_unique<Bridge>(options, scheduler_.get(), &clock_);
  bridge_->Sync("");
  EXPECT_TRUE(Status("batch", "extract").job().disabled());
  clock_.Set(At(11, 0));
  scheduler_->Tick();
  EXPECT_EQ(launcher_.launched().size(), 1u);

  Deploy("batch", {"extract", "publish"}, kSha2, "start");  // the next deploy
  bridge_->Sync("");
  EXPECT_FALSE(Status("batch", "extract").job().disabled());
  clock_.Set(At(12, 0));
  scheduler_->Tick();
  EXPECT_EQ(launcher_.launched().size(), 2u);
}

TEST_F(BridgeTest, RerunRendersTheDateTriggersNoChildAndNeedsADateForVariables) {
  bridge_->Sync("");
  clock_.Set(At(10, 20));
  absl::StatusOr<Bridge::Rerun> refused = bridge_->RerunJob("batch", "extract", std::nullopt);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(),
            "\"extract\" uses time variables interpolation, please supply a `--execution_date` argument.");

  absl::StatusOr<Bridge::Rerun> rerun =
      bridge_->RerunJob("batch", "extract", absl::FromCivil(absl::CivilDay(2016, 3, 1), absl::UTCTimeZone()));
  ASSERT_TRUE(rerun.ok()) << rerun.status();
  EXPECT_EQ(rerun->temporary_job_name, "tmp-2016-04-25T102000000000 batch extract");
  ASSERT_TRUE(rerun->run.has_value());
  EXPECT_EQ(launcher_.launched()[0].command, "./extract --date 2016-03-01");
  launcher_.Finish(rerun->temporary_job_name, 0);
  clock_.Set(At(10, 21));
  scheduler_->Tick();
  EXPECT_THAT(launcher_.launched_jobs(), ElementsAre(rerun->temporary_job_name)) << "publish is not triggered";

  absl::StatusOr<std::vector<v1::JobStatus>> statuses = bridge_->List("batch");
  ASSERT_TRUE(statuses.ok());
  int reruns = 0;
  for (const v1::JobStatus& status : *statuses) reruns += status.launched_by_rerun() ? 1 : 0;
  EXPECT_EQ(reruns, 1) << "visible in paasta status";

  // Without variables no date is needed; the job runs as configured.
  EXPECT_TRUE(bridge_->RerunJob("other", "load", std::nullopt).ok());
  EXPECT_EQ(launcher_.launched().back().command, "./load");
}

TEST_F(BridgeTest, JobsNotDeployedSayWhyInTheirStatus) {
  Write("soa/batch/deployments.json", R"({"v1": {}})");
  bridge_->Sync("");
  const v1::JobStatus status = Status("batch", "extract");
  EXPECT_EQ(status.last_error(), "No deployment found for batch.extract in cluster local. Has Jenkins run for it?");
  EXPECT_FALSE(status.has_job());
}

}  // namespace
}  // namespace paasta::scheduler
