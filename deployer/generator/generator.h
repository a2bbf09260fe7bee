// The deployments generator: turns each service's git tags into
// <soa-dir>/<service>/deployments.json, and writes the tags for
// mark-for-deployment and start/stop/restart.
//
// Example:
//
//   Generator generator({.soa_dir = "/nail/etc/services", .git_cache_dir = "/var/cache/paasta"});
//   GenerationResult result = generator.GenerateService("example_service");
//   // result.changed: deployments.json was rewritten
//
// Thread-safe: generations of one service are serialized (two generators in
// different processes are safe too: files are replaced atomically).
#ifndef PAASTA_DEPLOYER_GENERATOR_GENERATOR_H_
#define PAASTA_DEPLOYER_GENERATOR_GENERATOR_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/config/soa_config.h"

namespace paasta::generator {

struct GeneratorOptions {
  std::string soa_dir;
  // Mirrors of remote repositories (for tagging) live here.
  std::string git_cache_dir;
  // The clock for tag timestamps (tests inject one).
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

// The outcome of generating one service.
struct GenerationResult {
  std::string service;
  // deployments.json was rewritten (its content changed).
  bool changed = false;
  // Why it failed ("" on success); the previous file is left in place.
  std::string error;
  // Refs read from the repository.
  int refs_read = 0;
};

// A tag written.
struct WrittenTag {
  std::string cluster;
  std::string instance;
  std::string tag;
  std::string sha;
  config::InstanceType type = config::InstanceType::kMarathon;
};

// What start/stop/restart asks for.
enum class StateChange { kStart, kStop, kRestart };

class Generator {
 public:
  explicit Generator(GeneratorOptions options) : options_(std::move(options)) {}

  // Called (outside any lock) with the name of every service whose
  // deployments.json changed.
  void OnChanged(std::function<void(const std::string& service)> callback) { on_changed_ = std::move(callback); }

  // Regenerates one service. Never throws away a good file: on any error
  // (unsafe name, bad soa-configs, unreadable repository) the previous
  // deployments.json stays and `error` says why, naming the service and URL.
  GenerationResult GenerateService(const std::string& service);

  // Regenerates every PaaSTA service of the soa-dir (one failing service does
  // not stop the others). NOT_FOUND if the soa-dir cannot be read.
  absl::StatusOr<std::vector<GenerationResult>> GenerateAll();

  // Tags `commit` (a full or abbreviated sha, or a ref name) for `deploy_group`
  // and regenerates the service. Errors: INVALID_ARGUMENT (names), NOT_FOUND
  // (service, commit), plus the repository's errors.
  absl::StatusOr<WrittenTag> MarkForDeployment(const std::string& service, const std::string& deploy_group,
                                               const std::string& commit, const std::string& requested_by);

  // Writes a control tag for each instance (all of the cluster's when
  // `instances` is empty) in each cluster, at its deploy group's current sha,
  // then regenerates. FAILED_PRECONDITION ("... Has <service> been deployed
  // there yet?") when an instance's deploy group has no deploy tag; NOT_FOUND
  // for an instance or cluster the service does not have. Nothing is written
  // unless every instance can be.
  absl::StatusOr<std::vector<WrittenTag>> SetDesiredState(const std::string& service,
                                                          const std::vector<std::string>& instances,
                                                          const std::vector<std::string>& clusters, StateChange change,
                                                          const std::string& requested_by);

 private:
  // The in-process half of the lock serializing work on one service (the other
  // half locks the service's folder, see ServiceLock in generator.cc).
  absl::Mutex& ServiceMutex(const std::string& service) ABSL_LOCKS_EXCLUDED(mu_);
  // GenerateService with the service's lock held.
  GenerationResult GenerateLocked(const std::string& service);
  // Loads a service's configs; FAILED_PRECONDITION listing the errors of files
  // that cannot be read (an instance with a bad key is left to the deployer).
  absl::StatusOr<config::ServiceConfig> LoadValid(const std::string& service);

  const GeneratorOptions options_;
  std::function<void(const std::string&)> on_changed_;

  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<absl::Mutex>> service_mutexes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace paasta::generator

#endif  // PAASTA_DEPLOYER_GENERATOR_GENERATOR_H_
