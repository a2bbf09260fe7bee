// App composition, key by key, for the example service's real soa-configs, and
// the config hash's properties (§3.1–§3.3 of the behaviour reference).
#include "deployer/app_composer.h"

#include "common/config/soa_loader.h"
#include "deployer/config_hash.h"
#include "gtest/gtest.h"

namespace paasta::deployer {
namespace {

const std::string kSha = "3f596a503944b7ef7b534e00087d9c7f2f1c511a";

config::MarathonInstanceConfig ExampleMain() {
  std::vector<config::Problem> problems;
  auto service = config::SoaDir("examples/soa-configs").LoadService("example_service", &problems);
  EXPECT_TRUE(service.ok()) << service.status();
  EXPECT_FALSE(config::HasErrors(problems));
  return service->marathon.at(0);
}

config::SystemConfig System() {
  config::SystemConfig system;
  system.cluster = "local";
  system.docker_registry = "registry.local";
  system.volumes = std::vector<config::VolumeConfig>{{"/nail/etc", "/nail/etc", "RO"}};
  return system;
}

config::BranchDeployment Deployment(config::DesiredState state = config::DesiredState::kStart,
                                    std::optional<std::string> force_bounce = std::nullopt) {
  config::BranchDeployment deployment;
  deployment.docker_image = "services-example_service:paasta-" + kSha;
  deployment.desired_state = state;
  deployment.force_bounce = force_bounce;
  return deployment;
}

TEST(AppComposerTest, TheExampleServiceKeyByKey) {
  const auto composed = ComposeApp(ExampleMain(), Deployment(), System(), 1, "/srv/git/example_service");
  ASSERT_TRUE(composed.ok()) << composed.status();
  // Written by hand from §3.1: every key, with the original's defaults.
  nlohmann::json expected = nlohmann::json::parse(R"({
    "args": null,
    "backoff_factor": 2,
    "backoff_seconds": 5,
    "cmd": "python3 server.py",
    "constraints": [["region", "GROUP_BY", "1"], ["pool", "LIKE", "default"]],
    "container": {
      "docker": {
        "image": "registry.local/services-example_service:paasta-3f596a503944b7ef7b534e00087d9c7f2f1c511a",
        "network": "BRIDGE",
        "parameters": [{"key": "memory-swap", "value": "128m"},
                       {"key": "cpu-period", "value": "100000"},
                       {"key": "cpu-quota", "value": "100000"}],
        "portMappings": [{"containerPort": 8888, "hostPort": 0, "protocol": "tcp"}]
      },
      "type": "DOCKER",
      "volumes": [{"containerPath": "/nail/etc", "hostPath": "/nail/etc", "mode": "RO"}]
    },
    "cpus": 0.1,
    "disk": 1024.0,
    "env": {"GREETING": "hello", "PAASTA_CLUSTER": "local",
            "PAASTA_DOCKER_IMAGE": "services-example_service:paasta-3f596a503944b7ef7b534e00087d9c7f2f1c511a",
            "PAASTA_INSTANCE": "main", "PAASTA_SERVICE": "example_service"},
    "health_checks": [{"gracePeriodSeconds": 60, "intervalSeconds": 10, "maxConsecutiveFailures": 30,
                       "path": "/status", "portIndex": 0, "protocol": "HTTP", "timeoutSeconds": 10}],
    "instances": 2,
    "max_launch_delay_seconds": 300,
    "mem": 128.0,
    "uris": ["file:///root/.dockercfg"]
  })");
  // The hash covers everything above but instances and backoff_seconds.
  nlohmann::json hashed = expected;
  hashed.erase("instances");
  hashed.erase("backoff_seconds");
  const std::string hash = ConfigHash(hashed, "");
  expected["id"] = "example--service.main.git3f596a50." + hash;
  EXPECT_EQ(composed->app, expected) << composed->app.dump(2);
  EXPECT_EQ(PythonJsonDumps(composed->app), PythonJsonDumps(expected));
  EXPECT_EQ(composed->config_hash, hash);
  EXPECT_EQ(composed->id, "example--service.main.git3f596a50." + hash);
  EXPECT_EQ(composed->instances, 2);

