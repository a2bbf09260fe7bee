// Composing a scheduled job (../shared/reference/paasta-behaviour.md §6.2) as a
// pure function of its chronos-<cluster>.yaml config, its deployments.json
// entry, the system config and the time: the paasta.v1.Job both engines run,
// and the dict Chronos is sent. The description is "config<hash8>" of that dict
// (the same hash as Marathon apps), so a job is updated only when something in
// it changes (§6.4) — including the rendered command, which is why a job with
// date variables is re-sent to Chronos each day, as in the original.
//
//   ASSIGN_OR_RETURN(ComposedJob composed, ComposeJob(inputs, absl::Now()));
//   composed.job.name() == "example_batch daily"
#ifndef PAASTA_SCHEDULER_BRIDGE_JOB_COMPOSER_H_
#define PAASTA_SCHEDULER_BRIDGE_JOB_COMPOSER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/config/deployments.h"
#include "common/config/soa_config.h"
#include "common/config/system_config.h"
#include "nlohmann/json.hpp"
#include "protos/types.pb.h"

namespace paasta::scheduler {

struct JobInputs {
  const config::ChronosJobConfig* config = nullptr;
  const config::BranchDeployment* deployment = nullptr;
  const config::SystemConfig* system = nullptr;
  // The owner: the team from monitoring.yaml ("" if none).
  std::string team;
  // The service's git repository (where the agent checks out the code).
  std::string git_url;
  // `paasta emergency-stop` holds the job disabled until its next deploy.
  bool emergency_stopped = false;
};

struct ComposedJob {
  v1::Job job;
  // The dict sent to Chronos, description included.
  nlohmann::json chronos;
};

// "<service> <instance>" (Chronos forbids dots in names).
std::string ChronosJobName(absl::string_view service, absl::string_view instance);

// A Chronos job name read back: "<service> <instance>", or a rerun's
// "tmp-<ts> <service> <instance>". INVALID_ARGUMENT for any other name.
struct JobName {
  std::string service;
  std::string instance;
  bool temporary = false;
};
absl::StatusOr<JobName> DecomposeJobName(absl::string_view name);

// The original's determine_disabled_state: either source saying disabled wins,
// so `paasta start` cannot enable a job with `disabled: true`.
bool DisabledState(config::DesiredState desired, bool soa_disabled);

// The zone a job's schedule and date variables are read in: schedule_time_zone,
// else UTC. INVALID_ARGUMENT naming the job for an unknown zone.
absl::StatusOr<absl::TimeZone> JobTimeZone(const v1::Job& job);

// Composes the job at `now` (date variables rendered then, in the job's zone).
// FAILED_PRECONDITION naming the job when it has no deployment (no image) or
// the system config has no volumes; INVALID_ARGUMENT naming the job and the
// variable when its command cannot be rendered.
absl::StatusOr<ComposedJob> ComposeJob(const JobInputs& inputs, absl::Time now);

// The Chronos dict of a job (§6.2 keys, camelCase), with its description when
// it has one.
nlohmann::json ChronosJobJson(const v1::Job& job);

// The temporary job of `paasta rerun` (§7): named "tmp-<now, ISO without ':'
// and '.'> <service> <instance>", run once as soon as possible ("R1//PT1M"),
// no parents (so no child is ever triggered), command rendered for
// `execution_date`. INVALID_ARGUMENT naming the job when it cannot render.
absl::StatusOr<v1::Job> RerunJob(const v1::Job& job, absl::Time execution_date, absl::Time now);

}  // namespace paasta::scheduler

#endif  // PAASTA_SCHEDULER_BRIDGE_JOB_COMPOSER_H_
