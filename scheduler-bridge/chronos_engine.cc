#include "scheduler-bridge/chronos_engine.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/http_client.h"
#include "common/iso8601.h"
#include "common/json_fields.h"
#include "scheduler-bridge/job_composer.h"

namespace paasta::scheduler {
namespace {

std::optional<absl::Time> IsoTime(const nlohmann::json& job, const char* key) {
  if (!job.contains(key) || !job[key].is_string() || job[key].get<std::string>().empty()) return std::nullopt;
  absl::StatusOr<absl::Time> parsed = ParseIsoDateTime(job[key].get<std::string>());
  // As the original: an unparseable time reads as the epoch.
  return parsed.ok() ? *parsed : absl::UnixEpoch();
}

double Number(const nlohmann::json& job, const char* key) {
  if (!job.contains(key)) return 0;
  if (job[key].is_number()) return job[key].get<double>();
  if (job[key].is_string()) return std::atof(job[key].get<std::string>().c_str());  // Jackson's asDouble
  return 0;
}

}  // namespace

EngineJob ParseChronosJob(const nlohmann::json& json) {
  EngineJob out;
  v1::Job& job = out.job;
  auto text = [&](const char* key) {
    return json.contains(key) && json[key].is_string() ? json[key].get<std::string>() : std::string();
  };
  job.set_name(text("name"));
  job.set_command(text("command"));
  job.set_shell(BoolField(json, "shell", true));
  if (json.contains("arguments") && json["arguments"].is_array()) {
    for (const auto& arg : json["arguments"]) {
      if (arg.is_string()) job.add_arguments(arg.get<std::string>());
    }
  }
  job.set_schedule(text("schedule"));
  job.set_schedule_time_zone(text("scheduleTimeZone"));
  if (json.contains("parents") && json["parents"].is_array()) {
    for (const auto& parent : json["parents"]) {
      if (parent.is_string()) job.add_parents(parent.get<std::string>());
    }
  }
  if (absl::StatusOr<IsoDuration> epsilon = ParseIsoDuration(text("epsilon")); epsilon.ok()) {
    job.mutable_epsilon()->set_seconds(absl::ToInt64Seconds(epsilon->FixedPart()));
  }
  job.set_retries(json.contains("retries") && json["retries"].is_number_integer() ? json["retries"].get<int>() : 2);
  job.set_cpus(Number(json, "cpus"));
  job.set_mem(Number(json, "mem"));
  job.set_disk(Number(json, "disk"));
  job.set_disabled(BoolField(json, "disabled", false));
  job.set_owner(text("owner"));
  job.set_description(text("description"));
  if (json.contains("environmentVariables") && json["environmentVariables"].is_array()) {
    for (const auto& variable : json["environmentVariables"]) {
      if (variable.is_object() && variable.contains("name") && variable.contains("value") &&
          variable["name"].is_string() && variable["value"].is_string()) {
        (*job.mutable_env())[variable["name"].get<std::string>()] = variable["value"].get<std::string>();
      }
    }
  }
  if (json.contains("container") && json["container"].is_object()) {
    const nlohmann::json& container = json["container"];
    if (container.contains("image") && container["image"].is_string()) {
      job.mutable_container()->mutable_docker()->set_image(container["image"].get<std::string>());
    }
  }
  out.last_success = IsoTime(json, "lastSuccess");
  out.last_failure = IsoTime(json, "lastError");
  const int64_t successes = json.contains("successCount") && json["successCount"].is_number_integer()
                                ? json["successCount"].get<int64_t>()
                                : 0;
  out.failures =
      json.contains("errorCount") && json["errorCount"].is_number_integer() ? json["errorCount"].get<int64_t>() : 0;
  out.runs = successes + out.failures;
  return out;
}

ChronosEngine::ChronosEngine(const config::ChronosEndpoint& endpoint, std::string api_prefix, RestOptions options)
    : rest_("Chronos", endpoint.urls, endpoint.user, endpoint.password, options, "paasta-scheduler-bridge"),
      prefix_(std::move(api_prefix)) {}

std::string ChronosEngine::Describe() const {
  return absl::StrCat("Chronos at ", absl::StrJoin(rest_.base_urls(), ", "), " (", prefix_, ")");
}

absl::StatusOr<std::vector<EngineJob>> ChronosEngine::ListJobs() {
  absl::StatusOr<nlohmann::json> jobs = rest_.Call("GET", prefix_ + "/jobs");
  if (!jobs.ok()) return jobs.status();
  if (!jobs->is_array()) {
    return absl::InternalError(
        absl::StrCat("Chronos GET ", rest_.base_urls()[0], prefix_, "/jobs: not a list of jobs"));
  }
  // Which jobs are running: the graph's "node,<name>,<last>,<state>" lines.
  std::string csv;
  if (absl::StatusOr<nlohmann::json> graph = rest_.Call("GET", prefix_ + "/graph/csv", nullptr, nullptr, &csv);
      !graph.ok()) {
    return graph.status();
  }
  std::map<std::string, std::string> states;
  for (absl::string_view line : absl::StrSplit(csv, '\n', absl::SkipEmpty())) {
    const std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (fields.size() == 4 && fields[0] == "node") states[fields[1]] = fields[3];
  }
  std::vector<EngineJob> out;
  for (const nlohmann::json& job : *jobs) {
    if (!job.is_object()) continue;
    EngineJob parsed = ParseChronosJob(job);
    auto state = states.find(parsed.job.name());
    parsed.running_tasks = state != states.end() && state->second == "running" ? 1 : 0;
    out.push_back(std::move(parsed));
  }
  return out;
}

absl::Status ChronosEngine::PutJob(const v1::Job& job) {
  const nlohmann::json body = ChronosJobJson(job);
  return rest_.Call("POST", prefix_ + (job.schedule().empty() ? "/dependency" : "/iso8601"), &body).status();
}

absl::Status ChronosEngine::DeleteJob(const std::string& name) {
  if (absl::Status killed = KillTasks(name).status(); !killed.ok()) return killed;
  return rest_.Call("DELETE", absl::StrCat(prefix_, "/job/", UrlEncode(name))).status();
}

absl::StatusOr<std::optional<v1::JobRun>> ChronosEngine::StartNow(const std::string& name) {
  if (absl::Status started = rest_.Call("PUT", absl::StrCat(prefix_, "/job/", UrlEncode(name))).status();
      !started.ok()) {
    return started;
  }
  return std::nullopt;
}

absl::StatusOr<std::optional<v1::JobRun>> ChronosEngine::AddRunOnceJob(const v1::Job& job,
                                                                       absl::Time /*execution_date*/) {
  const nlohmann::json body = ChronosJobJson(job);
  if (absl::Status added = rest_.Call("POST", prefix_ + "/iso8601", &body).status(); !added.ok()) return added;
  return std::nullopt;
}

absl::StatusOr<int> ChronosEngine::KillTasks(const std::string& name) {
  if (absl::Status killed = rest_.Call("DELETE", absl::StrCat(prefix_, "/task/kill/", UrlEncode(name))).status();
      !killed.ok()) {
    return killed;
  }
  return -1;  // Chronos does not say how many
}

absl::StatusOr<std::vector<v1::JobRun>> ChronosEngine::ListRuns(const std::string& name, int /*limit*/,
                                                                bool /*include_reruns*/) {
  return absl::UnimplementedError(absl::StrCat("Chronos keeps no run records the bridge can read; the last runs of \"",
                                               name, "\" are in `paasta status` (lastSuccess / lastError)"));
}

}  // namespace paasta::scheduler
