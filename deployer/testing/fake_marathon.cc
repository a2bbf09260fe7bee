#include "deployer/testing/fake_marathon.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace paasta::deployer::testing {
namespace {

HttpServerResponse Json(int status, const nlohmann::json& body) {
  HttpServerResponse response;
  response.status_code = status;
  response.content_type = "application/json";
  response.body = body.dump();
  return response;
}

HttpServerResponse Message(int status, const std::string& message) { return Json(status, {{"message", message}}); }

std::string Now() { return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()); }

std::string WithSlash(absl::string_view id) { return absl::StrCat("/", absl::StripPrefix(id, "/")); }

bool OneOf(const nlohmann::json& value, const std::set<std::string>& allowed) {
  return value.is_string() && allowed.count(value.get<std::string>()) > 0;
}

const std::set<std::string>& TopLevelKeys() {
  static const auto* keys = new std::set<std::string>{"id",
                                                      "cmd",
                                                      "args",
                                                      "cpus",
                                                      "mem",
                                                      "disk",
                                                      "gpus",
                                                      "instances",
                                                      "env",
                                                      "container",
                                                      "healthChecks",
                                                      "backoffSeconds",
                                                      "backoffFactor",
                                                      "maxLaunchDelaySeconds",
                                                      "constraints",
                                                      "upgradeStrategy",
                                                      "labels",
                                                      "ports",
                                                      "portDefinitions",
                                                      "requirePorts",
                                                      "uris",
                                                      "fetch",
                                                      "acceptedResourceRoles",
                                                      "dependencies",
                                                      "executor",
                                                      "user",
                                                      "taskKillGracePeriodSeconds",
                                                      "readinessChecks",
                                                      "residency",
                                                      "ipAddress",
                                                      "secrets",
                                                      "storeUrls",
                                                      "killSelection",
                                                      "unreachableStrategy",
                                                      "version",
                                                      "versionInfo"};
  return *keys;
}

}  // namespace

FakeMarathon::FakeMarathon() = default;
FakeMarathon::~FakeMarathon() {
  if (server_ != nullptr) server_->Stop();
}

absl::Status FakeMarathon::Start() {
  server_ = std::make_unique<HttpServer>([this](const HttpServerRequest& request) { return Handle(request); });
  return server_->Start("127.0.0.1:0");
}

std::string FakeMarathon::url() const { return absl::StrCat("http://127.0.0.1:", server_->port()); }

void FakeMarathon::Lock(const std::string& app_id) {
  absl::MutexLock lock(&mu_);
  apps_[WithSlash(app_id)].locked = true;
}
void FakeMarathon::set_healthy(bool healthy) {
  absl::MutexLock lock(&mu_);
  healthy_ = healthy;
}
void FakeMarathon::FailNext(int count) {
  absl::MutexLock lock(&mu_);
  fail_next_ = count;
}

nlohmann::json FakeMarathon::App(const std::string& app_id) {
  absl::MutexLock lock(&mu_);
  const auto it = apps_.find(WithSlash(app_id));
  return it == apps_.end() ? nlohmann::json() : AppJson(it->second, true);
}
std::vector<std::string> FakeMarathon::AppIds() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> ids;
  for (const auto& [id, app] : apps_) ids.push_back(id);
  return ids;
}
int FakeMarathon::TaskCount(const std::string& app_id) {
  absl::MutexLock lock(&mu_);
  const auto it = apps_.find(WithSlash(app_id));
  return it == apps_.end() ? 0 : static_cast<int>(it->second.tasks.size());
}
std::vector<std::string> FakeMarathon::Requests() {
  absl::MutexLock lock(&mu_);
  return requests_;
}
void FakeMarathon::Preload(const nlohmann::json& app) {
  absl::MutexLock lock(&mu_);
  const std::string id = WithSlash(app.value("id", ""));
  StoredApp& stored = apps_[id];
  stored.definition = app;
  stored.definition["id"] = id;
  Converge(id, stored);
}

// Marathon's id pattern, ^(\/?((\.{2})|([a-z0-9][a-z0-9\-.]*[a-z0-9]+)|([a-z0-9]*))($|\/))+$,
// checked segment by segment (std::regex recurses once per character and runs
// out of stack on long ids).
bool FakeMarathon::ValidId(const std::string& id) {
  absl::string_view rest = id;
  if (absl::ConsumePrefix(&rest, "/") && rest.empty()) return true;
  for (absl::string_view segment : absl::StrSplit(rest, '/')) {
    if (segment == "..") continue;
    const auto alnum = [](char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c); };
    for (char c : segment) {
      if (!alnum(c) && c != '-' && c != '.') return false;
    }
    const bool only_alnum = std::all_of(segment.begin(), segment.end(), alnum);
    if (!only_alnum && (segment.size() < 2 || !alnum(segment.front()) || !alnum(segment.back()))) return false;
  }
  return true;
}

