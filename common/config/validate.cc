#include "common/config/validate.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "absl/strings/str_split.h"

namespace paasta::config {

absl::StatusOr<ValidationResult> Validate(const SoaDir& soa,
                                          const std::vector<std::string>& services) {
  ValidationResult result;
  result.services = services;
  if (result.services.empty()) {
    absl::StatusOr<std::vector<std::string>> all = soa.ListPaastaServices();
    if (!all.ok()) return all.status();
    result.services = *all;
  }
  for (const std::string& service : result.services) {
    if (absl::Status name = CheckName("service", service); !name.ok()) return name;
  }

  std::vector<ServiceConfig> loaded;
  std::set<std::string> names;
  for (const std::string& service : result.services) {
    absl::StatusOr<ServiceConfig> config = soa.LoadService(service, &result.problems);
    if (!config.ok()) return config.status();
    result.instances += static_cast<int>(config->marathon.size() + config->chronos.size() +
                                         config->adhoc.size());
    names.insert(service);
    loaded.push_back(*std::move(config));
  }
  // Services that parents name, loaded for the cross-service checks only (their
  // own problems are theirs, not reported here).
  std::set<std::string> wanted;
  for (const ServiceConfig& service : loaded) {
    for (const ChronosJobConfig& job : service.chronos) {
      for (const std::string& parent : job.parents) {
        const std::vector<std::string> parts = absl::StrSplit(parent, '.');
        if (parts.size() == 2 && names.count(parts[0]) == 0) wanted.insert(parts[0]);
      }
    }
  }
  for (const std::string& service : wanted) {
    std::vector<Problem> ignored;
    absl::StatusOr<ServiceConfig> config = soa.LoadService(service, &ignored);
    if (config.ok()) loaded.push_back(*std::move(config));
  }

  std::vector<Problem> across;
  CheckAcrossServices(loaded, &across);
  for (Problem& problem : across) {
    const std::string service = problem.instance.substr(0, problem.instance.find('.'));
    if (names.count(service) != 0) result.problems.push_back(std::move(problem));
  }
  // File order: by file, then line (stable, so one line's problems keep their order).
  std::stable_sort(result.problems.begin(), result.problems.end(),
                   [](const Problem& a, const Problem& b) {
                     return std::tie(a.position.file, a.position.line) <
                            std::tie(b.position.file, b.position.line);
                   });
  return result;
}

}  // namespace paasta::config
