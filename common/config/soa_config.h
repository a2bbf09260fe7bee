// The typed soa-configs model: one service's configuration as the original
// PaaSTA (v0.56.1) read it, with its defaults (../shared/reference/
// paasta-behaviour.md §1). Built by soa_loader.h, which also validates; code
// behind the loader assumes these structs are valid.
//
// Example (marathon-local.yaml with `main: {instances: 2}` and a smartstack.yaml
// namespace `main` with a proxy_port):
//
//   const MarathonInstanceConfig& main = service.marathon[0];
//   main.InstanceCount(DesiredState::kStart)   // 2
//   main.InstanceCount(DesiredState::kStop)    // 0
//   main.BackoffSeconds(DesiredState::kStart)  // ceil(10 / 2) = 5
//   main.DrainMethod()                         // "hacheck" (in smartstack)
//   main.HealthcheckMode()                     // "http" (the namespace's mode)
#ifndef PAASTA_COMMON_CONFIG_SOA_CONFIG_H_
#define PAASTA_COMMON_CONFIG_SOA_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/config/config_value.h"

namespace paasta::config {

// The instance types PaaSTA knows, in the order it looks them up.
enum class InstanceType { kMarathon, kChronos, kPaastaNative, kAdhoc };

// "marathon", "chronos", "paasta_native", "adhoc".
const char* InstanceTypeName(InstanceType type);

// Start or stop, from deployments.json (the control tags).
enum class DesiredState { kStart, kStop };

// A volume mounted into a task (system volumes, then extra_volumes).
struct VolumeConfig {
  std::string container_path;
  std::string host_path;
  // "RO" or "RW".
  std::string mode;
};

// One ulimit, rendered as --ulimit=<name>=<soft>[:<hard>].
struct UlimitConfig {
  std::string name;
  int64_t soft = 0;
  std::optional<int64_t> hard;
};

// Keys every instance type shares (§1.3 "Common").
struct InstanceConfig {
  std::string service;
  std::string instance;
  std::string cluster;
  InstanceType type = InstanceType::kMarathon;
  // Where the instance is defined (its key in <type>-<cluster>.yaml).
  SourcePosition position;

  double cpus = 0.25;
  double mem = 1024;
  double disk = 1024;
  int64_t cfs_period_us = 100000;
  double cpu_burst_pct = 900;
  // Sorted by name.
  std::vector<UlimitConfig> ulimits;
  std::vector<std::string> cap_add;
  std::optional<std::string> cmd;
  // Unset when cmd is set; [] when neither is.
  std::optional<std::vector<std::string>> args;
  std::map<std::string, std::string> env;
  std::vector<VolumeConfig> extra_volumes;
  // monitoring.yaml merged under the instance's own `monitoring`.
  ConfigValue monitoring = ConfigValue::Map();
  std::vector<std::pair<std::string, std::string>> deploy_blacklist;
  // One [location_type, [values...]] pair.
  std::optional<std::pair<std::string, std::vector<std::string>>> deploy_whitelist;
  std::vector<std::pair<std::string, std::string>> monitoring_blacklist;
  std::string pool = "default";
  // Used verbatim when set.
  std::optional<std::vector<std::vector<std::string>>> constraints;
  std::vector<std::vector<std::string>> extra_constraints;
  // "bridge", "host", "none" (others passed through).
  std::string net = "bridge";
  // With {cluster}, {instance}, {service} interpolated; default cluster.instance.
  std::string deploy_group;
  // The control branch, default cluster.instance.
  std::string branch;

  // "service.instance".
  std::string Name() const { return service + "." + instance; }
};

// The healthcheck and drain keys of long-running instances, and the
// smartstack namespace they register in.
struct SmartstackNamespaceConfig {
  // The namespace's name (the key in smartstack.yaml).
  std::string name;
  std::optional<int64_t> proxy_port;
  // "http", "tcp" or "https"; unset means http when proxied, none otherwise.
  std::optional<std::string> mode;
  std::optional<std::string> healthcheck_mode;
  std::optional<std::string> healthcheck_uri;
  std::optional<double> healthcheck_timeout_s;
  std::optional<double> updown_timeout_s;
  std::optional<int64_t> timeout_connect_ms;
  std::optional<int64_t> timeout_server_ms;
  std::optional<int64_t> timeout_client_ms;
  std::optional<int64_t> retries;
  std::string discover = "region";
  ConfigValue advertise = ConfigValue::List();
  std::map<std::string, std::string> extra_healthcheck_headers;
  // (source, destination) pairs.
  std::vector<std::pair<std::string, std::string>> routes;
  std::vector<std::pair<std::string, std::string>> extra_advertise;
  SourcePosition position;