  // The agent's definition of the same app.
  const v1::AppDefinition& definition = composed->definition;
  EXPECT_EQ(definition.id(), composed->id);
  EXPECT_EQ(definition.cmd(), "python3 server.py");
  EXPECT_EQ(definition.instances(), 2);
  EXPECT_EQ(definition.env().at("PAASTA_SERVICE"), "example_service");
  EXPECT_EQ(definition.health_checks(0).protocol(), v1::HEALTH_CHECK_PROTOCOL_HTTP);
  EXPECT_EQ(definition.health_checks(0).path(), "/status");
  EXPECT_EQ(definition.health_checks(0).max_consecutive_failures(), 30);
  EXPECT_EQ(definition.source().git_url(), "/srv/git/example_service");
  EXPECT_EQ(definition.source().git_sha(), kSha);
  EXPECT_EQ(definition.container().docker().port_mappings(0).container_port(), 8888u);
  EXPECT_EQ(definition.port_count(), 1);
}

TEST(AppComposerTest, WhatChangesTheHashAndWhatDoesNot) {
  const config::MarathonInstanceConfig base = ExampleMain();
  const auto id = [&](config::MarathonInstanceConfig config, config::BranchDeployment deployment) {
    return ComposeApp(config, deployment, System(), 1, "")->id;
  };
  const std::string original = id(base, Deployment());
  // Each row: a change, and whether it bounces (changes the id).
  config::MarathonInstanceConfig scaled = base;
  scaled.instances = 7;
  EXPECT_EQ(id(scaled, Deployment()), original) << "scaling never bounces";
  EXPECT_EQ(id(base, Deployment(config::DesiredState::kStop)), original)
      << "stop with the same force_bounce is the same app at 0 instances";
  EXPECT_EQ(ComposeApp(base, Deployment(config::DesiredState::kStop), System(), 1, "")->instances, 0);
  EXPECT_NE(id(base, Deployment(config::DesiredState::kStart, "20161107T101010")), original)
      << "restart bounces";
  config::MarathonInstanceConfig changed = base;
  changed.env["GREETING"] = "hi";
  EXPECT_NE(id(changed, Deployment()), original) << "env";
  changed = base;
  changed.cmd = "python3 server2.py";
  EXPECT_NE(id(changed, Deployment()), original) << "cmd";
  changed = base;
  changed.mem = 256;
  EXPECT_NE(id(changed, Deployment()), original) << "mem";
  config::BranchDeployment other = Deployment();
  other.docker_image = "services-example_service:paasta-" + std::string(40, 'e');
  const std::string new_image = id(base, other);
  EXPECT_NE(new_image, original) << "a new image";
  EXPECT_EQ(new_image.substr(0, 33), "example--service.main.giteeeeeeee");
}

TEST(AppComposerTest, HealthCheckModesNetworksAndParameters) {
  config::MarathonInstanceConfig config = ExampleMain();
  config.healthcheck_mode = "tcp";
  config.net = "host";
  config.ulimits = {{"nofile", 1024, 2048}, {"nproc", 512, std::nullopt}};
  config.cap_add = {"NET_ADMIN", "SYS_TIME"};
  config.cpu_burst_pct = 100;
  auto composed = ComposeApp(config, Deployment(), System(), 3, "");
  ASSERT_TRUE(composed.ok());
  const nlohmann::json& app = composed->app;
  EXPECT_EQ(app["health_checks"][0]["protocol"], "TCP");
  EXPECT_FALSE(app["health_checks"][0].contains("path"));
  EXPECT_EQ(app["container"]["docker"]["network"], "HOST");
  EXPECT_FALSE(app["container"]["docker"].contains("portMappings"));
  EXPECT_EQ(app["container"]["docker"]["parameters"],
            nlohmann::json::parse(R"([{"key": "memory-swap", "value": "128m"},
                                      {"key": "cpu-period", "value": "100000"},
                                      {"key": "cpu-quota", "value": "20000"},
                                      {"key": "ulimit", "value": "nofile=1024:2048"},
                                      {"key": "ulimit", "value": "nproc=512"},
                                      {"key": "cap-add", "value": "NET_ADMIN"},
                                      {"key": "cap-add", "value": "SYS_TIME"}])"));
  EXPECT_EQ(app["constraints"][0], nlohmann::json::parse(R"(["region", "GROUP_BY", "3"])"));

  config.healthcheck_mode = "cmd";
  config.healthcheck_cmd = "/bin/true";
  composed = ComposeApp(config, Deployment(), System(), 1, "");
  EXPECT_EQ(composed->app["health_checks"][0],
            nlohmann::json::parse(R"({"protocol": "COMMAND", "command": {"value": "/bin/true"},
              "gracePeriodSeconds": 60, "intervalSeconds": 10, "timeoutSeconds": 10,
              "maxConsecutiveFailures": 30})"));

  config.smartstack.reset();
  config.healthcheck_mode.reset();
  config.constraints = std::vector<std::vector<std::string>>{{"hostname", "UNIQUE"}};
  composed = ComposeApp(config, Deployment(), System(), 1, "");
  EXPECT_EQ(composed->app["health_checks"], nlohmann::json::array()) << "no namespace: no checks";
  EXPECT_EQ(composed->app["constraints"], nlohmann::json::parse(R"([["hostname", "UNIQUE"]])"))
      << "verbatim";
}

TEST(AppComposerTest, MissingImageOrVolumesNameTheInstance) {
  config::BranchDeployment deployment = Deployment();
  deployment.docker_image.clear();
  EXPECT_EQ(ComposeApp(ExampleMain(), deployment, System(), 1, "").status().message(),
            "no docker image for example_service.main in deployments.json: has it been deployed?");
  config::SystemConfig system = System();
  system.volumes.reset();
  EXPECT_EQ(ComposeApp(ExampleMain(), Deployment(), system, 1, "").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace paasta::deployer
