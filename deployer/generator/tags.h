// The git tags that record what should run (../shared/reference/
// paasta-behaviour.md §2.1), as pure functions over a list of refs.
//
//   deploy:  refs/tags/paasta-<deploy_group>-<YYYYMMDDTHHMMSS>-deploy
//   control: refs/tags/paasta-<cluster>.<instance>-<YYYYMMDDTHHMMSS>-<start|stop>
//
// Example: with tags paasta-local.everything-20161107T101010-deploy at A and
// paasta-local.everything-20161108T090000-deploy at B, the deploy group
// local.everything runs B. A control tag paasta-local.main-20161108T100000-stop
// at B stops local.main; one at A (an older deploy) is ignored, so deploying a
// new commit resets a stop.
#ifndef PAASTA_DEPLOYER_GENERATOR_TAGS_H_
#define PAASTA_DEPLOYER_GENERATOR_TAGS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/config/soa_config.h"
#include "common/git/git_repository.h"

namespace paasta::generator {

// The newest deploy tag of a deploy group.
struct DeployTag {
  // The tag's full ref name.
  std::string ref;
  // Its UTC timestamp, YYYYMMDDTHHMMSS.
  std::string timestamp;
  // The commit it points at.
  std::string sha;
};

// The deploy tag of `deploy_group` with the greatest timestamp (the deploy group
// is matched literally), or nothing if it was never deployed.
std::optional<DeployTag> LatestDeployTag(const std::vector<git::Ref>& refs,
                                         absl::string_view deploy_group);

// What the control tags say for a control branch ("<cluster>.<instance>").
struct ControlState {
  config::DesiredState desired_state = config::DesiredState::kStart;
  // The winning tag's timestamp; unset when no control tag applies.
  std::optional<std::string> force_bounce;
};

// Among control tags of `branch` that point at `deploy_sha` (with up to two
// "paasta-" prefixes, as the original tolerated), the one with the greatest
// timestamp decides; none means start with no force_bounce.
ControlState ControlStateAt(const std::vector<git::Ref>& refs, absl::string_view branch,
                            absl::string_view deploy_sha);

// YYYYMMDDTHHMMSS in UTC.
std::string TagTimestamp(absl::Time time);

// "paasta-<deploy_group>-<ts>-deploy".
std::string DeployTagName(absl::string_view deploy_group, absl::Time time);

// "paasta-<branch>-<ts>-<start|stop>".
std::string ControlTagName(absl::string_view branch, absl::Time time,
                           config::DesiredState desired_state);

}  // namespace paasta::generator

#endif  // PAASTA_DEPLOYER_GENERATOR_TAGS_H_
