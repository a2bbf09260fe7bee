#include "scheduler-bridge/testing/fake_chronos.h"

#include <regex>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace paasta::scheduler::testing {
namespace {

HttpServerResponse Reply(int code, const std::string& content_type, std::string body) {
  HttpServerResponse response;
  response.status_code = code;
  response.content_type = content_type;
  response.body = std::move(body);
  return response;
}

HttpServerResponse NoContent() { return Reply(204, "text/plain", ""); }

// The serialized form of a job: the deserializer's defaults filled in.
nlohmann::json WithDefaults(nlohmann::json job) {
  const nlohmann::json defaults = {
      {"command", ""},
      {"shell", true},
      {"epsilon", "PT60S"},
      {"retries", 2},
      {"owner", ""},
      {"ownerName", ""},
      {"description", ""},
      {"async", false},
      {"successCount", 0},
      {"errorCount", 0},
      {"lastSuccess", ""},
      {"lastError", ""},
      {"cpus", 0.1},
      {"disk", 256},
      {"mem", 128},
      {"disabled", false},
      {"softError", false},
      {"highPriority", false},
      {"runAsUser", "root"},
      {"arguments", nlohmann::json::array()},
      {"environmentVariables", nlohmann::json::array()},
      {"constraints", nlohmann::json::array()},
      {"uris", nlohmann::json::array()},
      {"fetch", nlohmann::json::array()},
  };
  for (const auto& [key, value] : defaults.items()) {
    if (!job.contains(key) || job[key].is_null()) job[key] = value;
  }
  for (const char* key : {"cpus", "mem", "disk"}) {
    if (job[key].is_number() && job[key].get<double>() == 0) job[key] = defaults[key];
  }
  if (job.contains("scheduleTimeZone") && job["scheduleTimeZone"].is_null()) job.erase("scheduleTimeZone");
  return job;
}

}  // namespace

FakeChronos::FakeChronos(std::string prefix) : prefix_(std::move(prefix)), v3_(absl::StartsWith(prefix_, "/v1")) {}

FakeChronos::~FakeChronos() {
  if (server_ != nullptr) server_->Stop();
}

absl::Status FakeChronos::Start() {
  server_ = std::make_unique<HttpServer>([this](const HttpServerRequest& request) { return Handle(request); });
  return server_->Start("127.0.0.1:0");
}

std::string FakeChronos::url() const { return absl::StrCat("http://127.0.0.1:", server_->port()); }

HttpServerResponse FakeChronos::BadRequest(const std::string& message) const {
  // 2.x answers an empty 400; 3.x says why.
  if (!v3_) return Reply(400, "text/plain", "");
  return Reply(400, "application/json", nlohmann::json{{"status", "Bad Request"}, {"message", message}}.dump());
}

HttpServerResponse FakeChronos::Put(const HttpServerRequest& request, bool dependent) {
  nlohmann::json job = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!job.is_object() || !job.contains("name") || !job["name"].is_string()) return BadRequest("no job name");
  const std::string name = job["name"];
  // 2.5.x names (2.4.0 refused dots; 3.x refuses spaces).
  static const std::regex kName2(R"([\w\s\.#_-]+)");
  static const std::regex kName3(R"([\w\.-]+)");
  if (!std::regex_match(name, v3_ ? kName3 : kName2)) return BadRequest(absl::StrCat("invalid name '", name, "'"));
  const bool has_uris = job.contains("uris") && job["uris"].is_array() && !job["uris"].empty();
  const bool has_fetch = job.contains("fetch") && job["fetch"].is_array() && !job["fetch"].empty();
  if (has_uris && has_fetch) return BadRequest("uris and fetch are exclusive");
  if (dependent) {
    if (!job.contains("parents") || !job["parents"].is_array() || job["parents"].empty()) {
      return BadRequest("a dependent job needs parents");
    }
    for (const auto& parent : job["parents"]) {
      if (!parent.is_string() || jobs_.count(parent.get<std::string>()) == 0) {
        return BadRequest(absl::StrCat("unknown parent ", parent.dump()));
      }
    }
    job.erase("schedule");
  } else {
    static const std::regex kSchedule(R"((R[0-9]*)/(.*)/(P.*))");
    if (!job.contains("schedule") || !job["schedule"].is_string() ||
        !std::regex_match(job["schedule"].get<std::string>(), kSchedule)) {
      return BadRequest(absl::StrCat("Cannot parse schedule '", job.value("schedule", ""), "' (wtf bro)"));
    }
    job.erase("parents");  // a former dependent job loses its parents
  }
  Stored& stored = jobs_[name];
  // History written by Chronos survives an update.
  for (const char* key : {"lastSuccess", "lastError"}) {
    if (stored.job.contains(key) && (!job.contains(key) || job[key] == "")) job[key] = stored.job[key];
  }
  stored.job = WithDefaults(std::move(job));
  return NoContent();
}

