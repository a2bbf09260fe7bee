// deployments.json: what the generator derived from git for one service
// (../shared/reference/paasta-behaviour.md §2.3).
//
//   {"v1": {"<service>:paasta-<cluster>.<instance>":
//             {"docker_image": "services-<service>:paasta-<sha>",
//              "desired_state": "start"|"stop", "force_bounce": null|"<ts>"}},
//    "v2": {"deployments": {"<deploy_group>": {"docker_image": ..., "git_sha": ...}},
//           "controls": {"<service>:<cluster>.<instance>":
//                          {"desired_state": ..., "force_bounce": ...}}}}
//
// Readers also accept the legacy flat form {"<key>": "<docker_image>"} (read as
// v1 entries that are started, with no force_bounce).
#ifndef PAASTA_COMMON_CONFIG_DEPLOYMENTS_H_
#define PAASTA_COMMON_CONFIG_DEPLOYMENTS_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/config/soa_config.h"

namespace paasta::config {

// A v1 entry: what one control branch ("<cluster>.<instance>") runs.
struct BranchDeployment {
  // "services-<service>:paasta-<sha>", "" when absent.
  std::string docker_image;
  DesiredState desired_state = DesiredState::kStart;
  // The newest control tag's timestamp, if any applies.
  std::optional<std::string> force_bounce;

  // The sha: the text after the last '-' of docker_image ("" if none).
  std::string GitSha() const;
};

// A v2 deploy group entry.
struct GroupDeployment {
  std::string docker_image;
  std::string git_sha;
};

// A v2 control entry.
struct Control {
  DesiredState desired_state = DesiredState::kStart;
  std::optional<std::string> force_bounce;
};

struct Deployments {
  // v1, by "<service>:paasta-<cluster>.<instance>".
  std::map<std::string, BranchDeployment> v1;
  // v2 deployments, by deploy group.
  std::map<std::string, GroupDeployment> deploy_groups;
  // v2 controls, by "<service>:<cluster>.<instance>".
  std::map<std::string, Control> controls;

  // The v1 entry for a control branch ("<cluster>.<instance>"), or null.
  const BranchDeployment* ForBranch(const std::string& service, const std::string& branch) const;
};

// Parses deployments.json text read from `file`. INVALID_ARGUMENT naming the
// file and the key for malformed input.
absl::StatusOr<Deployments> ParseDeployments(const std::string& text, const std::string& file);

// Reads <soa_dir>/<service>/deployments.json. NOT_FOUND ("no deployments.json
// for <service>: has it been deployed?") when it does not exist.
absl::StatusOr<Deployments> ReadDeployments(const std::string& soa_dir,
                                            const std::string& service);

}  // namespace paasta::config

#endif  // PAASTA_COMMON_CONFIG_DEPLOYMENTS_H_
