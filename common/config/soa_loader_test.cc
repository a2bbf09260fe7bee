// The typed model's defaults, merges and derived values, key by key, from
// soa-configs written to a temporary folder (../shared/reference/
// paasta-behaviour.md §1.2–§1.5).
#include "common/config/soa_loader.h"

#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "gtest/gtest.h"

namespace paasta::config {
namespace {

class SoaLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = testing::NewTempDir("soa"); }

  void Write(const std::string& path, const std::string& text) {
    const std::string full = absl::StrCat(root_, "/", path);
    ::mkdir(full.substr(0, full.rfind('/')).c_str(), 0755);
    ASSERT_TRUE(WriteFileAtomically(full, text).ok());
  }

  ServiceConfig Load(const std::string& service) {
    std::vector<Problem> problems;
    absl::StatusOr<ServiceConfig> config = SoaDir(root_).LoadService(service, &problems);
    EXPECT_TRUE(config.ok()) << config.status();
    for (const Problem& problem : problems) ADD_FAILURE() << problem.ToString();
    return config.ok() ? *config : ServiceConfig();
  }

  std::string root_;
};

TEST_F(SoaLoaderTest, MarathonDefaultsWithoutSmartstack) {
  Write("svc/marathon-test.yaml", "main: {}\n");
  const ServiceConfig service = Load("svc");
  ASSERT_EQ(service.marathon.size(), 1u);
  const MarathonInstanceConfig& main = service.marathon[0];
  // Common keys (§1.3).
  EXPECT_EQ(main.cpus, 0.25);
  EXPECT_EQ(main.mem, 1024);
  EXPECT_EQ(main.disk, 1024);
  EXPECT_EQ(main.cfs_period_us, 100000);
  EXPECT_EQ(main.cpu_burst_pct, 900);
  EXPECT_TRUE(main.ulimits.empty());
  EXPECT_TRUE(main.cap_add.empty());
  EXPECT_FALSE(main.cmd.has_value());
  ASSERT_TRUE(main.args.has_value());  // [] when neither cmd nor args
  EXPECT_TRUE(main.args->empty());
  EXPECT_TRUE(main.env.empty());
  EXPECT_TRUE(main.extra_volumes.empty());
  EXPECT_TRUE(main.deploy_blacklist.empty());
  EXPECT_FALSE(main.deploy_whitelist.has_value());
  EXPECT_TRUE(main.monitoring_blacklist.empty());
  EXPECT_EQ(main.pool, "default");
  EXPECT_FALSE(main.constraints.has_value());
  EXPECT_TRUE(main.extra_constraints.empty());
  EXPECT_EQ(main.net, "bridge");
  EXPECT_EQ(main.deploy_group, "test.main");
  EXPECT_EQ(main.branch, "test.main");
  // Long-running keys.
  EXPECT_EQ(main.Registrations(), std::vector<std::string>{"svc.main"});
  EXPECT_EQ(main.NerveNamespace(), "main");
  EXPECT_FALSE(main.InSmartstack());
  EXPECT_FALSE(main.HealthcheckMode().has_value());  // no namespace: no health checks
  EXPECT_EQ(main.HealthcheckUri(), "/status");
  EXPECT_EQ(main.healthcheck_grace_period_seconds, 60);
  EXPECT_EQ(main.healthcheck_interval_seconds, 10);
  EXPECT_EQ(main.healthcheck_timeout_seconds, 10);
  EXPECT_EQ(main.healthcheck_max_consecutive_failures, 30);
  EXPECT_EQ(main.DrainMethod(), "noop");
  EXPECT_EQ(main.DrainMethodParams().ToJson(), "{}");
  EXPECT_EQ(main.BounceHealthParams().ToJson(), "{}");
  // Marathon keys.
  EXPECT_EQ(main.instances, 1);
  EXPECT_EQ(main.min_instances, 1);
  EXPECT_FALSE(main.max_instances.has_value());
  EXPECT_EQ(main.backoff_factor, 2);
  EXPECT_EQ(main.max_launch_delay_seconds, 300);
  EXPECT_EQ(main.bounce_method, "crossover");
  EXPECT_EQ(main.bounce_margin_factor, 1.0);
  EXPECT_FALSE(main.accepted_resource_roles.has_value());
  EXPECT_EQ(main.replication_threshold, 50);
  EXPECT_EQ(main.InstanceCount(DesiredState::kStart), 1);
  EXPECT_EQ(main.InstanceCount(DesiredState::kStop), 0);
  EXPECT_EQ(main.BackoffSeconds(DesiredState::kStart), 10);  // ceil(10 / 1)
  EXPECT_EQ(main.BackoffSeconds(DesiredState::kStop), 1);    // N == 0
}