  // The namespace's effective mode: `mode`, else "http" with a proxy_port,
  // else unset (no health checks).
  std::optional<std::string> EffectiveMode() const;
};

// A marathon instance: common keys, long-running keys and marathon keys
// (§1.3), with the derived values setup_marathon_job computed.
struct MarathonInstanceConfig : InstanceConfig {
  // Long-running keys.
  std::vector<std::string> registrations;  // as configured (may be empty)
  std::optional<std::string> nerve_ns;
  std::optional<std::string> healthcheck_mode;
  std::optional<std::string> healthcheck_uri;
  std::optional<std::string> healthcheck_cmd;
  double healthcheck_grace_period_seconds = 60;
  double healthcheck_interval_seconds = 10;
  double healthcheck_timeout_seconds = 10;
  int64_t healthcheck_max_consecutive_failures = 30;
  std::optional<std::string> drain_method;
  std::optional<ConfigValue> drain_method_params;

  // Marathon keys. `instances: false` reads as 0.
  int64_t instances = 1;
  int64_t min_instances = 1;
  std::optional<int64_t> max_instances;
  ConfigValue autoscaling = ConfigValue::Map();
  double backoff_factor = 2;
  int64_t max_launch_delay_seconds = 300;
  std::string bounce_method = "crossover";
  std::optional<ConfigValue> bounce_health_params;
  double bounce_margin_factor = 1.0;
  std::optional<std::vector<std::string>> accepted_resource_roles;
  int64_t replication_threshold = 50;

  // The smartstack namespace named after the nerve namespace, if smartstack.yaml
  // has one.
  std::optional<SmartstackNamespaceConfig> smartstack;

  // Registrations with the defaults applied: the configured list, else
  // ["<service>.<nerve_ns>"], else ["<service>.<instance>"].
  std::vector<std::string> Registrations() const;
  // The instance part of the first registration.
  std::string NerveNamespace() const;
  // True when the namespace has a proxy_port ("in smartstack").
  bool InSmartstack() const;
  // healthcheck_mode, else the namespace's effective mode; unset = no checks.
  std::optional<std::string> HealthcheckMode() const;
  // healthcheck_uri, else the namespace's, else "/status".
  std::string HealthcheckUri() const;
  // drain_method, else "hacheck" in smartstack, else "noop".
  std::string DrainMethod() const;
  // drain_method_params, else {"delay": 60} in smartstack, else {}.
  ConfigValue DrainMethodParams() const;
  // bounce_health_params, else {"check_haproxy": true} in smartstack, else {}.
  ConfigValue BounceHealthParams() const;
  // `instances` when started (max_instances when autoscaled: no autoscaler
  // state exists, as when the original found no ZooKeeper node), 0 when stopped.
  int64_t InstanceCount(DesiredState desired_state) const;
  // ceil(10 / N), N = max_instances or the instance count; 1 when N is 0.
  int64_t BackoffSeconds(DesiredState desired_state) const;
};

// A chronos job (§1.4). In v0.56.1 service.yaml is not merged under jobs.
struct ChronosJobConfig : InstanceConfig {
  std::optional<std::string> schedule;
  // "service.instance" names (a scalar is read as a list of one).
  std::vector<std::string> parents;
  std::optional<std::string> schedule_time_zone;
  std::string epsilon = "PT60S";
  int64_t retries = 2;
  bool disabled = false;
  std::string bounce_method = "graceful";
};

// An adhoc instance (§1.5): common keys only.
struct AdhocInstanceConfig : InstanceConfig {};

// One step of deploy.yaml's pipeline.
struct PipelineStep {
  std::string step;
  bool trigger_next_step_manually = false;
};

// A whole service.
struct ServiceConfig {
  std::string name;
  // <soa-dir>/<name>.
  std::string dir;
  // service.yaml as read (the defaults of marathon and adhoc instances).
  ConfigValue service_yaml = ConfigValue::Map();
  // service.yaml git_url, default git@git.yelpcorp.com:services/<name>.git.
  std::string git_url;
  std::string description;
  std::string external_link;
  // monitoring.yaml as read.
  ConfigValue monitoring = ConfigValue::Map();
  std::vector<PipelineStep> deploy_pipeline;
  // smartstack.yaml, by namespace name.
  std::map<std::string, SmartstackNamespaceConfig> smartstack;
  // Clusters the service runs in (from file names), sorted.
  std::vector<std::string> clusters;
  // Instances of every cluster, sorted by cluster then instance.
  std::vector<MarathonInstanceConfig> marathon;
  std::vector<ChronosJobConfig> chronos;
  std::vector<AdhocInstanceConfig> adhoc;

  // The team from monitoring.yaml (or an instance's monitoring), "" if none.
  static std::string Team(const ConfigValue& monitoring);
};

// The bounce and drain methods the platform knows, sorted.
const std::vector<std::string>& BounceMethods();
const std::vector<std::string>& DrainMethods();

// The original's message for a value outside `allowed`:
// "<key> not recognized: <value>. Must be one of (a, b, c)".
std::string NotRecognized(const std::string& key, const std::string& value,
                          const std::vector<std::string>& allowed);

}  // namespace paasta::config

#endif  // PAASTA_COMMON_CONFIG_SOA_CONFIG_H_