nlohmann::json FakeMarathon::Validate(const nlohmann::json& app) {
  nlohmann::json details = nlohmann::json::array();
  const auto problem = [&](const std::string& path, const std::string& error) {
    details.push_back({{"path", path}, {"errors", {error}}});
  };
  if (!app.is_object()) {
    problem("/", "error.expected.jsobject");
    return details;
  }
  for (const auto& [key, value] : app.items()) {
    if (TopLevelKeys().count(key) == 0) problem("/" + key, "error.unknown.property");
  }
  if (!app.contains("id") || !app["id"].is_string()) {
    problem("/id", "error.expected.jsstring");
  } else if (!ValidId(app["id"])) {
    problem("/id", "must fully match regular expression of the id pattern");
  }
  if (app.contains("cmd") && app.contains("args")) problem("/", "AppDefinition must either contain a 'cmd' or 'args'");
  if (app.contains("cmd") && (!app["cmd"].is_string() || app["cmd"].get<std::string>().empty())) {
    problem("/cmd", "must be a non-empty string");
  }
  if (app.contains("instances") && (!app["instances"].is_number_integer() || app["instances"].get<int64_t>() < 0)) {
    problem("/instances", "must be an integer >= 0");
  }
  if (app.contains("container")) {
    const nlohmann::json& container = app["container"];
    if (container.contains("type") && !OneOf(container["type"], {"DOCKER", "MESOS"})) {
      problem("/container/type", "error.expected.enum DOCKER|MESOS");
    }
    if (container.contains("docker")) {
      const nlohmann::json& docker = container["docker"];
      if (!docker.contains("image") || !docker["image"].is_string() || docker["image"].get<std::string>().empty()) {
        problem("/container/docker/image", "must not be empty");
      }
      if (docker.contains("network") && !OneOf(docker["network"], {"BRIDGE", "HOST", "NONE", "USER"})) {
        problem("/container/docker/network", "error.expected.enum BRIDGE|HOST|NONE|USER");
      }
    }
    if (container.contains("volumes")) {
      for (size_t i = 0; i < container["volumes"].size(); ++i) {
        if (!OneOf(container["volumes"][i].value("mode", nlohmann::json()), {"RO", "RW"})) {
          problem(absl::StrCat("/container/volumes(", i, ")/mode"), "error.expected.enum RO|RW");
        }
      }
    }
  }
  if (app.contains("healthChecks")) {
    for (size_t i = 0; i < app["healthChecks"].size(); ++i) {
      const nlohmann::json& check = app["healthChecks"][i];
      if (check.contains("protocol") &&
          !OneOf(check["protocol"], {"HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"})) {
        problem(absl::StrCat("/healthChecks(", i, ")/protocol"), "error.expected.enum");
      }
    }
  }
  if (app.contains("constraints")) {
    for (size_t i = 0; i < app["constraints"].size(); ++i) {
      const nlohmann::json& constraint = app["constraints"][i];
      bool ok = constraint.is_array() && constraint.size() >= 2 && constraint.size() <= 3 &&
                OneOf(constraint[1], {"UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER"});
      for (const nlohmann::json& part : constraint) ok = ok && part.is_string();
      if (!ok) problem(absl::StrCat("/constraints(", i, ")"), "Constraint is not valid");
    }
  }
  return details;
}

HttpServerResponse FakeMarathon::Handle(const HttpServerRequest& request) {
  {
    absl::MutexLock lock(&mu_);
    requests_.push_back(
        absl::StrCat(request.method, " ", request.path, request.query.empty() ? "" : "?", request.query));
    if (fail_next_ > 0) {
      --fail_next_;
      return Message(503, "Request timed out");
    }
  }
  const std::string& path = request.path;
  if (path == "/v2/apps" && request.method == "GET") return ListApps(request);
  if (path == "/v2/apps" && request.method == "POST") {
    const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded()) return Json(400, {{"message", "Invalid JSON"}});
    return CreateApp(body, request.QueryParam("force") == "true");
  }
  if (path == "/v2/tasks/delete" && request.method == "POST") return KillTasks(request);
  if (absl::StartsWith(path, "/v2/apps/")) {
    const std::string id = WithSlash(absl::StripPrefix(path, "/v2/apps/"));
    if (request.method == "GET") {
      absl::MutexLock lock(&mu_);
      const auto it = apps_.find(id);
      if (it == apps_.end()) return Message(404, absl::StrCat("App '", id, "' does not exist"));
      return Json(200, {{"app", AppJson(it->second, request.QueryParam("embed") == "app.tasks")}});
    }
    if (request.method == "PUT") return UpdateApp(id, request);
    if (request.method == "DELETE") return DeleteApp(id, request.QueryParam("force") != "false");
  }
  return Message(404, absl::StrCat("no route for ", request.method, " ", path));
}