TEST_F(SoaLoaderTest, SmartstackNamespaceDrivesHealthcheckDrainAndBounceDefaults) {
  Write("svc/smartstack.yaml",
        "main: {proxy_port: 20001}\n"
        "tcp_ns: {proxy_port: 20002, mode: tcp, healthcheck_uri: /health}\n"
        "unproxied: {mode: http}\n");
  Write("svc/marathon-test.yaml",
        "main: {}\n"
        "canary: {nerve_ns: main}\n"
        "other: {registrations: [svc.tcp_ns]}\n"
        "internal: {registrations: [svc.unproxied]}\n"
        "custom: {healthcheck_mode: cmd, healthcheck_cmd: /bin/true, drain_method: test}\n");
  const ServiceConfig service = Load("svc");
  ASSERT_EQ(service.marathon.size(), 5u);
  const auto find = [&](const std::string& name) {
    for (const auto& config : service.marathon) {
      if (config.instance == name) return config;
    }
    return MarathonInstanceConfig();
  };
  const MarathonInstanceConfig main = find("main");
  EXPECT_TRUE(main.InSmartstack());
  EXPECT_EQ(main.HealthcheckMode(), "http");  // http with a proxy_port
  EXPECT_EQ(main.DrainMethod(), "hacheck");
  EXPECT_EQ(main.DrainMethodParams().ToJson(), R"({"delay":60})");
  EXPECT_EQ(main.BounceHealthParams().ToJson(), R"({"check_haproxy":true})");

  const MarathonInstanceConfig canary = find("canary");
  EXPECT_EQ(canary.Registrations(), std::vector<std::string>{"svc.main"});
  EXPECT_EQ(canary.NerveNamespace(), "main");
  EXPECT_TRUE(canary.InSmartstack());

  const MarathonInstanceConfig other = find("other");
  EXPECT_EQ(other.NerveNamespace(), "tcp_ns");
  EXPECT_EQ(other.HealthcheckMode(), "tcp");
  EXPECT_EQ(other.HealthcheckUri(), "/health");

  const MarathonInstanceConfig internal = find("internal");
  EXPECT_FALSE(internal.InSmartstack());  // a namespace without proxy_port
  EXPECT_EQ(internal.HealthcheckMode(), "http");
  EXPECT_EQ(internal.DrainMethod(), "noop");

  const MarathonInstanceConfig custom = find("custom");
  EXPECT_EQ(custom.HealthcheckMode(), "cmd");
  EXPECT_EQ(custom.healthcheck_cmd, "/bin/true");
  EXPECT_EQ(custom.DrainMethod(), "test");

  ASSERT_EQ(service.smartstack.count("tcp_ns"), 1u);
  EXPECT_EQ(service.smartstack.at("tcp_ns").discover, "region");
  EXPECT_FALSE(service.smartstack.at("unproxied").EffectiveMode() == std::nullopt);
}

TEST_F(SoaLoaderTest, InstanceCountAndBackoffArithmetic) {
  Write("svc/marathon-test.yaml",
        "off: {instances: false}\n"
        "three: {instances: 3}\n"
        "twenty: {instances: 20}\n"
        "scaled: {instances: 2, min_instances: 1, max_instances: 5}\n");
  const ServiceConfig service = Load("svc");
  ASSERT_EQ(service.marathon.size(), 4u);
  // Sorted by instance name: off, scaled, three, twenty.
  // Each row: instance count when started, and ceil(10 / N) (1 when N is 0).
  EXPECT_EQ(service.marathon[0].InstanceCount(DesiredState::kStart), 0);
  EXPECT_EQ(service.marathon[0].BackoffSeconds(DesiredState::kStart), 1);
  EXPECT_EQ(service.marathon[1].InstanceCount(DesiredState::kStart), 5);  // max_instances
  EXPECT_EQ(service.marathon[1].BackoffSeconds(DesiredState::kStart), 2);
  EXPECT_EQ(service.marathon[1].BackoffSeconds(DesiredState::kStop), 2);  // N = max_instances
  EXPECT_EQ(service.marathon[2].BackoffSeconds(DesiredState::kStart), 4);  // ceil(10 / 3)
  EXPECT_EQ(service.marathon[3].BackoffSeconds(DesiredState::kStart), 1);  // ceil(10 / 20)
}

