// Composing an instance's Marathon app (../shared/reference/paasta-behaviour.md
// §3.1), as a pure function of the instance's config, its deployments.json
// entry and the system config. It gives:
//
//   - the app dict with the original's snake_case keys (the marathon client
//     turns them into camelCase on the wire), which is what is hashed;
//   - the app id "<service>.<instance>.git<sha8>.config<hash8>";
//   - the same app as a paasta.v1.AppDefinition for the agent.
//
// The hash leaves out instances and backoff_seconds, so scaling never bounces;
// it includes force_bounce, so `paasta restart` does.
#ifndef PAASTA_DEPLOYER_APP_COMPOSER_H_
#define PAASTA_DEPLOYER_APP_COMPOSER_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/config/deployments.h"
#include "common/config/soa_config.h"
#include "common/config/system_config.h"
#include "nlohmann/json.hpp"
#include "protos/types.pb.h"

namespace paasta::deployer {

struct ComposedApp {
  // "<service>.<instance>.git<sha8>.config<hash8>" ("_" written "--").
  std::string id;
  // "config<hash8>".
  std::string config_hash;
  // The full app dict, id included.
  nlohmann::json app;
  // How many tasks (0 when stopped).
  int64_t instances = 0;
  // The same app for the agent (with the commit to check out).
  v1::AppDefinition definition;
};

// The port PaaSTA services listen on inside their container.
inline constexpr int kContainerPort = 8888;

// A number as the original's YAML gave it: an int when integral, else a float
// (so the hashed dicts match the original's).
nlohmann::json JsonNumber(double value);

// The seed's Docker parameters for any instance (apps and jobs): memory-swap
// equal to mem rounded up to whole MB, cpu-period, cpu-quota with the burst,
// ulimits (sorted by name), cap-add; as [{"key", "value"}, ...].
nlohmann::json DockerParameters(const config::InstanceConfig& config);

// The system config's volumes, then the instance's extra_volumes, as
// [{"containerPath", "hostPath", "mode"}, ...]. The system config must have
// volumes.
nlohmann::json Volumes(const config::SystemConfig& system, const config::InstanceConfig& config);

// "BRIDGE", "HOST" or "NONE" for the instance's `net`.
std::string DockerNetwork(const config::InstanceConfig& config);

// The image with the system config's docker_registry in front (when set).
std::string DockerImage(const config::SystemConfig& system, const config::BranchDeployment& deployment);

// The same container as a paasta.v1.Container (port 8888 published in bridge
// mode when `publish_port`).
v1::Container ContainerProto(const std::string& image, const std::string& network, const nlohmann::json& parameters,
                             const nlohmann::json& volumes, bool publish_port);

// The instance's health check as the agent runs it (none when the instance has
// no health-check mode).
std::optional<v1::HealthCheck> HealthCheckProto(const config::MarathonInstanceConfig& config);

// Composes the app. `location_count` is how many distinct values of the
// namespace's `discover` attribute the cluster's hosts have (the GROUP_BY
// constraint's count; 1 on one machine). `git_url` is the service's repository
// (for the agent's checkout). FAILED_PRECONDITION when the deployment has no
// image or the system config has no volumes, naming the instance.
absl::StatusOr<ComposedApp> ComposeApp(const config::MarathonInstanceConfig& config,
                                       const config::BranchDeployment& deployment, const config::SystemConfig& system,
                                       int location_count, const std::string& git_url);

}  // namespace paasta::deployer

#endif  // PAASTA_DEPLOYER_APP_COMPOSER_H_