HttpServerResponse FakeMarathon::ListApps(const HttpServerRequest& request) {
  const std::string contains = request.QueryParam("id");
  const std::vector<std::string> embed = request.QueryParams("embed");
  const bool tasks = std::find(embed.begin(), embed.end(), "apps.tasks") != embed.end();
  absl::MutexLock lock(&mu_);
  nlohmann::json apps = nlohmann::json::array();
  for (const auto& [id, app] : apps_) {
    if (!app.definition.is_null() && absl::StrContains(id, contains)) apps.push_back(AppJson(app, tasks));
  }
  return Json(200, {{"apps", apps}});
}

HttpServerResponse FakeMarathon::CreateApp(const nlohmann::json& app, bool /*force*/) {
  const nlohmann::json details = Validate(app);
  if (!details.empty()) return Json(422, {{"message", "Object is not valid"}, {"details", details}});
  const std::string id = WithSlash(app["id"].get<std::string>());
  absl::MutexLock lock(&mu_);
  StoredApp& stored = apps_[id];
  if (!stored.definition.is_null()) return Message(409, absl::StrCat("An app with id [", id, "] already exists."));
  stored.definition = app;
  stored.definition["id"] = id;
  if (!stored.definition.contains("instances")) stored.definition["instances"] = 1;
  Converge(id, stored);
  HttpServerResponse response = Json(201, AppJson(stored, true));
  response.headers.emplace_back("Location", id);
  response.headers.emplace_back("Marathon-Deployment-Id", absl::StrCat("deployment-", next_id_++));
  return response;
}

HttpServerResponse FakeMarathon::UpdateApp(const std::string& id, const HttpServerRequest& request) {
  const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return Json(400, {{"message", "Invalid JSON"}});
  const bool force = request.QueryParam("force") == "true";
  absl::MutexLock lock(&mu_);
  const auto it = apps_.find(id);
  if (it == apps_.end() || it->second.definition.is_null()) {
    mu_.Unlock();
    nlohmann::json app = body;
    app["id"] = id;
    HttpServerResponse created = CreateApp(app, force);
    mu_.Lock();
    return created.status_code == 201 ? DeploymentResult(201) : created;
  }
  StoredApp& stored = it->second;
  if (stored.locked && !force) {
    return Message(409,
                   "App is locked by one or more deployments. Override with the option '?force=true'. "
                   "View details at '/v2/deployments/deployment-0'.");
  }
  nlohmann::json merged = stored.definition;
  for (const auto& [key, value] : body.items()) merged[key] = value;
  merged["id"] = id;
  const nlohmann::json details = Validate(merged);
  if (!details.empty()) return Json(422, {{"message", "Object is not valid"}, {"details", details}});
  stored.definition = merged;
  stored.locked = false;  // force cancels the deployment that held it
  Converge(id, stored);
  return DeploymentResult(200);
}

HttpServerResponse FakeMarathon::DeleteApp(const std::string& id, bool force) {
  absl::MutexLock lock(&mu_);
  const auto it = apps_.find(id);
  if (it == apps_.end() || it->second.definition.is_null()) {
    return Message(404, absl::StrCat("App '", id, "' does not exist"));
  }
  if (it->second.locked && !force) {
    return Message(409, "App is locked by one or more deployments. Override with the option '?force=true'.");
  }
  apps_.erase(it);
  return DeploymentResult(200);
}

