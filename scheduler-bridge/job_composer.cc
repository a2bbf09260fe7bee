#include "scheduler-bridge/job_composer.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/iso8601.h"
#include "deployer/app_composer.h"
#include "deployer/config_hash.h"
#include "google/protobuf/util/time_util.h"
#include "scheduler-bridge/time_variables.h"

namespace paasta::scheduler {
namespace {

using google::protobuf::util::TimeUtil;

nlohmann::json ChronosConstraints(const config::ChronosJobConfig& config) {
  if (config.constraints.has_value()) return *config.constraints;  // verbatim
  nlohmann::json constraints = nlohmann::json::array();
  for (const auto& constraint : config.extra_constraints) constraints.push_back(constraint);
  if (config.deploy_whitelist.has_value()) {
    std::string values;
    for (const std::string& value : config.deploy_whitelist->second) {
      absl::StrAppend(&values, values.empty() ? "" : "|", value);
    }
    constraints.push_back({config.deploy_whitelist->first, "LIKE", values});
  }
  constraints.push_back({"pool", "LIKE", config.pool});
  return constraints;
}

std::string NetworkName(v1::NetworkMode mode) {
  return mode == v1::NETWORK_MODE_HOST ? "HOST" : mode == v1::NETWORK_MODE_NONE ? "NONE" : "BRIDGE";
}

}  // namespace

std::string ChronosJobName(absl::string_view service, absl::string_view instance) {
  return absl::StrCat(service, " ", instance);
}

absl::StatusOr<JobName> DecomposeJobName(absl::string_view name) {
  const std::vector<std::string> parts = absl::StrSplit(name, ' ');
  for (const std::string& part : parts) {
    if (part.empty()) break;
    if (parts.size() == 2) return JobName{parts[0], parts[1], false};
    if (parts.size() == 3 && absl::StartsWith(parts[0], "tmp")) return JobName{parts[1], parts[2], true};
  }
  return absl::InvalidArgumentError(absl::StrCat("\"", name,
                                                 "\" is not a paasta job name (\"<service> <instance>\" or "
                                                 "\"tmp-<timestamp> <service> <instance>\")"));
}

bool DisabledState(config::DesiredState desired, bool soa_disabled) {
  return soa_disabled || desired == config::DesiredState::kStop;
}

absl::StatusOr<absl::TimeZone> JobTimeZone(const v1::Job& job) {
  if (job.schedule_time_zone().empty()) return absl::UTCTimeZone();
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(job.schedule_time_zone(), &zone)) {
    return absl::InvalidArgumentError(absl::StrCat(job.name(), ": schedule_time_zone: \"", job.schedule_time_zone(),
                                                   "\" is not a time zone of the tz database"));
  }
  return zone;
}

nlohmann::json ChronosJobJson(const v1::Job& job) {
  nlohmann::json volumes = nlohmann::json::array();
  for (const v1::Volume& volume : job.container().volumes()) {
    volumes.push_back({{"containerPath", volume.container_path()},
                       {"hostPath", volume.host_path()},
                       {"mode", volume.mode() == v1::VOLUME_MODE_RW ? "RW" : "RO"}});
  }
  nlohmann::json parameters = nlohmann::json::array();
  for (const v1::DockerParameter& parameter : job.container().docker().parameters()) {
    parameters.push_back({{"key", parameter.key()}, {"value", parameter.value()}});
  }
  nlohmann::json env = nlohmann::json::array();
  for (const auto& [name, value] : std::map<std::string, std::string>(job.env().begin(), job.env().end())) {
    env.push_back({{"name", name}, {"value", value}});
  }
  nlohmann::json constraints = nlohmann::json::array();
  for (const v1::Constraint& constraint : job.constraints()) {
    constraints.push_back({constraint.field(), constraint.operator_(), constraint.value()});
  }
  nlohmann::json out = {
      {"name", job.name()},
      {"container",
       {{"image", job.container().docker().image()},
        {"network", NetworkName(job.container().docker().network())},
        {"type", "DOCKER"},
        {"volumes", volumes},
        {"parameters", parameters}}},
      {"uris", std::vector<std::string>(job.uris().begin(), job.uris().end())},
      {"environmentVariables", env},
      {"mem", deployer::JsonNumber(job.mem())},
      {"cpus", deployer::JsonNumber(job.cpus())},
      {"disk", deployer::JsonNumber(job.disk())},
      {"constraints", constraints},
      {"command", job.shell() || !job.command().empty() ? nlohmann::json(job.command()) : nlohmann::json(nullptr)},
      {"arguments", job.shell() && job.arguments().empty()
                        ? nlohmann::json(nullptr)
                        : nlohmann::json(std::vector<std::string>(job.arguments().begin(), job.arguments().end()))},
      {"epsilon", absl::StrCat("PT", job.epsilon().seconds(), "S")},
      {"retries", job.retries()},
      {"async", false},
      {"disabled", job.disabled()},
      {"owner", job.owner()},
      {"scheduleTimeZone",
       job.schedule_time_zone().empty() ? nlohmann::json(nullptr) : nlohmann::json(job.schedule_time_zone())},
      {"shell", job.shell()},
  };
  if (!job.schedule().empty()) {
    out["schedule"] = job.schedule();
  } else {
    out["parents"] = std::vector<std::string>(job.parents().begin(), job.parents().end());
  }
  if (!job.description().empty()) out["description"] = job.description();
  return out;
}

