#include "deployer/marathon_orchestrator.h"

#include <cctype>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/http_client.h"
#include "common/iso8601.h"
#include "common/json_fields.h"

namespace paasta::deployer {
namespace {

std::string CamelCase(const std::string& key) {
  std::string out;
  bool upper = false;
  for (char c : key) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

// Marathon's app ids are paths: "/a.b" out, "a.b" in.
std::string StripSlash(const std::string& id) { return std::string(absl::StripPrefix(id, "/")); }

// The keys of an app in GET /v2/apps that ParseMarathonApp reads.
const std::set<std::string>& AppKeysRead() {
  static const auto* keys = new std::set<std::string>{"id", "instances", "healthChecks", "labels", "tasks", "version"};
  return *keys;
}

}  // namespace

nlohmann::json MarathonAppJson(const nlohmann::json& app) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : app.items()) {
    if (!value.is_null()) out[CamelCase(key)] = value;
  }
  return out;
}

OrchestratorApp ParseMarathonApp(const nlohmann::json& app) {
  OrchestratorApp out;
  out.id = StripSlash(StringField(app, "id"));
  out.instances = IntField(app, "instances");
  out.has_health_checks =
      app.contains("healthChecks") && app["healthChecks"].is_array() && !app["healthChecks"].empty();
  if (app.contains("labels") && app["labels"].is_object()) {
    for (const auto& [key, value] : app["labels"].items()) {
      if (value.is_string()) out.labels[key] = value;
    }
  }
  if (app.contains("version") && app["version"].is_string()) {
    if (absl::StatusOr<absl::Time> version = ParseIsoDateTime(app["version"].get<std::string>()); version.ok()) {
      out.version = *version;
    }
  }
  if (!app.contains("tasks") || !app["tasks"].is_array()) return out;
  for (const nlohmann::json& task : app["tasks"]) {
    OrchestratorTask t;
    t.id = StringField(task, "id");
    t.app_id = StripSlash(StringField(task, "appId", out.id));
    t.host = StringField(task, "host");
    if (task.contains("ports") && task["ports"].is_array()) {
      for (const nlohmann::json& port : task["ports"]) {
        if (port.is_number_integer()) t.ports.push_back(port);
      }
    }
    if (task.contains("startedAt") && task["startedAt"].is_string()) {
      if (absl::StatusOr<absl::Time> started = ParseIsoDateTime(task["startedAt"].get<std::string>()); started.ok()) {
        t.started = true;
        t.started_at = *started;
      }
    }
    if (task.contains("healthCheckResults") && task["healthCheckResults"].is_array()) {
      for (const nlohmann::json& result : task["healthCheckResults"]) {
        ++t.health_results;
        if (BoolField(result, "alive", false)) ++t.alive_results;
      }
    }
    out.tasks.push_back(std::move(t));
  }
  return out;
}

MarathonOrchestrator::MarathonOrchestrator(config::MarathonEndpoint endpoint, MarathonOptions options)
    : rest_("Marathon", {endpoint.url}, endpoint.user, endpoint.password, options, "paasta-deployer") {}

absl::StatusOr<nlohmann::json> MarathonOrchestrator::Call(const std::string& method, const std::string& path_and_query,
                                                          const nlohmann::json* body, bool only_app_keys) {
  // A whole cluster's apps make a large answer: keep only what the deployer reads.
  const nlohmann::json::parser_callback_t keep = [](int depth, nlohmann::json::parse_event_t event,
                                                    nlohmann::json& parsed) {
    return event != nlohmann::json::parse_event_t::key || depth != 3 || AppKeysRead().count(parsed) > 0;
  };
  return rest_.Call(method, path_and_query, body, only_app_keys ? keep : nullptr);
}

absl::StatusOr<std::vector<OrchestratorApp>> MarathonOrchestrator::ListApps(const std::string& prefix) {
  // id= matches ids that contain the text; only those that start with it count.
  absl::StatusOr<nlohmann::json> answer =
      Call("GET", "/v2/apps?embed=apps.tasks&id=" + UrlEncode(prefix), nullptr, /*only_app_keys=*/true);
  if (!answer.ok()) return answer.status();
  if (!answer->contains("apps") || !(*answer)["apps"].is_array()) {
    return absl::InternalError(
        absl::StrCat("Marathon GET ", rest_.base_urls()[0], "/v2/apps: no \"apps\" list in the answer"));
  }
  std::vector<OrchestratorApp> apps;
  for (const nlohmann::json& app : (*answer)["apps"]) {
    OrchestratorApp parsed = ParseMarathonApp(app);
    if (absl::StartsWith(parsed.id, prefix)) apps.push_back(std::move(parsed));
  }
  return apps;
}

absl::Status MarathonOrchestrator::CreateApp(const ComposedApp& app) {
  nlohmann::json body = MarathonAppJson(app.app);
  body["instances"] = app.instances;
  return Call("POST", "/v2/apps", &body).status();
}

absl::Status MarathonOrchestrator::ScaleApp(const std::string& app_id, int64_t instances) {
  const nlohmann::json body = {{"instances", instances}};
  return Call("PUT", "/v2/apps/" + UrlEncode(app_id) + "?force=true", &body).status();
}

absl::Status MarathonOrchestrator::DeleteApp(const std::string& app_id) {
  return Call("DELETE", "/v2/apps/" + UrlEncode(app_id) + "?force=true", nullptr).status();
}

absl::Status MarathonOrchestrator::KillTasks(const std::vector<std::string>& task_ids, bool scale) {
  if (task_ids.empty()) return absl::OkStatus();
  const nlohmann::json body = {{"ids", task_ids}};
  absl::Status killed =
      Call("POST", absl::StrCat("/v2/tasks/delete?scale=", scale ? "true" : "false", "&force=true"), &body).status();
  // As the original: "is not valid" means the tasks are already gone.
  if (absl::IsInvalidArgument(killed) && absl::StrContains(killed.message(), "is not valid")) {
    return absl::OkStatus();
  }
  return killed;
}

absl::Status MarathonOrchestrator::SetLabel(const std::string& app_id, const std::string& key,
                                            const std::string& value) {
  // labels is replaced as a whole by a partial update: send them all.
  absl::StatusOr<nlohmann::json> answer = Call("GET", "/v2/apps/" + UrlEncode(app_id), nullptr);
  if (!answer.ok()) return answer.status();
  nlohmann::json labels = nlohmann::json::object();
  if (answer->contains("app") && (*answer)["app"].contains("labels")) labels = (*answer)["app"]["labels"];
  labels[key] = value;
  const nlohmann::json body = {{"labels", labels}};
  return Call("PUT", "/v2/apps/" + UrlEncode(app_id) + "?force=true", &body).status();
}

}  // namespace paasta::deployer
