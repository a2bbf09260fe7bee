#include "scheduler-bridge/job_composer.h"

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace paasta::scheduler {
namespace {

absl::Time At(int y, int m, int d, int h = 0, int min = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, h, min, 0), absl::UTCTimeZone());
}

class JobComposerTest : public ::testing::Test {
 protected:
  JobComposerTest() {
    config_.service = "example_batch";
    config_.instance = "rollup";
    config_.cluster = "local";
    config_.schedule = "R/2016-01-01T00:00:00Z/PT1H";
    config_.cmd = "./rollup --date %(shortdate-1)s";
    config_.cpus = 0.5;
    config_.mem = 512;
    config_.env = {{"MODE", "full"}, {"PAASTA_CLUSTER", "overridden"}};
    config_.extra_volumes = {{"/data", "/srv/data", "RW"}};
    deployment_.docker_image = "services-example_batch:paasta-0123456789abcdef0123456789abcdef01234567";
    system_.volumes = std::vector<config::VolumeConfig>{{"/etc/certs", "/etc/certs", "RO"}};
    system_.docker_registry = "registry.local";
  }

  absl::StatusOr<ComposedJob> Compose(absl::Time now = At(2016, 3, 1, 5, 30)) {
    JobInputs inputs;
    inputs.config = &config_;
    inputs.deployment = &deployment_;
    inputs.system = &system_;
    inputs.team = "batch-team";
    inputs.git_url = "/srv/git/example_batch";
    inputs.emergency_stopped = emergency_stopped_;
    return ComposeJob(inputs, now);
  }

  config::ChronosJobConfig config_;
  config::BranchDeployment deployment_;
  config::SystemConfig system_;
  bool emergency_stopped_ = false;
};

TEST_F(JobComposerTest, TheChronosDictHasEveryKeyOfTheOriginal) {
  absl::StatusOr<ComposedJob> composed = Compose();
  ASSERT_TRUE(composed.ok()) << composed.status();
  const nlohmann::json& chronos = composed->chronos;
  EXPECT_EQ(chronos["name"], "example_batch rollup");
  EXPECT_EQ(chronos["command"], "./rollup --date 2016-02-29");  // rendered at now
  EXPECT_EQ(chronos["arguments"], nullptr);
  EXPECT_EQ(chronos["shell"], true);
  EXPECT_EQ(chronos["schedule"], "R/2016-01-01T00:00:00Z/PT1H");
  EXPECT_FALSE(chronos.contains("parents"));
  EXPECT_EQ(chronos["scheduleTimeZone"], nullptr);
  EXPECT_EQ(chronos["epsilon"], "PT60S");
  EXPECT_EQ(chronos["retries"], 2);
  EXPECT_EQ(chronos["async"], false);
  EXPECT_EQ(chronos["disabled"], false);
  EXPECT_EQ(chronos["owner"], "batch-team");
  EXPECT_EQ(chronos["mem"], 512);  // as configured: an int stays an int
  EXPECT_EQ(chronos["cpus"], 0.5);
  EXPECT_EQ(chronos["disk"], 1024);
  EXPECT_EQ(chronos["uris"], nlohmann::json::array({"file:///root/.dockercfg"}));
  EXPECT_EQ(chronos["constraints"], nlohmann::json::parse(R"([["pool", "LIKE", "default"]])"));
  EXPECT_EQ(chronos["environmentVariables"], nlohmann::json::parse(R"([
      {"name": "MODE", "value": "full"},
      {"name": "PAASTA_CLUSTER", "value": "overridden"},
      {"name": "PAASTA_DOCKER_IMAGE",
       "value": "services-example_batch:paasta-0123456789abcdef0123456789abcdef01234567"},
      {"name": "PAASTA_INSTANCE", "value": "rollup"},
      {"name": "PAASTA_SERVICE", "value": "example_batch"}])"));
  EXPECT_EQ(chronos["container"], nlohmann::json::parse(R"({
      "image": "registry.local/services-example_batch:paasta-0123456789abcdef0123456789abcdef01234567",
      "network": "BRIDGE", "type": "DOCKER",
      "volumes": [{"containerPath": "/etc/certs", "hostPath": "/etc/certs", "mode": "RO"},
                  {"containerPath": "/data", "hostPath": "/srv/data", "mode": "RW"}],
      "parameters": [{"key": "memory-swap", "value": "512m"}, {"key": "cpu-period", "value": "100000"},
                     {"key": "cpu-quota", "value": "500000"}]})"));
  EXPECT_EQ(chronos["description"].get<std::string>().substr(0, 6), "config");
  EXPECT_EQ(chronos["description"].get<std::string>().size(), 14u);

  const v1::Job& job = composed->job;
  EXPECT_EQ(job.command_template(), "./rollup --date %(shortdate-1)s");
  EXPECT_EQ(job.source().git_sha(), "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(job.source().git_url(), "/srv/git/example_batch");
  EXPECT_EQ(job.epsilon().seconds(), 60);
  EXPECT_EQ(job.description(), chronos["description"]);
}

TEST_F(JobComposerTest, ADependentJobNamesItsParentsAsChronosDoes) {
  config_.schedule.reset();
  config_.parents = {"example_batch.extract", "other_service.load"};
  config_.cmd.reset();
  config_.args = std::vector<std::string>{"--all"};
  absl::StatusOr<ComposedJob> composed = Compose();
  ASSERT_TRUE(composed.ok()) << composed.status();
  EXPECT_EQ(composed->chronos["parents"], nlohmann::json::array({"example_batch extract", "other_service load"}));
  EXPECT_FALSE(composed->chronos.contains("schedule"));
  EXPECT_EQ(composed->chronos["shell"], false);
  EXPECT_EQ(composed->chronos["command"], nullptr);
  EXPECT_EQ(composed->chronos["arguments"], nlohmann::json::array({"--all"}));
}

TEST_F(JobComposerTest, TheHashChangesExactlyWhenTheJobDoes) {
  const std::string base = Compose()->job.description();
  EXPECT_EQ(Compose(At(2016, 3, 1, 23, 59))->job.description(), base) << "same rendered command, same hash";
  EXPECT_NE(Compose(At(2016, 3, 2, 0, 0))->job.description(), base) << "a new day renders a new command";
  config_.mem = 513;
  EXPECT_NE(Compose()->job.description(), base);
  config_.mem = 512;
  deployment_.force_bounce = "20160301T000000";
  EXPECT_NE(Compose()->job.description(), base) << "paasta restart";
  deployment_.force_bounce.reset();
  deployment_.desired_state = config::DesiredState::kStop;
  EXPECT_NE(Compose()->job.description(), base) << "paasta stop disables: an update";
  deployment_.desired_state = config::DesiredState::kStart;
  EXPECT_EQ(Compose()->job.description(), base);
}

TEST_F(JobComposerTest, DisabledWhenEitherSourceSaysSo) {
  struct Case {
    config::DesiredState desired;
    bool soa_disabled;
    bool emergency_stopped;
    bool disabled;
  };
  const Case cases[] = {
      {config::DesiredState::kStart, false, false, false}, {config::DesiredState::kStart, true, false, true},
      {config::DesiredState::kStop, false, false, true},   {config::DesiredState::kStop, true, false, true},
      {config::DesiredState::kStart, false, true, true},
  };
  for (const Case& c : cases) {
    deployment_.desired_state = c.desired;
    config_.disabled = c.soa_disabled;
    emergency_stopped_ = c.emergency_stopped;
    EXPECT_EQ(Compose()->job.disabled(), c.disabled)
        << "stop=" << (c.desired == config::DesiredState::kStop) << " soa=" << c.soa_disabled
        << " emergency=" << c.emergency_stopped;
  }
}

TEST_F(JobComposerTest, ErrorsNameTheJob) {
  config_.cmd = "./rollup --date %(tomorrow)s";
  absl::StatusOr<ComposedJob> bad = Compose();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("example_batch rollup"), std::string::npos) << bad.status();
  EXPECT_NE(bad.status().message().find("tomorrow"), std::string::npos) << bad.status();

  config_.cmd = "true";
  config_.schedule_time_zone = "Mars/Olympus_Mons";
  bad = Compose();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("Mars/Olympus_Mons"), std::string::npos) << bad.status();

  config_.schedule_time_zone.reset();
  deployment_.docker_image.clear();
  bad = Compose();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "No deployment found for example_batch.rollup in cluster local. Has Jenkins run for it?");
}