absl::StatusOr<ComposedJob> ComposeJob(const JobInputs& inputs, absl::Time now) {
  const config::ChronosJobConfig& config = *inputs.config;
  const config::BranchDeployment& deployment = *inputs.deployment;
  const config::SystemConfig& system = *inputs.system;
  if (deployment.docker_image.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("No deployment found for ", config.Name(), " in cluster ",
                                                      config.cluster, ". Has Jenkins run for it?"));
  }
  if (!system.volumes.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot compose ", config.Name(), ": the system config has no \"volumes\" (use [] for none)"));
  }
  ComposedJob composed;
  v1::Job& job = composed.job;
  job.set_name(ChronosJobName(config.service, config.instance));
  if (config.schedule_time_zone.has_value()) job.set_schedule_time_zone(*config.schedule_time_zone);
  absl::StatusOr<absl::TimeZone> zone = JobTimeZone(job);
  if (!zone.ok()) return zone.status();

  const bool shell = !config.args.has_value() || config.args->empty();
  job.set_shell(shell);
  if (config.cmd.has_value()) {
    job.set_command_template(*config.cmd);
    absl::StatusOr<std::string> rendered = RenderTimeVariables(*config.cmd, now, *zone, job.name());
    if (!rendered.ok()) return rendered.status();
    job.set_command(*rendered);
  }
  if (config.args.has_value()) {
    for (const std::string& arg : *config.args) job.add_arguments(arg);
  }
  if (config.schedule.has_value()) {
    job.set_schedule(*config.schedule);
  } else {
    for (const std::string& parent : config.parents) {
      job.add_parents(absl::StrReplaceAll(parent, {{".", " "}}));
    }
  }
  absl::StatusOr<IsoDuration> epsilon = ParseIsoDuration(config.epsilon);
  if (!epsilon.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(config.Name(), ": epsilon: ", epsilon.status().message()));
  }
  // Calendar units have no fixed length: a month counts as 30 days, a year 365.
  const absl::Duration epsilon_span =
      epsilon->FixedPart() + absl::Hours(24) * (30 * epsilon->months + 365 * epsilon->years);
  *job.mutable_epsilon() = TimeUtil::SecondsToDuration(absl::ToInt64Seconds(epsilon_span));
  job.set_retries(static_cast<int32_t>(config.retries));
  job.set_cpus(config.cpus);
  job.set_mem(config.mem);
  job.set_disk(config.disk);
  *job.mutable_container() =
      deployer::ContainerProto(deployer::DockerImage(system, deployment), deployer::DockerNetwork(config),
                               deployer::DockerParameters(config), deployer::Volumes(system, config), false);
  (*job.mutable_env())["PAASTA_SERVICE"] = config.service;
  (*job.mutable_env())["PAASTA_INSTANCE"] = config.instance;
  (*job.mutable_env())["PAASTA_CLUSTER"] = config.cluster;
  (*job.mutable_env())["PAASTA_DOCKER_IMAGE"] = deployment.docker_image;
  for (const auto& [name, value] : config.env) (*job.mutable_env())[name] = value;
  for (const auto& constraint : ChronosConstraints(config)) {
    v1::Constraint* added = job.add_constraints();
    added->set_field(constraint[0].get<std::string>());
    added->set_operator_(constraint[1].get<std::string>());
    if (constraint.size() > 2) added->set_value(constraint[2].get<std::string>());
  }
  job.set_disabled(DisabledState(deployment.desired_state, config.disabled) || inputs.emergency_stopped);
  job.set_owner(inputs.team);
  job.add_uris(system.dockercfg_location);
  job.mutable_source()->set_git_url(inputs.git_url);
  job.mutable_source()->set_git_sha(deployment.GitSha());

  // The hash covers the Chronos dict: what Chronos would run.
  job.set_description(deployer::ConfigHash(ChronosJobJson(job), deployment.force_bounce.value_or("")));
  composed.chronos = ChronosJobJson(job);
  return composed;
}

absl::StatusOr<v1::Job> RerunJob(const v1::Job& job, absl::Time execution_date, absl::Time now) {
  v1::Job clone = job;
  const std::string stamp =
      absl::StrReplaceAll(absl::FormatTime("%Y-%m-%dT%H:%M:%E6S", now, absl::UTCTimeZone()), {{":", ""}, {".", ""}});
  clone.set_name(absl::StrCat("tmp-", stamp, " ", job.name()));
  clone.set_schedule("R1//PT1M");
  clone.clear_parents();
  // A stopped job can be rerun (the original's clone inherited disabled, so it
  // could not, until PR #1298).
  clone.set_disabled(false);
  if (!job.command_template().empty()) {
    absl::StatusOr<absl::TimeZone> zone = JobTimeZone(job);
    if (!zone.ok()) return zone.status();
    absl::StatusOr<std::string> rendered =
        RenderTimeVariables(job.command_template(), execution_date, *zone, job.name());
    if (!rendered.ok()) return rendered.status();
    clone.set_command(*rendered);
    // Runs the date it was asked for, not the run's own time.
    clone.set_command_template(*rendered);
  }
  return clone;
}

}  // namespace paasta::scheduler
