#include "fuzz/targets.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/config/config_value.h"
#include "common/config/deployments.h"
#include "common/config/soa_loader.h"
#include "common/config/system_config.h"
#include "common/config/validate.h"
#include "common/file_util.h"
#include "deployer/marathon_orchestrator.h"
#include "drainer/hacheck_drain.h"
#include "nlohmann/json.hpp"
#include "scheduler-bridge/chronos_engine.h"
#include "scheduler-bridge/schedule.h"
#include "scheduler-bridge/time_variables.h"

namespace paasta::fuzz {
namespace {

std::string Text(const uint8_t* data, size_t size) { return std::string(reinterpret_cast<const char*>(data), size); }

// A folder of this process's own, emptied for each input.
const std::string& ScratchDir() {
  static const std::string* dir = [] {
    const char* tmp = std::getenv("TEST_TMPDIR");
    auto* path = new std::string(absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/paasta-fuzz-", ::getpid()));
    // libFuzzer ends with exit(): the folder goes with the process.
    static const std::string* const removed_at_exit = path;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(*removed_at_exit, ignored);
    });
    return path;
  }();
  std::error_code ignored;
  std::filesystem::remove_all(*dir, ignored);
  std::filesystem::create_directories(*dir, ignored);
  return *dir;
}

}  // namespace

void Yaml(const uint8_t* data, size_t size) { config::ParseYaml(Text(data, size), "fuzz.yaml").IgnoreError(); }

void SoaService(const uint8_t* data, size_t size) {
  if (size == 0) return;
  static const char* const kFiles[] = {"marathon-fuzz.yaml", "chronos-fuzz.yaml", "adhoc-fuzz.yaml",
                                       "smartstack.yaml",    "service.yaml",      "monitoring.yaml"};
  const std::string root = ScratchDir();
  const std::string service = root + "/svc";
  std::filesystem::create_directories(service);
  // A valid marathon instance beside the fuzzed file, so cross-file checks run.
  WriteFileAtomically(service + "/marathon-fuzz.yaml", "main: {instances: 1}\n").IgnoreError();
  WriteFileAtomically(absl::StrCat(service, "/", kFiles[data[0] % 6]), Text(data + 1, size - 1)).IgnoreError();
  config::Validate(config::SoaDir(root), {"svc"}).IgnoreError();
}

void SystemConfig(const uint8_t* data, size_t size) {
  const std::string root = ScratchDir();
  WriteFileAtomically(root + "/cluster.json", Text(data, size)).IgnoreError();
  config::LoadSystemConfig(root).IgnoreError();
}

void Deployments(const uint8_t* data, size_t size) {
  config::ParseDeployments(Text(data, size), "deployments.json").IgnoreError();
}

void Schedule(const uint8_t* data, size_t size) {
  const std::string text = Text(data, size);
  config::CheckSchedule(text);
  for (const char* zone : {"UTC", "America/Los_Angeles"}) {
    absl::StatusOr<scheduler::Schedule> schedule = scheduler::Schedule::Parse(text, zone);
    if (schedule.ok()) schedule->NextRunAtOrAfter(absl::FromUnixSeconds(1795860600));
  }
}

void TimeVariables(const uint8_t* data, size_t size) {
  for (int64_t at : {int64_t{1795860600}, int64_t{1454198400}}) {  // 2026-11-28, 2016-01-31 (month ends)
    scheduler::RenderTimeVariables(Text(data, size), absl::FromUnixSeconds(at), absl::UTCTimeZone(), "svc.job")
        .IgnoreError();
  }
}

void MarathonApps(const uint8_t* data, size_t size) {
  const nlohmann::json answer = nlohmann::json::parse(Text(data, size), nullptr, /*allow_exceptions=*/false);
  if (answer.is_object() && answer.contains("apps") && answer["apps"].is_array()) {
    for (const nlohmann::json& app : answer["apps"]) {
      if (app.is_object()) deployer::ParseMarathonApp(app);
    }
  } else if (answer.is_object()) {
    deployer::ParseMarathonApp(answer);
  }
}

void ChronosJobs(const uint8_t* data, size_t size) {
  const nlohmann::json answer = nlohmann::json::parse(Text(data, size), nullptr, /*allow_exceptions=*/false);
  if (!answer.is_array()) return;
  for (const nlohmann::json& job : answer) {
    if (job.is_object()) scheduler::ParseChronosJob(job);
  }
}

void HacheckAnswer(const uint8_t* data, size_t size) {
  if (size < 2) return;
  const long status = (data[0] << 8 | data[1]) % 600;
  drainer::ParseHacheckAnswer(status, Text(data + 2, size - 2)).IgnoreError();
}

const std::vector<NamedTarget>& AllTargets() {
  static const auto* targets = new std::vector<NamedTarget>{
      {"yaml", Yaml},
      {"soa_service", SoaService},
      {"system_config", SystemConfig},
      {"deployments", Deployments},
      {"schedule", Schedule},
      {"time_variables", TimeVariables},
      {"marathon_apps", MarathonApps},
      {"chronos_jobs", ChronosJobs},
      {"hacheck_answer", HacheckAnswer},
  };
  return *targets;
}

}  // namespace paasta::fuzz
