// The embedded scheduler on an injected clock, with a launcher whose runs end
// when the test says.
#include "scheduler-bridge/embedded_scheduler.h"

#include "absl/time/civil_time.h"
#include "common/testing/child_process.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "scheduler-bridge/testing/fake_launcher.h"

namespace paasta::scheduler {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

absl::Time At(int h, int m, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(2016, 4, 25, h, m, s), absl::UTCTimeZone());
}

v1::Job Scheduled(const std::string& name, const std::string& schedule, int epsilon_s = 60, int retries = 2) {
  v1::Job job;
  job.set_name(name);
  job.set_schedule(schedule);
  job.set_shell(true);
  job.set_command(absl::StrCat("run ", name));
  job.mutable_epsilon()->set_seconds(epsilon_s);
  job.set_retries(retries);
  return job;
}

v1::Job Dependent(const std::string& name, const std::vector<std::string>& parents) {
  v1::Job job;
  job.set_name(name);
  for (const std::string& parent : parents) job.add_parents(parent);
  job.set_shell(true);
  job.set_command(absl::StrCat("run ", name));
  job.mutable_epsilon()->set_seconds(60);
  job.set_retries(0);
  return job;
}

class EmbeddedSchedulerTest : public ::testing::Test {
 protected:
  EmbeddedSchedulerTest() : db_(paasta::testing::NewTempDir("scheduler") + "/scheduler.sqlite") { Reopen(); }

  void Reopen() {
    scheduler_.reset();
    absl::StatusOr<std::unique_ptr<EmbeddedScheduler>> opened = EmbeddedScheduler::Open(db_, &launcher_, &clock_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    scheduler_ = std::move(*opened);
  }

  // Moves the clock to `t` and ticks.
  void TickAt(absl::Time t) {
    clock_.Set(t);
    scheduler_->Tick();
  }

  std::vector<v1::RunState> States(const std::string& job) {
    std::vector<v1::RunState> states;
    const absl::StatusOr<std::vector<v1::JobRun>> runs = scheduler_->ListRuns(job, 1000, false);
    for (const v1::JobRun& run : *runs) states.insert(states.begin(), run.state());
    return states;
  }

  EngineJob Job(const std::string& name) {
    const absl::StatusOr<std::vector<EngineJob>> jobs = scheduler_->ListJobs();
    for (const EngineJob& job : *jobs) {
      if (job.job.name() == name) return job;
    }
    ADD_FAILURE() << "no job " << name;
    return {};
  }

  const std::string db_;
  FakeClock clock_{At(9, 59, 30)};
  testing::FakeLauncher launcher_;
  std::unique_ptr<EmbeddedScheduler> scheduler_;
};

TEST_F(EmbeddedSchedulerTest, FiresOnTimeNotBefore) {
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("svc hourly", "R/2016-01-01T00:00:00Z/PT1H")).ok());
  EXPECT_EQ(Job("svc hourly").next_run, At(10, 0));
  TickAt(At(9, 59, 59));
  EXPECT_THAT(launcher_.launched_jobs(), IsEmpty());
  TickAt(At(10, 0, 1));
  ASSERT_THAT(launcher_.launched_jobs(), ElementsAre("svc hourly"));
  const v1::JobRun run = (*scheduler_->ListRuns("svc hourly", 1, false))[0];
  EXPECT_EQ(run.state(), v1::RUN_STATE_RUNNING);
  EXPECT_EQ(run.trigger(), v1::RUN_TRIGGER_SCHEDULE);
  EXPECT_EQ(TimeUtil::TimestampToSeconds(run.scheduled_for()), absl::ToUnixSeconds(At(10, 0)));
  EXPECT_EQ(Job("svc hourly").last_lag, absl::Seconds(1));
  EXPECT_EQ(Job("svc hourly").next_run, At(11, 0));
  EXPECT_EQ(Job("svc hourly").running_tasks, 1);

  launcher_.Finish("svc hourly", 0);
  TickAt(At(10, 0, 2));
  EXPECT_THAT(States("svc hourly"), ElementsAre(v1::RUN_STATE_SUCCEEDED));
  EXPECT_EQ(Job("svc hourly").last_success, At(10, 0, 2));
  EXPECT_EQ(Job("svc hourly").runs, 1);
  EXPECT_EQ(Job("svc hourly").running_tasks, 0);
}

