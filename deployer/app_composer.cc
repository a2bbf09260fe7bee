#include "deployer/app_composer.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "deployer/config_hash.h"
#include "google/protobuf/util/time_util.h"

namespace paasta::deployer {
namespace {

using google::protobuf::util::TimeUtil;

nlohmann::json HealthChecks(const config::MarathonInstanceConfig& config) {
  nlohmann::json checks = nlohmann::json::array();
  const std::optional<std::string> mode = config.HealthcheckMode();
  if (!mode.has_value()) return checks;
  nlohmann::json check = {{"gracePeriodSeconds", JsonNumber(config.healthcheck_grace_period_seconds)},
                          {"intervalSeconds", JsonNumber(config.healthcheck_interval_seconds)},
                          {"timeoutSeconds", JsonNumber(config.healthcheck_timeout_seconds)},
                          {"maxConsecutiveFailures", config.healthcheck_max_consecutive_failures}};
  if (*mode == "http") {
    check["protocol"] = "HTTP";
    check["path"] = config.HealthcheckUri();
    check["portIndex"] = 0;
  } else if (*mode == "tcp") {
    check["protocol"] = "TCP";
    check["portIndex"] = 0;
  } else {
    check["protocol"] = "COMMAND";
    check["command"] = {{"value", config.healthcheck_cmd.value_or("")}};
  }
  checks.push_back(check);
  return checks;
}

nlohmann::json Constraints(const config::MarathonInstanceConfig& config, int location_count) {
  if (config.constraints.has_value()) return *config.constraints;  // verbatim
  nlohmann::json constraints = nlohmann::json::array();
  for (const auto& constraint : config.extra_constraints) constraints.push_back(constraint);
  const std::string discover = config.smartstack.has_value() ? config.smartstack->discover : "region";
  constraints.push_back({discover, "GROUP_BY", absl::StrCat(location_count)});
  for (const auto& [type, value] : config.deploy_blacklist) constraints.push_back({type, "UNLIKE", value});
  if (config.deploy_whitelist.has_value()) {
    constraints.push_back(
        {config.deploy_whitelist->first, "LIKE", absl::StrJoin(config.deploy_whitelist->second, "|")});
  }
  constraints.push_back({"pool", "LIKE", config.pool});
  return constraints;
}

google::protobuf::Duration Seconds(double seconds) {
  return TimeUtil::NanosecondsToDuration(static_cast<int64_t>(seconds * 1e9));
}

}  // namespace

nlohmann::json JsonNumber(double value) {
  if (value == std::floor(value) && std::fabs(value) < 1e15) return static_cast<int64_t>(value);
  return value;
}

nlohmann::json DockerParameters(const config::InstanceConfig& config) {
  nlohmann::json parameters = nlohmann::json::array();
  parameters.push_back(
      {{"key", "memory-swap"}, {"value", absl::StrCat(static_cast<int64_t>(std::ceil(config.mem)), "m")}});
  parameters.push_back({{"key", "cpu-period"}, {"value", absl::StrCat(config.cfs_period_us)}});
  const int64_t quota = static_cast<int64_t>(config.cpus * static_cast<double>(config.cfs_period_us) *
                                             (100 + config.cpu_burst_pct) / 100);
  parameters.push_back({{"key", "cpu-quota"}, {"value", absl::StrCat(quota)}});
  for (const config::UlimitConfig& ulimit : config.ulimits) {  // sorted by name
    parameters.push_back({{"key", "ulimit"},
                          {"value", absl::StrCat(ulimit.name, "=", ulimit.soft,
                                                 ulimit.hard.has_value() ? absl::StrCat(":", *ulimit.hard) : "")}});
  }
  for (const std::string& capability : config.cap_add) {
    parameters.push_back({{"key", "cap-add"}, {"value", capability}});
  }
  return parameters;
}

nlohmann::json Volumes(const config::SystemConfig& system, const config::InstanceConfig& config) {
  nlohmann::json volumes = nlohmann::json::array();
  for (const auto* list : {&*system.volumes, &config.extra_volumes}) {
    for (const config::VolumeConfig& volume : *list) {
      volumes.push_back(
          {{"containerPath", volume.container_path}, {"hostPath", volume.host_path}, {"mode", volume.mode}});
    }
  }
  return volumes;
}

std::string DockerNetwork(const config::InstanceConfig& config) {
  return config.net == "none" ? "NONE" : config.net == "host" ? "HOST" : "BRIDGE";
}

std::string DockerImage(const config::SystemConfig& system, const config::BranchDeployment& deployment) {
  return system.docker_registry.empty() ? deployment.docker_image
                                        : absl::StrCat(system.docker_registry, "/", deployment.docker_image);
}

v1::Container ContainerProto(const std::string& image, const std::string& network, const nlohmann::json& parameters,
                             const nlohmann::json& volumes, bool publish_port) {
  v1::Container out;
  v1::DockerContainer* container = out.mutable_docker();
  container->set_image(image);
  container->set_network(network == "HOST"   ? v1::NETWORK_MODE_HOST
                         : network == "NONE" ? v1::NETWORK_MODE_NONE
                                             : v1::NETWORK_MODE_BRIDGE);
  if (publish_port) {
    v1::PortMapping* mapping = container->add_port_mappings();
    mapping->set_container_port(kContainerPort);
    mapping->set_protocol("tcp");
  }
  for (const auto& parameter : parameters) {
    v1::DockerParameter* added = container->add_parameters();
    added->set_key(parameter["key"].get<std::string>());
    added->set_value(parameter["value"].get<std::string>());
  }
  for (const auto& volume : volumes) {
    v1::Volume* added = out.add_volumes();
    added->set_container_path(volume["containerPath"].get<std::string>());
    added->set_host_path(volume["hostPath"].get<std::string>());
    added->set_mode(volume["mode"] == "RW" ? v1::VOLUME_MODE_RW : v1::VOLUME_MODE_RO);
  }
  return out;
}

std::optional<v1::HealthCheck> HealthCheckProto(const config::MarathonInstanceConfig& config) {
  const nlohmann::json checks = HealthChecks(config);
  if (checks.empty()) return std::nullopt;
  const nlohmann::json& check = checks[0];
  v1::HealthCheck out;
  const std::string protocol = check["protocol"];
  out.set_protocol(protocol == "HTTP"  ? v1::HEALTH_CHECK_PROTOCOL_HTTP
                   : protocol == "TCP" ? v1::HEALTH_CHECK_PROTOCOL_TCP
                                       : v1::HEALTH_CHECK_PROTOCOL_COMMAND);
  if (check.contains("path")) out.set_path(check["path"].get<std::string>());
  if (check.contains("command")) out.set_command(check["command"]["value"].get<std::string>());
  *out.mutable_grace_period() = Seconds(config.healthcheck_grace_period_seconds);
  *out.mutable_interval() = Seconds(config.healthcheck_interval_seconds);
  *out.mutable_timeout() = Seconds(config.healthcheck_timeout_seconds);
  out.set_max_consecutive_failures(static_cast<int32_t>(config.healthcheck_max_consecutive_failures));
  return out;
}

absl::StatusOr<ComposedApp> ComposeApp(const config::MarathonInstanceConfig& config,
                                       const config::BranchDeployment& deployment, const config::SystemConfig& system,
                                       int location_count, const std::string& git_url) {
  if (deployment.docker_image.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no docker image for ", config.Name(), " in deployments.json: has it been deployed?"));
  }
  if (!system.volumes.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot compose ", config.Name(), ": the system config has no \"volumes\" (use [] for none)"));
  }
  const std::string image = DockerImage(system, deployment);
  const std::string network = DockerNetwork(config);
  const nlohmann::json parameters = DockerParameters(config);
  nlohmann::json docker = {{"image", image}, {"network", network}, {"parameters", parameters}};
  if (network == "BRIDGE") {
    docker["portMappings"] = {{{"containerPort", kContainerPort}, {"hostPort", 0}, {"protocol", "tcp"}}};
  }
  const nlohmann::json volumes = Volumes(system, config);

  // PAASTA_* first, the instance's env over them.
  nlohmann::json env = {{"PAASTA_SERVICE", config.service},
                        {"PAASTA_INSTANCE", config.instance},
                        {"PAASTA_CLUSTER", config.cluster},
                        {"PAASTA_DOCKER_IMAGE", deployment.docker_image}};
  for (const auto& [name, value] : config.env) env[name] = value;

  const config::DesiredState desired = deployment.desired_state;
  ComposedApp composed;
  composed.instances = config.InstanceCount(desired);
  nlohmann::json app = {
      {"container", {{"docker", docker}, {"type", "DOCKER"}, {"volumes", volumes}}},
      {"uris", {system.dockercfg_location}},
      {"backoff_factor", JsonNumber(config.backoff_factor)},
      {"max_launch_delay_seconds", config.max_launch_delay_seconds},
      {"health_checks", HealthChecks(config)},
      {"env", env},
      {"mem", config.mem},
      {"cpus", config.cpus},
      {"disk", config.disk},
      {"constraints", Constraints(config, location_count)},
      {"cmd", config.cmd.has_value() ? nlohmann::json(*config.cmd) : nlohmann::json(nullptr)},
      {"args", config.args.has_value() ? nlohmann::json(*config.args) : nlohmann::json(nullptr)},
  };
  if (config.accepted_resource_roles.has_value()) app["accepted_resource_roles"] = *config.accepted_resource_roles;
  // Hashed: everything but instances and backoff_seconds (scaling is not a bounce).
  composed.config_hash = ConfigHash(app, deployment.force_bounce.value_or(""));
  app["instances"] = composed.instances;
  app["backoff_seconds"] = config.BackoffSeconds(desired);
  composed.id = AppId(config.service, config.instance, deployment.GitSha(), composed.config_hash);
  app["id"] = composed.id;
  composed.app = app;

  // The agent's definition of the same app.
  v1::AppDefinition& definition = composed.definition;
  definition.set_id(composed.id);
  if (config.cmd.has_value()) definition.set_cmd(*config.cmd);
  if (config.args.has_value()) {
    for (const std::string& arg : *config.args) definition.add_args(arg);
  }
  definition.set_cpus(config.cpus);
  definition.set_mem(config.mem);
  definition.set_disk(config.disk);
  definition.set_instances(static_cast<int32_t>(composed.instances));
  for (const auto& [name, value] : env.items()) (*definition.mutable_env())[name] = value.get<std::string>();
  *definition.mutable_container() = ContainerProto(image, network, parameters, volumes, network == "BRIDGE");
  if (std::optional<v1::HealthCheck> check = HealthCheckProto(config)) *definition.add_health_checks() = *check;
  *definition.mutable_backoff() = Seconds(static_cast<double>(config.BackoffSeconds(desired)));
  definition.set_backoff_factor(config.backoff_factor);
  *definition.mutable_max_launch_delay() = Seconds(static_cast<double>(config.max_launch_delay_seconds));
  for (const auto& constraint : app["constraints"]) {
    v1::Constraint* out = definition.add_constraints();
    out->set_field(constraint[0].get<std::string>());
    out->set_operator_(constraint[1].get<std::string>());
    if (constraint.size() > 2) out->set_value(constraint[2].get<std::string>());
  }
  definition.add_uris(system.dockercfg_location);
  if (config.accepted_resource_roles.has_value()) {
    for (const std::string& role : *config.accepted_resource_roles) definition.add_accepted_resource_roles(role);
  }
  definition.mutable_source()->set_git_url(git_url);
  definition.mutable_source()->set_git_sha(deployment.GitSha());
  definition.set_port_count(1);
  return composed;
}

}  // namespace paasta::deployer