TEST_F(SoaLoaderTest, ServiceYamlIsMergedUnderMarathonAndAdhocButNotChronos) {
  Write("svc/service.yaml",
        "git_url: /srv/git/svc\n"
        "description: a service\n"
        "cpus: 2\n"
        "env: {A: from-service, B: from-service}\n"
        "owner_notes: free-form\n");
  Write("svc/monitoring.yaml", "team: core\nrunbook: y/rb\n");
  Write("svc/marathon-test.yaml",
        "main:\n  env: {B: from-instance, C: \"3\"}\n  monitoring: {page: true}\n");
  Write("svc/adhoc-test.yaml", "interactive: {mem: 512}\n");
  Write("svc/chronos-test.yaml",
        "job:\n  schedule: R/2016-01-01T00:00:00Z/P1D\n  cmd: ./job\n  parents_note: x\n");
  std::vector<Problem> problems;
  const absl::StatusOr<ServiceConfig> loaded = SoaDir(root_).LoadService("svc", &problems);
  ASSERT_TRUE(loaded.ok());
  const ServiceConfig& service = *loaded;
  EXPECT_EQ(service.git_url, "/srv/git/svc");
  EXPECT_EQ(service.description, "a service");
  const MarathonInstanceConfig& main = service.marathon.at(0);
  EXPECT_EQ(main.cpus, 2);
  EXPECT_EQ(main.env, (std::map<std::string, std::string>{
                          {"A", "from-service"}, {"B", "from-instance"}, {"C", "3"}}));
  // monitoring.yaml under the instance's own monitoring.
  EXPECT_EQ(main.monitoring.Find("team")->string_value(), "core");
  EXPECT_TRUE(main.monitoring.Find("page")->bool_value());
  EXPECT_EQ(ServiceConfig::Team(main.monitoring), "core");
  const AdhocInstanceConfig& adhoc = service.adhoc.at(0);
  EXPECT_EQ(adhoc.cpus, 2);
  EXPECT_EQ(adhoc.mem, 512);
  // Chronos jobs do not inherit service.yaml (v0.56.1).
  const ChronosJobConfig& job = service.chronos.at(0);
  EXPECT_EQ(job.cpus, 0.25);
  EXPECT_TRUE(job.env.empty());
  // Only the unknown chronos key warns: service.yaml keys are free-form.
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, "parents_note");
  EXPECT_EQ(problems[0].severity, Problem::Severity::kWarning);
}

TEST_F(SoaLoaderTest, ChronosDefaultsAndParents) {
  Write("svc/chronos-test.yaml",
        "scheduled:\n  schedule: R/2016-01-01T00:00:00Z/P1D\n  cmd: ./run %(shortdate)s\n"
        "child:\n  parents: svc.scheduled\n  args: [./child, --flag]\n");
  const ServiceConfig service = Load("svc");
  ASSERT_EQ(service.chronos.size(), 2u);
  const ChronosJobConfig& child = service.chronos[0];
  const ChronosJobConfig& scheduled = service.chronos[1];
  EXPECT_EQ(scheduled.schedule, "R/2016-01-01T00:00:00Z/P1D");
  EXPECT_EQ(scheduled.epsilon, "PT60S");
  EXPECT_EQ(scheduled.retries, 2);
  EXPECT_FALSE(scheduled.disabled);
  EXPECT_EQ(scheduled.bounce_method, "graceful");
  EXPECT_FALSE(scheduled.schedule_time_zone.has_value());
  EXPECT_EQ(scheduled.cmd, "./run %(shortdate)s");
  EXPECT_FALSE(scheduled.args.has_value());  // cmd given: args unset
  EXPECT_EQ(child.parents, std::vector<std::string>{"svc.scheduled"});  // scalar -> list
  EXPECT_EQ(child.args, (std::vector<std::string>{"./child", "--flag"}));
}