TEST_F(JobComposerTest, DateVariablesAreReadInTheJobsZone) {
  config_.cmd = "echo %(shortdate)s";
  config_.schedule_time_zone = "America/Los_Angeles";
  // 05:30 UTC on March 1 is still February 29 in Los Angeles.
  EXPECT_EQ(Compose()->job.command(), "echo 2016-02-29");
}

TEST_F(JobComposerTest, ARerunIsATemporaryScheduledCloneRenderedForItsDate) {
  config_.schedule.reset();
  config_.parents = {"example_batch.extract"};
  const v1::Job job = Compose()->job;
  absl::StatusOr<v1::Job> rerun = RerunJob(job, At(2016, 4, 25), At(2016, 4, 8, 2, 37) + absl::Microseconds(123456));
  ASSERT_TRUE(rerun.ok()) << rerun.status();
  EXPECT_EQ(rerun->name(), "tmp-2016-04-08T023700123456 example_batch rollup");
  EXPECT_EQ(rerun->schedule(), "R1//PT1M");
  EXPECT_TRUE(rerun->parents().empty()) << "a rerun never waits for, nor triggers, other jobs";
  EXPECT_EQ(rerun->command(), "./rollup --date 2016-04-24");
  EXPECT_EQ(rerun->command_template(), "./rollup --date 2016-04-24");
  EXPECT_EQ(rerun->description(), job.description());

  absl::StatusOr<JobName> name = DecomposeJobName(rerun->name());
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->service, "example_batch");
  EXPECT_EQ(name->instance, "rollup");
  EXPECT_TRUE(name->temporary);
}

TEST(JobNameTest, OnlyPaastaNamesDecompose) {
  EXPECT_EQ(DecomposeJobName("svc job")->instance, "job");
  EXPECT_FALSE(DecomposeJobName("svc job")->temporary);
  for (const char* bad : {"svc", "svc job extra", "a  b", "", "svc.job", "x svc job"}) {
    EXPECT_FALSE(DecomposeJobName(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace paasta::scheduler
