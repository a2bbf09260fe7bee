#include "deployer/generator/generator.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/config/soa_loader.h"
#include "common/file_util.h"
#include "common/git/git_repository.h"
#include "deployer/generator/deployments_json.h"
#include "deployer/generator/tags.h"
#include "spdlog/spdlog.h"

namespace paasta::generator {
namespace {

// Two tags asked for within one second would get the same name: the timestamp
// is only an ordering key, so the next free second is taken.
constexpr int kTagAttempts = 5;

absl::Status CheckDeployGroup(const std::string& deploy_group) {
  bool ok = !deploy_group.empty() && deploy_group.size() <= 128;
  for (char c : deploy_group) {
    ok = ok && (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '.' || c == '_' || c == '-');
  }
  if (ok && deploy_group.find("..") == std::string::npos) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "deploy group \"", deploy_group, "\" is not allowed: use lowercase letters, digits, \".\", \"_\" and \"-\""));
}

// Creates a tag named by `name_at(time)`, moving to the next second while the
// name is taken. Returns the name created.
absl::StatusOr<std::string> CreateTagAt(const std::string& url, const std::string& sha, const std::string& cache_dir,
                                        absl::Time time, const std::function<std::string(absl::Time)>& name_at) {
  absl::Status status;
  for (int attempt = 0; attempt < kTagAttempts; ++attempt) {
    const std::string name = name_at(time + absl::Seconds(attempt));
    status = git::CreateTag(url, name, sha, cache_dir);
    if (status.ok()) return name;
    if (!absl::IsAlreadyExists(status)) return status;
  }
  return status;
}

// Work on one service is serialized within this process (a mutex per service)
// and across processes (a lock on the service's soa-configs folder). Otherwise a
// second generator (or a deploy through another one) could read the tags just
// before a new deploy tag is created and write its older deployments.json after
// the newer one.
class ServiceLock {
 public:
  ServiceLock(absl::Mutex* mutex, const std::string& soa_dir, const std::string& service)
      : in_process_(mutex),
        across_processes_(config::CheckName("service", service).ok() ? absl::StrCat(soa_dir, "/", service)
                                                                     : std::string()) {}

 private:
  absl::MutexLock in_process_;
  DirectoryLock across_processes_;
};

}  // namespace

absl::Mutex& Generator::ServiceMutex(const std::string& service) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<absl::Mutex>& mutex = service_mutexes_[service];
  if (mutex == nullptr) mutex = std::make_unique<absl::Mutex>();
  return *mutex;
}

absl::StatusOr<config::ServiceConfig> Generator::LoadValid(const std::string& service) {
  std::vector<config::Problem> problems;
  absl::StatusOr<config::ServiceConfig> loaded = config::SoaDir(options_.soa_dir).LoadService(service, &problems);
  if (!loaded.ok()) return loaded.status();
  // An instance with a bad key does not stop the others: the deployer and the
  // scheduler bridge leave that instance as it runs. A file that cannot be
  // read (no instance known) stops the whole service.
  std::vector<std::string> lines;
  for (const config::Problem& problem : problems) {
    if (problem.severity == config::Problem::Severity::kError && problem.instance.empty()) {
      lines.push_back(problem.ToString());
    }
  }
  if (!lines.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("the soa-configs of ", service,
                                                      " have errors (paasta validate -s ", service, "):\n",
                                                      absl::StrJoin(lines, "\n")));
  }
  return loaded;
}

GenerationResult Generator::GenerateService(const std::string& service) {
  GenerationResult result;
  {
    ServiceLock lock(&ServiceMutex(service), options_.soa_dir, service);
    result = GenerateLocked(service);
  }
  if (result.changed && on_changed_) on_changed_(service);
  return result;
}

GenerationResult Generator::GenerateLocked(const std::string& service) {
  GenerationResult result;
  result.service = service;
  absl::StatusOr<config::ServiceConfig> config = LoadValid(service);
  if (!config.ok()) {
    result.error = std::string(config.status().message());
    return result;
  }
  absl::StatusOr<std::vector<git::Ref>> refs = git::ListTags(config->git_url);
  if (!refs.ok()) {
    result.error =
        absl::StrCat("cannot read the tags of ", service, " from ", config->git_url, ": ", refs.status().message());
    return result;
  }
  result.refs_read = static_cast<int>(refs->size());
  const std::string text = RenderDeploymentsJson(ComputeDeployments(*config, *refs));
  const std::string path = absl::StrCat(config->dir, "/deployments.json");
  if (absl::StatusOr<std::string> existing = ReadFile(path); existing.ok() && *existing == text) {
    return result;  // unchanged: the file (and its mtime) stays as it is
  }
  if (absl::Status written = WriteFileAtomically(path, text); !written.ok()) {
    result.error = absl::StrCat("cannot write deployments.json of ", service, ": ", written.message());
    return result;
  }
  result.changed = true;
  spdlog::info("wrote {} ({} refs read)", path, result.refs_read);
  return result;
}

absl::StatusOr<std::vector<GenerationResult>> Generator::GenerateAll() {
  absl::StatusOr<std::vector<std::string>> services = config::SoaDir(options_.soa_dir).ListPaastaServices();
  if (!services.ok()) return services.status();
  std::vector<GenerationResult> results;
  for (const std::string& service : *services) results.push_back(GenerateService(service));
  return results;
}