HttpServerResponse FakeChronos::Handle(const HttpServerRequest& request) {
  absl::MutexLock lock(&mu_);
  requests_.push_back(absl::StrCat(request.method, " ", request.path));
  if (fail_next_ > 0) {
    --fail_next_;
    return Reply(503, "text/plain", "Service Unavailable");
  }
  if (!absl::StartsWith(request.path, prefix_ + "/")) return Reply(404, "text/plain", "Not Found");
  const std::string path = request.path.substr(prefix_.size());
  const bool put_or_post = request.method == "POST" || (request.method == "PUT" && !v3_);
  if (path == "/iso8601" && put_or_post) return Put(request, false);
  if (path == "/dependency" && put_or_post) return Put(request, true);
  if (path == "/jobs" && request.method == "GET") {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& [name, stored] : jobs_) all.push_back(stored.job);
    return Reply(200, "application/json", all.dump());
  }
  if (path == "/graph/csv" && request.method == "GET") {
    std::string csv;
    for (const auto& [name, stored] : jobs_) {
      const std::string success = stored.job.value("lastSuccess", "");
      const std::string error = stored.job.value("lastError", "");
      const std::string last = success.empty() && error.empty() ? "fresh" : success >= error ? "success" : "failure";
      absl::StrAppend(&csv, "node,", name, ",", last, ",", stored.running ? "running" : "idle", "\n");
    }
    return Reply(200, "text/plain", csv);
  }
  if (absl::StartsWith(path, "/job/")) {
    const std::string name = path.substr(5);
    auto it = jobs_.find(name);
    if (it == jobs_.end()) return BadRequest(absl::StrCat("Job '", name, "' not found"));
    if (request.method == "DELETE") {
      jobs_.erase(it);
      return NoContent();
    }
    if (request.method == "PUT") {
      ++it->second.manual_starts;
      it->second.running = true;
      return NoContent();
    }
  }
  if (absl::StartsWith(path, "/task/kill/") && request.method == "DELETE") {
    auto it = jobs_.find(path.substr(11));
    if (it == jobs_.end()) return BadRequest("unknown job");
    it->second.running = false;
    return NoContent();
  }
  return Reply(404, "text/plain", "Not Found");
}

nlohmann::json FakeChronos::Job(const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(name);
  return it == jobs_.end() ? nlohmann::json(nullptr) : it->second.job;
}

std::vector<std::string> FakeChronos::JobNames() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& [name, stored] : jobs_) names.push_back(name);
  return names;
}

void FakeChronos::SetRunning(const std::string& name, bool running) {
  absl::MutexLock lock(&mu_);
  jobs_[name].running = running;
}

void FakeChronos::SetLastRuns(const std::string& name, const std::string& last_success, const std::string& last_error) {
  absl::MutexLock lock(&mu_);
  jobs_[name].job["lastSuccess"] = last_success;
  jobs_[name].job["lastError"] = last_error;
}

int FakeChronos::ManualStarts(const std::string& name) {
  absl::MutexLock lock(&mu_);
  return jobs_[name].manual_starts;
}

std::vector<std::string> FakeChronos::Requests() {
  absl::MutexLock lock(&mu_);
  return requests_;
}

void FakeChronos::FailNext(int count) {
  absl::MutexLock lock(&mu_);
  fail_next_ = count;
}

}  // namespace paasta::scheduler::testing
