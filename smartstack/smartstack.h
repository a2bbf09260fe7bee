// The one-machine SmartStack: what nerve and synapse did, in one place. Every
// pass it reads the smartstack namespaces with a proxy_port from the
// soa-configs, finds the healthy tasks of every marathon instance registering
// in each (from the engine: the agent or Marathon; a task joins once it runs
// and passes its health checks, as nerve registered it), renders the HAProxy
// configuration and hands it to the supervisor, which applies it with a
// seamless reload when it changed. HAProxy checks each task through the
// hacheck endpoint, so only healthy tasks that are not drained get traffic.
// Nothing is changed on partial information: when the configs or the engine
// cannot be read, HAProxy keeps its configuration. Thread-safe.
#ifndef PAASTA_SMARTSTACK_SMARTSTACK_H_
#define PAASTA_SMARTSTACK_SMARTSTACK_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "deployer/orchestrator.h"
#include "protos/smartstack.pb.h"
#include "smartstack/haproxy_config.h"
#include "smartstack/haproxy_supervisor.h"

namespace paasta::smartstack {

struct SmartstackOptions {
  std::string soa_dir;
  std::string system_config_dir;
  // Overrides the system config's cluster when set.
  std::string cluster;
  HaproxyGlobals globals;
};

class Smartstack {
 public:
  // Not owned; must outlive this.
  Smartstack(SmartstackOptions options, deployer::Orchestrator* engine, HaproxySupervisor* haproxy);

  // One pass: discover, render, apply. The error says what could not be read
  // or what HAProxy rejected.
  absl::Status Pass();

  // The namespaces (of one service) with their backends and HAProxy's view of
  // each (read from the stats socket).
  std::vector<v1::Namespace> Namespaces(const std::string& service);

  // The namespaces as the last pass found them.
  std::vector<ProxiedNamespace> Discovered();

 private:
  const SmartstackOptions options_;
  deployer::Orchestrator* const engine_;
  HaproxySupervisor* const haproxy_;
  absl::Mutex mu_;
  std::vector<ProxiedNamespace> namespaces_ ABSL_GUARDED_BY(mu_);
};

// HAProxy's "show stat" CSV as (proxy, server) -> status ("UP", "DOWN 1/2", ...).
std::vector<std::pair<std::pair<std::string, std::string>, std::string>> ParseHaproxyStats(const std::string& csv);

}  // namespace paasta::smartstack

#endif  // PAASTA_SMARTSTACK_SMARTSTACK_H_