TEST_F(EmbeddedSchedulerTest, ARunLaterThanEpsilonIsSkippedAndRecorded) {
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("svc hourly", "R/2016-01-01T00:00:00Z/PT1H", 30)).ok());
  TickAt(At(10, 0, 31));  // 31 s late, epsilon 30 s
  EXPECT_THAT(launcher_.launched_jobs(), IsEmpty());
  EXPECT_THAT(States("svc hourly"), ElementsAre(v1::RUN_STATE_SKIPPED));
  EXPECT_EQ(Job("svc hourly").last_skipped, At(10, 0));
  TickAt(At(11, 0, 30));  // exactly epsilon late still runs
  EXPECT_THAT(launcher_.launched_jobs(), ElementsAre("svc hourly"));
}

TEST_F(EmbeddedSchedulerTest, ARunDueWhileOneIsGoingIsSkipped) {
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("svc minutely", "R/2016-01-01T00:00:00Z/PT1M")).ok());
  TickAt(At(10, 0));
  TickAt(At(10, 1));  // the 10:00 run is still going
  TickAt(At(10, 2));
  EXPECT_THAT(launcher_.launched_jobs(), ElementsAre("svc minutely"));
  EXPECT_THAT(States("svc minutely"), ElementsAre(v1::RUN_STATE_RUNNING, v1::RUN_STATE_SKIPPED, v1::RUN_STATE_SKIPPED));
  launcher_.Finish("svc minutely", 0);
  TickAt(At(10, 3));
  EXPECT_EQ(launcher_.launched().size(), 2u);
}

TEST_F(EmbeddedSchedulerTest, AFailedRunIsRetriedUpToRetriesTimes) {
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("svc flaky", "R/2016-01-01T00:00:00Z/PT1H", 60, 2)).ok());
  TickAt(At(10, 0));
  for (int attempt = 1; attempt <= 3; ++attempt) {
    launcher_.Finish("svc flaky", 1);
    TickAt(At(10, 0, attempt));
  }
  EXPECT_EQ(launcher_.launched().size(), 3u) << "the run and two retries";
  const std::vector<v1::JobRun> runs = *scheduler_->ListRuns("svc flaky", 10, false);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].attempt(), 3);
  EXPECT_EQ(runs[0].trigger(), v1::RUN_TRIGGER_RETRY);
  EXPECT_EQ(runs[0].command(), "run svc flaky");
  EXPECT_EQ(runs[0].exit_code(), 1);
  EXPECT_EQ(Job("svc flaky").failures, 3);
  EXPECT_EQ(Job("svc flaky").last_failure, At(10, 0, 3));
}

TEST_F(EmbeddedSchedulerTest, AChildRunsOnceAfterAllItsParentsAcrossServices) {
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("batch extract", "R/2016-01-01T00:00:00Z/PT1H")).ok());
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("other load", "R/2016-01-01T00:30:00Z/PT1H")).ok());
  ASSERT_TRUE(scheduler_->PutJob(Dependent("batch publish", {"batch extract", "other load"})).ok());
  ASSERT_TRUE(scheduler_->PutJob(Dependent("batch notify", {"batch publish"})).ok());
  TickAt(At(10, 0));
  launcher_.Finish("batch extract", 0);
  TickAt(At(10, 1));
  EXPECT_THAT(launcher_.launched_jobs(), ElementsAre("batch extract")) << "other load has not succeeded yet";
  TickAt(At(10, 30));
  launcher_.Finish("other load", 0);
  TickAt(At(10, 31));
  EXPECT_THAT(launcher_.launched_jobs(), ElementsAre("batch extract", "other load", "batch publish"));
  EXPECT_EQ((*scheduler_->ListRuns("batch publish", 1, false))[0].trigger(), v1::RUN_TRIGGER_PARENTS);
  launcher_.Finish("batch publish", 0);
  TickAt(At(10, 32));
  EXPECT_THAT(launcher_.launched_jobs(), ElementsAre("batch extract", "other load", "batch publish", "batch notify"));
  launcher_.Finish("batch notify", 0);
  // Only extract succeeds again: publish waits for a new success of load.
  TickAt(At(11, 0));
  launcher_.Finish("batch extract", 0);
  TickAt(At(11, 1));
  EXPECT_EQ(launcher_.launched().size(), 5u);
  TickAt(At(11, 30));
  launcher_.Finish("other load", 0);
  TickAt(At(11, 31));
  EXPECT_EQ(launcher_.launched_jobs().back(), "batch publish");
  EXPECT_EQ(launcher_.launched().size(), 7u);
}