absl::StatusOr<WrittenTag> Generator::MarkForDeployment(const std::string& service, const std::string& deploy_group,
                                                        const std::string& commit, const std::string& requested_by) {
  if (absl::Status name = config::CheckName("service", service); !name.ok()) return name;
  if (absl::Status group = CheckDeployGroup(deploy_group); !group.ok()) return group;
  WrittenTag written;
  {
    ServiceLock lock(&ServiceMutex(service), options_.soa_dir, service);
    absl::StatusOr<config::ServiceConfig> config = LoadValid(service);
    if (!config.ok()) return config.status();
    absl::StatusOr<std::string> sha = git::ResolveCommit(config->git_url, commit, options_.git_cache_dir);
    if (!sha.ok()) return sha.status();
    absl::StatusOr<std::string> tag = CreateTagAt(config->git_url, *sha, options_.git_cache_dir, options_.now(),
                                                  [&](absl::Time time) { return DeployTagName(deploy_group, time); });
    if (!tag.ok()) return tag.status();
    written.tag = *tag;
    written.sha = *sha;
    bool used = false;
    for (const auto& instance : config->marathon) used |= instance.deploy_group == deploy_group;
    for (const auto& instance : config->chronos) used |= instance.deploy_group == deploy_group;
    for (const auto& instance : config->adhoc) used |= instance.deploy_group == deploy_group;
    spdlog::info("marked {} for deployment in deploy group {} of {} (tag {}) for {}", *sha, deploy_group, service, *tag,
                 requested_by.empty() ? "an unnamed caller" : requested_by);
    if (!used) {
      spdlog::warn("no instance of {} uses deploy group {}: the tag changes nothing yet", service, deploy_group);
    }
  }
  GenerateService(service);
  return written;
}

absl::StatusOr<std::vector<WrittenTag>> Generator::SetDesiredState(const std::string& service,
                                                                   const std::vector<std::string>& instances,
                                                                   const std::vector<std::string>& clusters,
                                                                   StateChange change,
                                                                   const std::string& requested_by) {
  if (absl::Status name = config::CheckName("service", service); !name.ok()) return name;
  if (clusters.empty()) return absl::InvalidArgumentError("give at least one cluster (-c)");
  std::vector<WrittenTag> written;
  {
    ServiceLock lock(&ServiceMutex(service), options_.soa_dir, service);
    absl::StatusOr<config::ServiceConfig> config = LoadValid(service);
    if (!config.ok()) return config.status();

    // Every instance to change, checked before anything is written.
    std::vector<const config::InstanceConfig*> targets;
    for (const std::string& cluster : clusters) {
      std::vector<const config::InstanceConfig*> in_cluster;
      for (const auto& i : config->marathon)
        if (i.cluster == cluster) in_cluster.push_back(&i);
      for (const auto& i : config->chronos)
        if (i.cluster == cluster) in_cluster.push_back(&i);
      for (const auto& i : config->adhoc)
        if (i.cluster == cluster) in_cluster.push_back(&i);
      if (in_cluster.empty()) {
        return absl::NotFoundError(absl::StrCat(service, " has no instances in cluster ", cluster));
      }
      if (instances.empty()) {
        targets.insert(targets.end(), in_cluster.begin(), in_cluster.end());
        continue;
      }
      for (const std::string& instance : instances) {
        auto it = std::find_if(in_cluster.begin(), in_cluster.end(),
                               [&](const config::InstanceConfig* c) { return c->instance == instance; });
        if (it == in_cluster.end()) {
          return absl::NotFoundError(absl::StrCat(service, ".", instance, " is not an instance in cluster ", cluster));
        }
        targets.push_back(*it);
      }
    }
    absl::StatusOr<std::vector<git::Ref>> refs = git::ListTags(config->git_url);
    if (!refs.ok()) return refs.status();
    std::set<std::string> undeployed;
    std::vector<std::pair<const config::InstanceConfig*, std::string>> with_sha;
    for (const config::InstanceConfig* target : targets) {
      const std::optional<DeployTag> deploy = LatestDeployTag(*refs, target->deploy_group);
      if (!deploy.has_value()) {
        undeployed.insert(target->deploy_group);
      } else {
        with_sha.emplace_back(target, deploy->sha);
      }
    }
    if (!undeployed.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "No deploy tags found for deploy group", undeployed.size() == 1 ? " " : "s ", absl::StrJoin(undeployed, ", "),
          " of ", service, ". Has ", service, " been deployed there yet?"));
    }
    const config::DesiredState desired =
        change == StateChange::kStop ? config::DesiredState::kStop : config::DesiredState::kStart;
    const absl::Time now = options_.now();
    for (const auto& [target, sha] : with_sha) {
      absl::StatusOr<std::string> tag =
          CreateTagAt(config->git_url, sha, options_.git_cache_dir, now,
                      [&](absl::Time time) { return ControlTagName(target->branch, time, desired); });
      if (!tag.ok()) return tag.status();
      written.push_back({target->cluster, target->instance, *tag, sha, target->type});
      spdlog::info("Issued request to change state of {} (an instance of {}) to '{}' by {}", target->instance, service,
                   desired == config::DesiredState::kStop ? "stop" : "start",
                   requested_by.empty() ? "an unnamed caller" : requested_by);
    }
  }
  GenerateService(service);
  return written;
}

}  // namespace paasta::generator
