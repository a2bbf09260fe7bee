#include "deployer/generator/deployments_json.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "deployer/generator/tags.h"
#include "nlohmann/json.hpp"

namespace paasta::generator {
namespace {

// A JSON string as Python writes it (ASCII only).
std::string Quote(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', /*ensure_ascii=*/true);
}

std::string State(config::DesiredState state) {
  return Quote(state == config::DesiredState::kStop ? "stop" : "start");
}

std::string ForceBounce(const std::optional<std::string>& force_bounce) {
  return force_bounce.has_value() ? Quote(*force_bounce) : "null";
}

// {"k": v, ...} from already-rendered values; std::map keeps keys sorted.
std::string Object(const std::map<std::string, std::string>& members) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : members) parts.push_back(absl::StrCat(Quote(key), ": ", value));
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

void AddInstance(const config::InstanceConfig& instance, const std::vector<git::Ref>& refs,
                 config::Deployments* deployments) {
  const std::optional<DeployTag> deploy = LatestDeployTag(refs, instance.deploy_group);
  if (!deploy.has_value()) return;  // never deployed: left out
  const ControlState control = ControlStateAt(refs, instance.branch, deploy->sha);
  const std::string image = DockerImage(instance.service, deploy->sha);
  config::BranchDeployment& v1 =
      deployments->v1[absl::StrCat(instance.service, ":paasta-", instance.branch)];
  v1.docker_image = image;
  v1.desired_state = control.desired_state;
  v1.force_bounce = control.force_bounce;
  deployments->deploy_groups[instance.deploy_group] = {image, deploy->sha};
  deployments->controls[absl::StrCat(instance.service, ":", instance.branch)] = {
      control.desired_state, control.force_bounce};
}

}  // namespace

std::string DockerImage(const std::string& service, const std::string& sha) {
  return absl::StrCat("services-", service, ":paasta-", sha);
}

config::Deployments ComputeDeployments(const config::ServiceConfig& service,
                                       const std::vector<git::Ref>& refs) {
  config::Deployments deployments;
  for (const auto& instance : service.marathon) AddInstance(instance, refs, &deployments);
  for (const auto& instance : service.chronos) AddInstance(instance, refs, &deployments);
  for (const auto& instance : service.adhoc) AddInstance(instance, refs, &deployments);
  return deployments;
}

std::string RenderDeploymentsJson(const config::Deployments& deployments) {
  std::map<std::string, std::string> v1;
  for (const auto& [key, entry] : deployments.v1) {
    v1[key] = Object({{"docker_image", Quote(entry.docker_image)},
                      {"desired_state", State(entry.desired_state)},
                      {"force_bounce", ForceBounce(entry.force_bounce)}});
  }
  std::map<std::string, std::string> groups;
  for (const auto& [group, entry] : deployments.deploy_groups) {
    groups[group] = Object({{"docker_image", Quote(entry.docker_image)},
                            {"git_sha", Quote(entry.git_sha)}});
  }
  std::map<std::string, std::string> controls;
  for (const auto& [key, entry] : deployments.controls) {
    controls[key] = Object({{"desired_state", State(entry.desired_state)},
                            {"force_bounce", ForceBounce(entry.force_bounce)}});
  }
  return Object({{"v1", Object(v1)},
                 {"v2", Object({{"controls", Object(controls)}, {"deployments", Object(groups)}})}});
}

}  // namespace paasta::generator