TEST_F(EmbeddedSchedulerTest, AFailedParentDoesNotRunItsChild) {
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("batch extract", "R/2016-01-01T00:00:00Z/PT1H", 60, 0)).ok());
  ASSERT_TRUE(scheduler_->PutJob(Dependent("batch publish", {"batch extract"})).ok());
  TickAt(At(10, 0));
  launcher_.Finish("batch extract", 1);
  TickAt(At(10, 1));
  EXPECT_THAT(launcher_.launched_jobs(), ElementsAre("batch extract"));
}

TEST_F(EmbeddedSchedulerTest, DisabledJobsNeverFire) {
  v1::Job job = Scheduled("svc hourly", "R/2016-01-01T00:00:00Z/PT1H");
  job.set_disabled(true);
  ASSERT_TRUE(scheduler_->PutJob(job).ok());
  ASSERT_TRUE(scheduler_->PutJob(Dependent("svc child", {"svc parent"})).ok());
  v1::Job disabled_child = Dependent("svc child2", {"svc hourly2"});
  disabled_child.set_disabled(true);
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("svc hourly2", "R/2016-01-01T00:00:00Z/PT1H")).ok());
  ASSERT_TRUE(scheduler_->PutJob(disabled_child).ok());
  TickAt(At(10, 0));
  TickAt(At(11, 0));
  EXPECT_THAT(launcher_.launched_jobs(), ElementsAre("svc hourly2"));
  EXPECT_THAT(States("svc hourly"), IsEmpty()) << "no records for a disabled job's times";
  EXPECT_FALSE(Job("svc hourly").next_run.has_value());
  launcher_.Finish("svc hourly2", 0);
  TickAt(At(11, 1));
  EXPECT_THAT(launcher_.launched_jobs(), ElementsAre("svc hourly2")) << "a disabled child does not run";
  absl::StatusOr<std::optional<v1::JobRun>> now = scheduler_->StartNow("svc hourly");
  EXPECT_EQ(now.status().code(), absl::StatusCode::kFailedPrecondition);

  job.set_disabled(false);  // enabled again: the next time fires, nothing from the past
  ASSERT_TRUE(scheduler_->PutJob(job).ok());
  TickAt(At(12, 0));
  EXPECT_THAT(launcher_.launched_jobs(), ElementsAre("svc hourly2", "svc hourly", "svc hourly2"));
}

