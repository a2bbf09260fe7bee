// The system config: every readable *.json under /etc/paasta (or
// --system_config_dir, or $PAASTA_SYSTEM_CONFIG_DIR), walked recursively in path
// order and deep-merged, later files winning (../shared/reference/
// paasta-behaviour.md §1.6). Unreadable files are skipped, as the original did
// for credential files.
//
// Example /etc/paasta/cluster.json for the one-machine cluster:
//
//   {"cluster": "local", "volumes": [],
//    "daemon_addresses": {"agent": "127.0.0.1:7701", "deployer": "127.0.0.1:7703"}}
//
// marathon_config / chronos_config present means the cluster engines are used;
// absent means the embedded ones (the agent and the embedded scheduler).
#ifndef PAASTA_COMMON_CONFIG_SYSTEM_CONFIG_H_
#define PAASTA_COMMON_CONFIG_SYSTEM_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config/config_value.h"
#include "common/config/problem.h"
#include "common/config/soa_config.h"

namespace paasta::config {

// marathon_config: where the Marathon v2 REST API is.
struct MarathonEndpoint {
  std::string url;
  std::string user;
  std::string password;
};

// chronos_config: where the Chronos REST API is (several URLs: any leader).
struct ChronosEndpoint {
  std::vector<std::string> urls;
  std::string user;
  std::string password;
  // Where the API lives: "/scheduler" (Chronos 2.x, the default) or
  // "/v1/scheduler" (Chronos 3.x). Not a key of the original.
  std::string api_prefix = "/scheduler";
};

// grpc_tls: mutual TLS for every gRPC connection between the CLI and the
// daemons and among daemons (this project's addition). Absent: plaintext gRPC,
// meant for loopback on one machine. Paths are absolute PEM files.
//
//   "grpc_tls": {"ca_file": "/etc/paasta/tls/ca.pem",
//                "cert_file": "/etc/paasta/tls/host.pem",
//                "key_file": "/etc/paasta/tls/host-key.pem",
//                "policy_file": "/etc/paasta/authorization.yaml",
//                "open_reads": false}
struct GrpcTls {
  // The CA that signs every certificate, clients' and servers' alike.
  std::string ca_file;
  // This host's certificate and key: daemons serve with them and present them
  // when they call each other (the certificate's common name is then the
  // caller). The CLI presents them too unless --tls-cert/--tls-key (or
  // $PAASTA_TLS_CERT/$PAASTA_TLS_KEY) name the user's own.
  std::string cert_file;
  std::string key_file;
  // Who may change which services (common/server/authorization.h). Required.
  std::string policy_file;
  // Read RPCs (list, status, logs) need no client certificate. Mutating RPCs
  // always need one.
  bool open_reads = false;
};

struct SystemConfig {
  // The merged JSON, for keys not typed here.
  ConfigValue merged = ConfigValue::Map();
  // The files read, in merge order.
  std::vector<std::string> files;

  std::string cluster;
  std::string docker_registry;
  // Unset when no file has the key (the original raised when it was used).
  std::optional<std::vector<VolumeConfig>> volumes;
  std::optional<MarathonEndpoint> marathon;
  std::optional<ChronosEndpoint> chronos;
  std::string dockercfg_location = "file:///root/.dockercfg";
  std::string zookeeper;
  std::string synapse_host = "localhost";
  int64_t synapse_port = 3212;
  std::string synapse_haproxy_url_format = "http://{host:s}:{port:d}/;csv;norefresh";
  std::string cluster_fqdn_format = "paasta-{cluster:s}.yelp";
  std::string sensu_host = "localhost";
  int64_t sensu_port = 3030;
  // local_run_config.default_cluster.
  std::string local_run_default_cluster;
  // This project's addition: the daemons' gRPC addresses, by short name
  // ("agent", "generator", "deployer", "scheduler_bridge", "drainer", "monitor",
  // "smartstack").
  std::map<std::string, std::string> daemon_addresses;
  std::optional<GrpcTls> grpc_tls;
};

// $PAASTA_SYSTEM_CONFIG_DIR, else /etc/paasta.
std::string DefaultSystemConfigDir();

// Loads and validates the system config in `dir`. NOT_FOUND naming the folder
// (and how to set it) when it does not exist; INVALID_ARGUMENT listing every
// problem (file, key, found vs. expected) when a file does not parse or a key
// has the wrong type.
absl::StatusOr<SystemConfig> LoadSystemConfig(const std::string& dir);

}  // namespace paasta::config

#endif  // PAASTA_COMMON_CONFIG_SYSTEM_CONFIG_H_
