#include "common/config/deployments.h"

#include "absl/strings/str_cat.h"
#include "common/config/soa_loader.h"
#include "common/file_util.h"

namespace paasta::config {
namespace {

absl::Status Malformed(const std::string& file, const std::string& key, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(file, ": ", key, ": ", what));
}

// Reads {desired_state, force_bounce} (missing keys take the defaults).
absl::Status ReadControl(const ConfigValue& value, const std::string& file, const std::string& key,
                         DesiredState* desired_state, std::optional<std::string>* force_bounce) {
  if (const ConfigValue* state = value.Find("desired_state"); state != nullptr && !state->IsNull()) {
    if (state->IsString() && state->string_value() == "start") {
      *desired_state = DesiredState::kStart;
    } else if (state->IsString() && state->string_value() == "stop") {
      *desired_state = DesiredState::kStop;
    } else {
      return Malformed(file, key + ".desired_state",
                       absl::StrCat("must be \"start\" or \"stop\", found ", state->Describe()));
    }
  }
  if (const ConfigValue* bounce = value.Find("force_bounce"); bounce != nullptr && !bounce->IsNull()) {
    if (!bounce->IsString()) {
      return Malformed(file, key + ".force_bounce",
                       absl::StrCat("must be a timestamp string or null, found ", bounce->Describe()));
    }
    *force_bounce = bounce->string_value();
  }
  return absl::OkStatus();
}

std::string StringOrEmpty(const ConfigValue& value, const char* key) {
  const ConfigValue* field = value.Find(key);
  return field != nullptr && field->IsString() ? field->string_value() : "";
}

}  // namespace

std::string BranchDeployment::GitSha() const {
  const size_t dash = docker_image.rfind('-');
  return dash == std::string::npos ? "" : docker_image.substr(dash + 1);
}

const BranchDeployment* Deployments::ForBranch(const std::string& service,
                                               const std::string& branch) const {
  auto it = v1.find(absl::StrCat(service, ":paasta-", branch));
  return it == v1.end() ? nullptr : &it->second;
}

absl::StatusOr<Deployments> ParseDeployments(const std::string& text, const std::string& file) {
  absl::StatusOr<ConfigValue> parsed = ParseJson(text, file);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->IsMap()) return Malformed(file, "(top)", "expected a JSON object");
  Deployments deployments;
  const ConfigValue* v1 = parsed->Find("v1");
  if (v1 == nullptr) {
    // Legacy flat form: {"<service>:paasta-<branch>": "<docker image>"}.
    for (const auto& [key, value] : parsed->entries()) {
      if (!value.IsString()) {
        return Malformed(file, key, "legacy entries must be docker image strings");
      }
      deployments.v1[key].docker_image = value.string_value();
    }
    return deployments;
  }
  if (!v1->IsMap()) return Malformed(file, "v1", "must be an object");
  for (const auto& [key, value] : v1->entries()) {
    BranchDeployment& entry = deployments.v1[key];
    if (value.IsString()) {  // a legacy entry inside v1
      entry.docker_image = value.string_value();
      continue;
    }
    if (!value.IsMap()) return Malformed(file, "v1." + key, "must be an object");
    entry.docker_image = StringOrEmpty(value, "docker_image");
    if (absl::Status s = ReadControl(value, file, "v1." + key, &entry.desired_state,
                                     &entry.force_bounce);
        !s.ok()) {
      return s;
    }
  }
  if (const ConfigValue* v2 = parsed->Find("v2"); v2 != nullptr && v2->IsMap()) {
    if (const ConfigValue* groups = v2->Find("deployments"); groups != nullptr && groups->IsMap()) {
      for (const auto& [group, value] : groups->entries()) {
        deployments.deploy_groups[group] = {StringOrEmpty(value, "docker_image"),
                                            StringOrEmpty(value, "git_sha")};
      }
    }
    if (const ConfigValue* controls = v2->Find("controls"); controls != nullptr && controls->IsMap()) {
      for (const auto& [key, value] : controls->entries()) {
        Control& control = deployments.controls[key];
        if (absl::Status s = ReadControl(value, file, "v2.controls." + key, &control.desired_state,
                                         &control.force_bounce);
            !s.ok()) {
          return s;
        }
      }
    }
  }
  return deployments;
}

absl::StatusOr<Deployments> ReadDeployments(const std::string& soa_dir, const std::string& service) {
  if (absl::Status name = CheckName("service", service); !name.ok()) return name;
  const std::string path = absl::StrCat(soa_dir, "/", service, "/deployments.json");
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    if (absl::IsNotFound(text.status())) {
      return absl::NotFoundError(absl::StrCat("no deployments.json for ", service, " (", path,
                                              "): has it been deployed?"));
    }
    return text.status();
  }
  return ParseDeployments(*text, path);
}

}  // namespace paasta::config