HttpServerResponse FakeMarathon::KillTasks(const HttpServerRequest& request) {
  const bool scale = request.QueryParam("scale") == "true";
  const bool force = request.QueryParam("force") == "true";
  if (scale && request.QueryParam("wipe") == "true")
    return Message(400, "You cannot use scale and wipe at the same time.");
  const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.contains("ids") || !body["ids"].is_array()) {
    return Json(400, {{"message", "Invalid JSON"}});
  }
  // Marathon's task id pattern ^(.+)[\._]([^_\.]+)$: an app id, then "." or "_",
  // then a last part without either (checked by hand: std::regex recurses per character).
  const auto valid_task_id = [](const std::string& id) {
    const size_t separator = id.find_last_of("._");
    return separator != std::string::npos && separator > 0 && separator + 1 < id.size();
  };
  absl::MutexLock lock(&mu_);
  for (const nlohmann::json& id : body["ids"]) {
    if (!id.is_string() || !valid_task_id(id.get<std::string>())) {
      return Message(400, absl::StrCat("Invalid task id '", id.is_string() ? id.get<std::string>() : id.dump(), "'"));
    }
  }
  nlohmann::json killed = nlohmann::json::array();
  for (auto& [app_id, app] : apps_) {
    const size_t before = app.tasks.size();
    bool hit = false;
    for (const nlohmann::json& id : body["ids"]) {
      hit = hit || std::any_of(app.tasks.begin(), app.tasks.end(), [&](const Task& t) { return t.id == id; });
    }
    if (!hit) continue;
    if (app.locked && !force) {
      return Message(409, "App is locked by one or more deployments. Override with the option '?force=true'.");
    }
    // Unknown ids are dropped silently, as Marathon 1.4 does.
    app.tasks.erase(std::remove_if(app.tasks.begin(), app.tasks.end(),
                                   [&](const Task& t) {
                                     const bool kill = std::find(body["ids"].begin(), body["ids"].end(),
                                                                 nlohmann::json(t.id)) != body["ids"].end();
                                     if (kill) killed.push_back({{"id", t.id}, {"appId", app_id}});
                                     return kill;
                                   }),
                    app.tasks.end());
    if (scale) {
      app.definition["instances"] =
          std::max<int64_t>(0, app.definition.value("instances", 0) - static_cast<int64_t>(before - app.tasks.size()));
    } else {
      Converge(app_id, app);  // Marathon replaces killed tasks
    }
  }
  return scale ? DeploymentResult(200) : Json(200, {{"tasks", killed}});
}

nlohmann::json FakeMarathon::AppJson(const StoredApp& app, bool embed_tasks) const {
  nlohmann::json out = app.definition;
  int healthy = 0;
  nlohmann::json tasks = nlohmann::json::array();
  const size_t checks = app.definition.contains("healthChecks") ? app.definition["healthChecks"].size() : 0;
  for (const Task& task : app.tasks) {
    healthy += task.healthy ? 1 : 0;
    nlohmann::json t = {{"id", task.id},
                        {"appId", app.definition["id"]},
                        {"host", "127.0.0.1"},
                        {"ports", {task.port}},
                        {"state", "TASK_RUNNING"},
                        {"stagedAt", task.started_at},
                        {"startedAt", task.started_at},
                        {"version", task.started_at}};
    if (checks > 0) {
      t["healthCheckResults"] = nlohmann::json::array();
      for (size_t i = 0; i < checks; ++i) {
        t["healthCheckResults"].push_back({{"alive", task.healthy}, {"consecutiveFailures", task.healthy ? 0 : 1}});
      }
    }
    tasks.push_back(std::move(t));
  }
  out["tasksRunning"] = app.tasks.size();
  out["tasksHealthy"] = checks > 0 ? healthy : 0;
  out["tasksStaged"] = 0;
  out["tasksUnhealthy"] = checks > 0 ? static_cast<int>(app.tasks.size()) - healthy : 0;
  if (embed_tasks) {
    out["tasks"] = tasks;
    out["deployments"] = nlohmann::json::array();
  }
  return out;
}

void FakeMarathon::Converge(const std::string& id, StoredApp& app) {
  const auto instances = static_cast<size_t>(std::max<int64_t>(0, app.definition.value("instances", 1)));
  while (app.tasks.size() > instances) app.tasks.pop_back();
  while (app.tasks.size() < instances) {
    Task task;
    const int64_t n = next_id_++;
    task.id = absl::StrFormat("%s.%08x-0000-4000-8000-%012x", absl::StripPrefix(id, "/"), n, n);
    std::replace(task.id.begin(), task.id.end(), '/', '_');
    task.started_at = Now();
    task.healthy = healthy_;
    task.port = 31000 + static_cast<int>(n % 20000);
    app.tasks.push_back(std::move(task));
  }
}

HttpServerResponse FakeMarathon::DeploymentResult(int status) {
  const std::string deployment = absl::StrCat("deployment-", next_id_++);
  HttpServerResponse response = Json(status, {{"deploymentId", deployment}, {"version", Now()}});
  response.headers.emplace_back("Marathon-Deployment-Id", deployment);
  return response;
}

}  // namespace paasta::deployer::testing