TEST_F(SoaLoaderTest, CommonKeysParse) {
  Write("svc/marathon-test.yaml", R"(
main:
  ulimit:
    nproc: {soft: 1024, hard: 2048}
    nofile: {soft: 1024}
  cap_add: [NET_ADMIN, SYS_TIME]
  extra_volumes:
    - {containerPath: /data, hostPath: /srv/data, mode: RO}
  deploy_blacklist: [[region, uswest1-prod]]
  deploy_whitelist: [region, [uswest2-prod, useast1-prod]]
  extra_constraints: [[pool, LIKE, batch], [hostname, UNIQUE]]
  net: host
  deploy_group: "{cluster}.{service}.{instance}.{{x}}"
  branch: custom
  accepted_resource_roles: [slave_public]
  bounce_method: downthenup
  bounce_margin_factor: 0.5
)");
  const MarathonInstanceConfig main = Load("svc").marathon.at(0);
  ASSERT_EQ(main.ulimits.size(), 2u);
  EXPECT_EQ(main.ulimits[0].name, "nofile");  // sorted by name
  EXPECT_FALSE(main.ulimits[0].hard.has_value());
  EXPECT_EQ(main.ulimits[1].hard, 2048);
  EXPECT_EQ(main.cap_add, (std::vector<std::string>{"NET_ADMIN", "SYS_TIME"}));
  ASSERT_EQ(main.extra_volumes.size(), 1u);
  EXPECT_EQ(main.extra_volumes[0].mode, "RO");
  EXPECT_EQ(main.deploy_blacklist[0], std::make_pair(std::string("region"), std::string("uswest1-prod")));
  EXPECT_EQ(main.monitoring_blacklist, main.deploy_blacklist);  // defaults to the blacklist
  EXPECT_EQ(main.deploy_whitelist->second.size(), 2u);
  EXPECT_EQ(main.extra_constraints[1], (std::vector<std::string>{"hostname", "UNIQUE"}));
  EXPECT_EQ(main.net, "host");
  EXPECT_EQ(main.deploy_group, "test.svc.main.{x}");
  EXPECT_EQ(main.branch, "custom");
  EXPECT_EQ(main.accepted_resource_roles, std::vector<std::string>{"slave_public"});
  EXPECT_EQ(main.bounce_method, "downthenup");
  EXPECT_EQ(main.bounce_margin_factor, 0.5);
}

TEST_F(SoaLoaderTest, ClustersAndServiceListing) {
  Write("svc/marathon-prod.yaml", "main: {}\n");
  Write("svc/chronos-dev.yaml", "job: {schedule: R/2016-01-01T00:00:00Z/P1D}\n");
  Write("svc/paasta_native-native.yaml", "x: {}\n");
  Write("svc/marathon-test.yaml", "_template: {cpus: 1}\n");  // templates are not instances
  Write("plain/service.yaml", "description: no instances\n");
  const ServiceConfig service = Load("svc");
  EXPECT_EQ(service.clusters, (std::vector<std::string>{"dev", "native", "prod", "test"}));
  EXPECT_EQ(service.marathon.size(), 1u);
  const SoaDir soa(root_);
  EXPECT_EQ(*soa.ListAllServices(), (std::vector<std::string>{"plain", "svc"}));
  EXPECT_EQ(*soa.ListPaastaServices(), std::vector<std::string>{"svc"});
  EXPECT_EQ(SoaDir(root_ + "/missing").ListAllServices().status().code(),
            absl::StatusCode::kNotFound);
}

TEST(DefaultSoaDirTest, HonoursTheEnvironment) {
  ::unsetenv("PAASTA_SOA_DIR");
  EXPECT_EQ(DefaultSoaDir(), "/nail/etc/services");
  ::setenv("PAASTA_SOA_DIR", "/srv/soa", 1);
  EXPECT_EQ(DefaultSoaDir(), "/srv/soa");
  ::unsetenv("PAASTA_SOA_DIR");
}

}  // namespace
}  // namespace paasta::config