TEST_F(EmbeddedSchedulerTest, StartNowRunsOnceWithoutMovingTheSchedule) {
  clock_.Set(At(10, 10));
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("svc hourly", "R/2016-01-01T00:00:00Z/PT1H")).ok());
  absl::StatusOr<std::optional<v1::JobRun>> run = scheduler_->StartNow("svc hourly");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ((*run)->trigger(), v1::RUN_TRIGGER_MANUAL);
  EXPECT_EQ((*run)->state(), v1::RUN_STATE_RUNNING);
  EXPECT_EQ(scheduler_->StartNow("svc hourly").status().code(), absl::StatusCode::kFailedPrecondition)
      << "one run at a time";
  EXPECT_EQ(Job("svc hourly").next_run, At(11, 0));
  EXPECT_EQ(scheduler_->StartNow("svc nothing").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EmbeddedSchedulerTest, ARerunRunsOnceNeverTriggersChildrenAndIsRemovedADayLater) {
  clock_.Set(At(10, 10));
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("batch extract", "R/2016-01-01T00:00:00Z/PT1H")).ok());
  ASSERT_TRUE(scheduler_->PutJob(Dependent("batch publish", {"batch extract"})).ok());
  v1::Job rerun = Scheduled("tmp-2016-04-25T101000000000 batch extract", "R1//PT1M");
  rerun.set_command("run for 2016-04-01");
  absl::StatusOr<std::optional<v1::JobRun>> run =
      scheduler_->AddRunOnceJob(rerun, absl::FromCivil(absl::CivilDay(2016, 4, 1), absl::UTCTimeZone()));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ((*run)->trigger(), v1::RUN_TRIGGER_RERUN);
  EXPECT_EQ((*run)->command(), "run for 2016-04-01");
  launcher_.Finish(rerun.name(), 0);
  TickAt(At(10, 11));
  TickAt(At(10, 40));
  EXPECT_THAT(launcher_.launched_jobs(), ElementsAre(rerun.name())) << "no child, no second run";
  const std::vector<v1::JobRun> with_reruns = *scheduler_->ListRuns("batch extract", 10, true);
  ASSERT_EQ(with_reruns.size(), 1u);
  EXPECT_EQ(with_reruns[0].state(), v1::RUN_STATE_SUCCEEDED);
  EXPECT_EQ(TimeUtil::TimestampToSeconds(with_reruns[0].execution_date()),
            absl::ToUnixSeconds(absl::FromCivil(absl::CivilDay(2016, 4, 1), absl::UTCTimeZone())));
  EXPECT_THAT(*scheduler_->ListRuns("batch extract", 10, false), IsEmpty());

  // The whole day: hourly runs of extract go on; 24 h after the rerun ended it is gone.
  ASSERT_TRUE(scheduler_->DeleteJob("batch extract").ok());  // keep the day quiet
  TickAt(At(10, 11) + absl::Hours(24) - absl::Minutes(2));
  EXPECT_EQ(scheduler_->ListJobs()->size(), 2u);
  TickAt(At(10, 11) + absl::Hours(24) + absl::Minutes(1));
  EXPECT_EQ(scheduler_->ListJobs()->size(), 1u) << "the temporary job is removed";
  EXPECT_THAT(*scheduler_->ListRuns("batch extract", 10, true), IsEmpty()) << "and its run record";
}

TEST_F(EmbeddedSchedulerTest, RunRecordsAreKeptADay) {
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("svc daily", "R/2016-01-01T10:00:00Z/P1D")).ok());
  TickAt(At(10, 0));
  launcher_.Finish("svc daily", 0);
  TickAt(At(10, 1));
  TickAt(At(10, 0) + absl::Hours(24) + absl::Seconds(30));  // the next day's run
  launcher_.Finish("svc daily", 0);
  TickAt(At(10, 2) + absl::Hours(24));
  EXPECT_EQ(States("svc daily").size(), 1u) << "yesterday's run is gone, today's is kept";
}

TEST_F(EmbeddedSchedulerTest, AtMostTheNewestHundredRunsOfAJobAreKept) {
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("svc minutely", "R/2016-01-01T00:00:00Z/PT1M")).ok());
  for (int minute = 0; minute < 130; ++minute) {
    TickAt(At(10, 0) + absl::Minutes(minute));
    launcher_.Finish("svc minutely", 0);
    TickAt(At(10, 0) + absl::Minutes(minute) + absl::Seconds(1));
  }
  const absl::StatusOr<std::vector<v1::JobRun>> runs = scheduler_->ListRuns("svc minutely", 1000, false);
  ASSERT_TRUE(runs.ok());
  EXPECT_LE(runs->size(), static_cast<size_t>(kMaxRunsKeptPerJob) + 2) << "a minute's worth may wait for cleanup";
  EXPECT_GE(runs->size(), static_cast<size_t>(kMaxRunsKeptPerJob));
  EXPECT_EQ(TimeUtil::TimestampToSeconds(runs->front().scheduled_for()),
            absl::ToUnixSeconds(At(10, 0) + absl::Minutes(129)))
      << "the newest are the ones kept";
  Reopen();
  EXPECT_EQ(scheduler_->ListRuns("svc minutely", 1000, false)->size(), runs->size()) << "and only they are stored";
}

TEST_F(EmbeddedSchedulerTest, KillTasksKillsTheRunThatIsGoing) {
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("svc hourly", "R/2016-01-01T00:00:00Z/PT1H")).ok());
  EXPECT_EQ(*scheduler_->KillTasks("svc hourly"), 0);
  TickAt(At(10, 0));
  EXPECT_EQ(*scheduler_->KillTasks("svc hourly"), 1);
  TickAt(At(10, 1));
  EXPECT_THAT(States("svc hourly"), ElementsAre(v1::RUN_STATE_KILLED));
  EXPECT_EQ(launcher_.launched().size(), 1u) << "a killed run is not retried";
}

