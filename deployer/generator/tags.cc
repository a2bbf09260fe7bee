#include "deployer/generator/tags.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace paasta::generator {
namespace {

constexpr absl::string_view kTagsPrefix = "refs/tags/";

// \d{8}T\d{6}
bool IsTimestamp(absl::string_view text) {
  if (text.size() != 15 || text[8] != 'T') return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i != 8 && !absl::ascii_isdigit(text[i])) return false;
  }
  return true;
}

}  // namespace

std::optional<DeployTag> LatestDeployTag(const std::vector<git::Ref>& refs,
                                         absl::string_view deploy_group) {
  const std::string prefix = absl::StrCat(kTagsPrefix, "paasta-", deploy_group, "-");
  std::optional<DeployTag> latest;
  for (const git::Ref& ref : refs) {
    absl::string_view rest = ref.name;
    if (!absl::ConsumePrefix(&rest, prefix) || !absl::ConsumeSuffix(&rest, "-deploy") ||
        !IsTimestamp(rest)) {
      continue;
    }
    if (!latest.has_value() || rest > latest->timestamp) {
      latest = DeployTag{ref.name, std::string(rest), ref.sha};
    }
  }
  return latest;
}

ControlState ControlStateAt(const std::vector<git::Ref>& refs, absl::string_view branch,
                            absl::string_view deploy_sha) {
  ControlState state;
  const std::string branch_prefix = absl::StrCat(branch, "-");
  for (const git::Ref& ref : refs) {
    if (ref.sha != deploy_sha) continue;
    absl::string_view rest = ref.name;
    if (!absl::ConsumePrefix(&rest, kTagsPrefix)) continue;
    // (?:paasta-){0,2}<branch>-<force_bounce>-<start|stop>
    bool matched = false;
    for (int prefixes = 0; prefixes <= 2 && !matched; ++prefixes) {
      absl::string_view candidate = rest;
      bool ok = true;
      for (int i = 0; i < prefixes && ok; ++i) ok = absl::ConsumePrefix(&candidate, "paasta-");
      if (!ok || !absl::ConsumePrefix(&candidate, branch_prefix)) continue;
      config::DesiredState desired;
      if (absl::ConsumeSuffix(&candidate, "-start")) {
        desired = config::DesiredState::kStart;
      } else if (absl::ConsumeSuffix(&candidate, "-stop")) {
        desired = config::DesiredState::kStop;
      } else {
        continue;
      }
      // force_bounce is [^-]+.
      if (candidate.empty() || absl::StrContains(candidate, '-')) continue;
      matched = true;
      if (!state.force_bounce.has_value() || candidate > *state.force_bounce) {
        state.desired_state = desired;
        state.force_bounce = std::string(candidate);
      }
    }
  }
  return state;
}

std::string TagTimestamp(absl::Time time) {
  return absl::FormatTime("%Y%m%dT%H%M%S", time, absl::UTCTimeZone());
}

std::string DeployTagName(absl::string_view deploy_group, absl::Time time) {
  return absl::StrCat("paasta-", deploy_group, "-", TagTimestamp(time), "-deploy");
}

std::string ControlTagName(absl::string_view branch, absl::Time time,
                           config::DesiredState desired_state) {
  return absl::StrCat("paasta-", branch, "-", TagTimestamp(time), "-",
                      desired_state == config::DesiredState::kStop ? "stop" : "start");
}

}  // namespace paasta::generator
