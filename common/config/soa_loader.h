// Loading a soa-configs folder into the typed model (soa_config.h), validating
// as it goes: every problem is collected (file, line, service.instance, key,
// what was found, what is allowed), never only the first.
//
// Layout (../shared/reference/paasta-behaviour.md §1.1):
//
//   <soa-dir>/<service>/service.yaml            free-form; defaults of marathon/adhoc instances
//   <soa-dir>/<service>/marathon-<cluster>.yaml instance -> keys
//   <soa-dir>/<service>/chronos-<cluster>.yaml  job -> keys
//   <soa-dir>/<service>/adhoc-<cluster>.yaml    instance -> keys
//   <soa-dir>/<service>/smartstack.yaml         namespace -> keys
//   <soa-dir>/<service>/monitoring.yaml, deploy.yaml, deployments.json
//
// Example:
//
//   SoaDir soa(SoaDir::DefaultRoot());
//   std::vector<Problem> problems;
//   ASSIGN_OR_RETURN(ServiceConfig service, soa.LoadService("example_service", &problems));
//   RETURN_IF_ERROR(ErrorsToStatus(problems));
//
// Instance keys that start with "_" are templates (for YAML anchors) and are
// not instances.
#ifndef PAASTA_COMMON_CONFIG_SOA_LOADER_H_
#define PAASTA_COMMON_CONFIG_SOA_LOADER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/config/problem.h"
#include "common/config/soa_config.h"

namespace paasta::config {

// The default soa-configs folder: $PAASTA_SOA_DIR, else /nail/etc/services.
std::string DefaultSoaDir();

// Checks that a service, instance or cluster name is safe as a folder name, an
// app id part and a job name part: lowercase letters, digits, "_" and "-",
// starting with a letter or digit, at most 63 characters. INVALID_ARGUMENT
// naming `what` ("service", "instance", "cluster") and the name otherwise.
absl::Status CheckName(absl::string_view what, absl::string_view name);

class SoaDir {
 public:
  explicit SoaDir(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }

  // Every folder under the root, sorted (`paasta list -a`). NOT_FOUND if the
  // root does not exist.
  absl::StatusOr<std::vector<std::string>> ListAllServices() const;

  // Folders with at least one marathon-, chronos-, paasta_native- or adhoc-
  // <cluster>.yaml file, sorted (`paasta list`).
  absl::StatusOr<std::vector<std::string>> ListPaastaServices() const;

  // The services a pass visits: `only` when it is set (unchecked: loading it
  // says whether it exists), else every paasta service.
  absl::StatusOr<std::vector<std::string>> ServicesToVisit(const std::string& only) const;

  // Loads one service, appending every problem found to `problems`. The result
  // holds every instance that could be read (bad keys keep their defaults), so
  // callers must check `problems` for errors before trusting it.
  // INVALID_ARGUMENT for an unsafe name (before any file is opened); NOT_FOUND
  // when the folder does not exist.
  absl::StatusOr<ServiceConfig> LoadService(const std::string& service, std::vector<Problem>* problems) const;

 private:
  std::string root_;
};

// Checks that hold across services, appending problems: every chronos parent
// exists in the same cluster, no job depends on itself, parents form no cycle,
// and no two smartstack namespaces share a proxy_port. `services` should hold
// every service that a parent names.
void CheckAcrossServices(const std::vector<ServiceConfig>& services, std::vector<Problem>* problems);

// The problems of a chronos schedule, as the original's check_schedule words
// them (§6.5); empty when it is valid.
std::vector<std::string> CheckSchedule(const std::string& schedule);

}  // namespace paasta::config

#endif  // PAASTA_COMMON_CONFIG_SOA_LOADER_H_
