// The HAProxy configuration of the one-machine SmartStack, as a pure function
// of the namespaces and their tasks: what synapse wrote from nerve's
// registrations (../shared/reference/external-apis.md §5), with health checks
// through the hacheck endpoint as Yelp's HAProxies did.
//
// Per namespace "<service>.<namespace>":
//
//   frontend <name>             bind <bind_address>:<proxy_port>, default_backend <name>
//   backend <name>              balance roundrobin; option httpchk GET /<mode>/<name>/0/<uri>
//                               + http-check send-state (hacheck reads the server's
//                               port from X-Haproxy-Server-State)
//     server <host>:<port> <host>:<port> check addr <hacheck host> port <hacheck port>
//
// so a task marked down in the hacheck spool (a drain) leaves the rotation within
// one check interval, and a task that fails its own check does too. Servers are
// sorted by name so the same inputs give the same text (no needless reloads).
#ifndef PAASTA_SMARTSTACK_HAPROXY_CONFIG_H_
#define PAASTA_SMARTSTACK_HAPROXY_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

namespace paasta::smartstack {

struct BackendServer {
  std::string host;
  int port = 0;
  // The task behind it (not written to the config).
  std::string task_id;
};

struct ProxiedNamespace {
  // "<service>.<namespace>".
  std::string name;
  int proxy_port = 0;
  // "http" or "tcp".
  std::string mode = "http";
  // How hacheck checks the task: "http" (GET healthcheck_uri) or "tcp".
  std::string healthcheck_mode = "http";
  std::string healthcheck_uri = "/status";
  // smartstack.yaml's timeouts (PaaSTA's defaults).
  int64_t timeout_connect_ms = 200;
  int64_t timeout_server_ms = 1000;
  int64_t timeout_client_ms = 1000;
  double healthcheck_timeout_s = 1.0;
  int64_t retries = 1;
  std::vector<BackendServer> servers;
};

struct HaproxyGlobals {
  // The admin socket (also hands the listening sockets to a reloaded HAProxy).
  std::string stats_socket;
  // Where server states are saved before a reload and loaded by the new
  // workers, so servers that were UP stay UP (without it every server starts
  // unchecked and requests meet "no server is available").
  std::string server_state_file;
  std::string bind_address = "127.0.0.1";
  std::string hacheck_host = "127.0.0.1";
  int hacheck_port = 6666;
  // Health-check interval, and how many failures take a server out / passes
  // bring it back.
  int64_t check_interval_ms = 500;
  int fall = 2;
  int rise = 1;
  int maxconn = 4096;
};

// The whole haproxy.cfg text. Namespaces are written in name order.
std::string RenderHaproxyConfig(const HaproxyGlobals& globals, std::vector<ProxiedNamespace> namespaces);

}  // namespace paasta::smartstack

#endif  // PAASTA_SMARTSTACK_HAPROXY_CONFIG_H_