TEST_F(EmbeddedSchedulerTest, RestartAfterACrashBeforeTheLaunchLaunchesWithinEpsilonOnce) {
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("svc hourly", "R/2016-01-01T00:00:00Z/PT1H", 60)).ok());
  launcher_.set_down(true);  // the run is recorded, its launch fails: as if the process died there
  TickAt(At(10, 0));
  EXPECT_THAT(launcher_.launched_jobs(), IsEmpty());
  Reopen();
  launcher_.set_down(false);
  TickAt(At(10, 0, 40));
  TickAt(At(10, 0, 50));
  EXPECT_THAT(launcher_.launched_jobs(), ElementsAre("svc hourly"));
  EXPECT_THAT(States("svc hourly"), ElementsAre(v1::RUN_STATE_RUNNING));
}

TEST_F(EmbeddedSchedulerTest, RestartAfterACrashBeforeTheLaunchPastEpsilonRecordsASkip) {
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("svc hourly", "R/2016-01-01T00:00:00Z/PT1H", 60)).ok());
  launcher_.set_down(true);
  TickAt(At(10, 0));
  Reopen();
  launcher_.set_down(false);
  TickAt(At(10, 5));
  EXPECT_THAT(launcher_.launched_jobs(), IsEmpty());
  EXPECT_THAT(States("svc hourly"), ElementsAre(v1::RUN_STATE_SKIPPED));
  EXPECT_EQ(Job("svc hourly").next_run, At(11, 0));
}

TEST_F(EmbeddedSchedulerTest, RestartAfterACrashAfterTheLaunchAdoptsTheRunInsteadOfFiringTwice) {
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("svc hourly", "R/2016-01-01T00:00:00Z/PT1H", 60)).ok());
  launcher_.LoseNextAnswer();  // launched, but the answer never came back
  TickAt(At(10, 0));
  Reopen();
  TickAt(At(10, 0, 10));
  TickAt(At(10, 0, 20));
  EXPECT_THAT(launcher_.launched_jobs(), ElementsAre("svc hourly"));
  launcher_.Finish("svc hourly", 0);
  TickAt(At(10, 0, 30));
  EXPECT_THAT(States("svc hourly"), ElementsAre(v1::RUN_STATE_SUCCEEDED));
  Reopen();
  TickAt(At(10, 30));
  EXPECT_EQ(launcher_.launched().size(), 1u);
  EXPECT_EQ(Job("svc hourly").last_success, At(10, 0, 30)) << "state read back after the restart";
}

TEST_F(EmbeddedSchedulerTest, AfterADayDownMissedTimesAreRecordedBoundedAndTheScheduleResumes) {
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("svc minutely", "R/2016-01-01T00:00:00Z/PT1M", 30)).ok());
  TickAt(At(10, 0) + absl::Hours(5) + absl::Seconds(10));  // five hours later, 10 s past a minute
  EXPECT_THAT(launcher_.launched_jobs(), ElementsAre("svc minutely")) << "the 15:00 run is within epsilon";
  EXPECT_EQ(States("svc minutely").size(), 101u) << "100 missed runs recorded, the rest summarized by the jump";
  EXPECT_EQ(Job("svc minutely").next_run, At(15, 1));
}

TEST_F(EmbeddedSchedulerTest, RFiniteRunsThatManyTimesAndR0Never) {
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("svc twice", "R2/2016-04-25T10:00:00Z/PT1H")).ok());
  ASSERT_TRUE(scheduler_->PutJob(Scheduled("svc never", "R0/2016-04-25T10:00:00Z/PT1H")).ok());
  for (int h = 10; h <= 13; ++h) {
    TickAt(At(h, 0));
    launcher_.Finish("svc twice", 0);
  }
  EXPECT_THAT(launcher_.launched_jobs(), ElementsAre("svc twice", "svc twice"));
  EXPECT_FALSE(Job("svc twice").next_run.has_value());
}

TEST_F(EmbeddedSchedulerTest, ABadScheduleIsRefusedNamingTheJob) {
  const absl::Status status = scheduler_->PutJob(Scheduled("svc fast", "R/2016-01-01T00:00:00Z/PT30S"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("svc fast"), std::string::npos) << status;
  EXPECT_TRUE(scheduler_->ListJobs()->empty());
}

}  // namespace
}  // namespace paasta::scheduler
