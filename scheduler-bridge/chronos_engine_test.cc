// The Chronos engine against FakeChronos, an in-test HTTP server that follows
// the documented Chronos REST API (../shared/reference/external-apis.md §2): no
// real Chronos can run here.
#include "scheduler-bridge/chronos_engine.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler-bridge/testing/fake_chronos.h"

namespace paasta::scheduler {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::Job Scheduled(const std::string& name) {
  v1::Job job;
  job.set_name(name);
  job.set_schedule("R/2016-01-01T00:00:00Z/PT1H");
  job.set_shell(true);
  job.set_command("./run");
  job.mutable_epsilon()->set_seconds(60);
  job.set_retries(2);
  job.set_cpus(0.25);
  job.set_mem(512);
  job.set_disk(1024);
  job.set_description("config01234567");
  (*job.mutable_env())["PAASTA_SERVICE"] = "svc";
  job.add_uris("file:///root/.dockercfg");
  job.mutable_container()->mutable_docker()->set_image("registry/services-svc:paasta-abc");
  return job;
}

class ChronosEngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  ChronosEngineTest() : chronos_(GetParam()) {}
  void SetUp() override {
    ASSERT_TRUE(chronos_.Start().ok());
    config::ChronosEndpoint endpoint;
    endpoint.urls = {chronos_.url()};
    RestOptions options;
    options.retries = 1;
    options.backoff = absl::Milliseconds(10);
    options.timeout = absl::Seconds(5);
    engine_ = std::make_unique<ChronosEngine>(endpoint, GetParam(), options);
  }
  testing::FakeChronos chronos_;
  std::unique_ptr<ChronosEngine> engine_;
};

TEST_P(ChronosEngineTest, ScheduledAndDependentJobsGoToTheirEndpointsAndReadBack) {
  // Chronos 3.x refuses spaces in names (PaaSTA's names are 2.x's).
  const bool v3 = GetParam() == "/v1/scheduler";
  const std::string parent = v3 ? "svc.extract" : "svc extract";
  const std::string child = v3 ? "svc.publish" : "svc publish";
  ASSERT_TRUE(engine_->PutJob(Scheduled(parent)).ok());
  v1::Job dependent = Scheduled(child);
  dependent.clear_schedule();
  dependent.add_parents(parent);
  ASSERT_TRUE(engine_->PutJob(dependent).ok());
  EXPECT_THAT(chronos_.Requests(),
              ElementsAre("POST " + GetParam() + "/iso8601", "POST " + GetParam() + "/dependency"));
  EXPECT_EQ(chronos_.Job(child)["parents"], nlohmann::json::array({parent}));
  EXPECT_EQ(chronos_.Job(parent)["container"]["image"], "registry/services-svc:paasta-abc");
  EXPECT_EQ(chronos_.Job(parent)["mem"], 512);

  chronos_.SetLastRuns(parent, "2016-04-25T10:00:05.000Z", "2016-04-25T09:00:05.000Z");
  chronos_.SetRunning(child, true);
  absl::StatusOr<std::vector<EngineJob>> jobs = engine_->ListJobs();
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  ASSERT_EQ(jobs->size(), 2u);
  const EngineJob& read_parent = (*jobs)[0].job.name() == parent ? (*jobs)[0] : (*jobs)[1];
  const EngineJob& read_child = (*jobs)[0].job.name() == child ? (*jobs)[0] : (*jobs)[1];
  EXPECT_EQ(read_parent.job.description(), "config01234567");
  EXPECT_EQ(read_parent.job.schedule(), "R/2016-01-01T00:00:00Z/PT1H");
  EXPECT_EQ(read_parent.job.epsilon().seconds(), 60);
  EXPECT_EQ(read_parent.job.env().at("PAASTA_SERVICE"), "svc");
  EXPECT_EQ(read_parent.last_success, absl::FromUnixSeconds(1461578405));
  EXPECT_EQ(read_parent.last_failure, absl::FromUnixSeconds(1461574805));
  EXPECT_EQ(read_parent.running_tasks, 0);
  EXPECT_EQ(read_child.running_tasks, 1);
  EXPECT_THAT(read_child.job.parents(), ElementsAre(parent));
  EXPECT_FALSE(read_child.last_success.has_value());
}

TEST_P(ChronosEngineTest, StartKillAndDeleteUseTheDocumentedCalls) {
  const std::string name = GetParam() == "/v1/scheduler" ? "svc.job" : "svc job";
  ASSERT_TRUE(engine_->PutJob(Scheduled(name)).ok());
  ASSERT_TRUE(engine_->StartNow(name).ok());
  EXPECT_EQ(chronos_.ManualStarts(name), 1);
  EXPECT_EQ(*engine_->KillTasks(name), -1);
  ASSERT_TRUE(engine_->DeleteJob(name).ok());
  EXPECT_TRUE(chronos_.JobNames().empty());
  const std::vector<std::string> requests = chronos_.Requests();
  EXPECT_THAT(std::vector<std::string>(requests.begin() + 1, requests.end()),
              ElementsAre("PUT " + GetParam() + "/job/" + name, "DELETE " + GetParam() + "/task/kill/" + name,
                          "DELETE " + GetParam() + "/task/kill/" + name, "DELETE " + GetParam() + "/job/" + name));
  // Unknown jobs: Chronos answers 400.
  const absl::Status unknown = engine_->StartNow("svc.none").status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(unknown.message()), HasSubstr(chronos_.url() + GetParam() + "/job/svc.none"));
  EXPECT_EQ(engine_->ListRuns(name, 10, false).status().code(), absl::StatusCode::kUnimplemented);
}

// PaaSTA's rerun names have spaces, which only Chronos 2.x takes.
TEST(ChronosEngine2Test, ARerunIsAddedAsARunOnceScheduledJob) {
  testing::FakeChronos chronos;
  ASSERT_TRUE(chronos.Start().ok());
  config::ChronosEndpoint endpoint;
  endpoint.urls = {chronos.url()};
  ChronosEngine engine(endpoint);
  v1::Job rerun = Scheduled("tmp-2016-04-08T023727123456 svc job");
  rerun.set_schedule("R1//PT1M");
  ASSERT_TRUE(engine.AddRunOnceJob(rerun, absl::Now()).ok());
  EXPECT_EQ(chronos.Job(rerun.name())["schedule"], "R1//PT1M");
  EXPECT_THAT(chronos.Requests(), ElementsAre("POST /scheduler/iso8601"));
}

TEST_P(ChronosEngineTest, RefusalsAndOutagesAreClearErrors) {
  v1::Job orphan = Scheduled("svc.orphan");
  orphan.clear_schedule();
  orphan.add_parents("svc.nothing");
  const absl::Status refused = engine_->PutJob(orphan);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("Chronos POST " + chronos_.url() + GetParam() + "/dependency"));

  chronos_.FailNext(1);  // one 503 is retried
  EXPECT_TRUE(engine_->ListJobs().ok());
  chronos_.FailNext(2);  // more than the retries: UNAVAILABLE naming the URL
  const absl::Status down = engine_->ListJobs().status();
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(down.message()), HasSubstr(chronos_.url() + GetParam() + "/jobs: HTTP 503"));

  config::ChronosEndpoint nowhere;
  nowhere.urls = {"http://127.0.0.1:1"};
  RestOptions quick;
  quick.retries = 0;
  ChronosEngine unreachable(nowhere, GetParam(), quick);
  const absl::Status unreachable_status = unreachable.ListJobs().status();
  EXPECT_EQ(unreachable_status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(unreachable_status.message()), HasSubstr("http://127.0.0.1:1" + GetParam() + "/jobs"));
}

TEST_P(ChronosEngineTest, AnyOfSeveralUrlsMayAnswer) {
  config::ChronosEndpoint endpoint;
  endpoint.urls = {"http://127.0.0.1:1", chronos_.url()};  // the first is down
  RestOptions options;
  options.retries = 0;
  ChronosEngine engine(endpoint, GetParam(), options);
  EXPECT_TRUE(engine.PutJob(Scheduled("svc.job")).ok());
  EXPECT_EQ(chronos_.JobNames().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Versions, ChronosEngineTest, ::testing::Values("/scheduler", "/v1/scheduler"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param == "/scheduler" ? std::string("Chronos2") : std::string("Chronos3");
                         });

}  // namespace
}  // namespace paasta::scheduler
