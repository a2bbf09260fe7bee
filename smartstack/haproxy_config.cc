#include "smartstack/haproxy_config.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace paasta::smartstack {

std::string RenderHaproxyConfig(const HaproxyGlobals& globals, std::vector<ProxiedNamespace> namespaces) {
  std::sort(namespaces.begin(), namespaces.end(),
            [](const ProxiedNamespace& a, const ProxiedNamespace& b) { return a.name < b.name; });
  std::string out = "# Written by paasta-smartstack; do not edit.\n";
  absl::StrAppend(&out, "global\n", "    maxconn ", globals.maxconn, "\n");
  if (!globals.stats_socket.empty()) {
    // expose-fd listeners: a reload takes over the listening sockets, so no
    // connection is refused while the new process starts.
    absl::StrAppend(&out, "    stats socket ", globals.stats_socket, " mode 600 level admin expose-fd listeners\n");
  }
  if (!globals.server_state_file.empty())
    absl::StrAppend(&out, "    server-state-file ", globals.server_state_file, "\n");
  absl::StrAppend(&out,
                  "\n"
                  "defaults\n"
                  "    mode http\n",
                  globals.server_state_file.empty() ? "" : "    load-server-state-from-file global\n",
                  "    option redispatch\n"
                  "    option dontlognull\n"
                  "    option http-server-close\n"
                  "    timeout connect 200ms\n"
                  "    timeout client 1000ms\n"
                  "    timeout server 1000ms\n"
                  "    timeout check 1000ms\n");
  for (const ProxiedNamespace& ns : namespaces) {
    const std::string mode = ns.mode == "tcp" ? "tcp" : "http";
    absl::StrAppend(&out, "\nfrontend ", ns.name, "\n", "    mode ", mode, "\n", "    bind ", globals.bind_address, ":",
                    ns.proxy_port, "\n", "    timeout client ", ns.timeout_client_ms, "ms\n", "    default_backend ",
                    ns.name, "\n");
    const std::string check_path =
        ns.healthcheck_mode == "tcp"
            ? absl::StrCat("/tcp/", ns.name, "/0/")
            : absl::StrCat("/http/", ns.name, "/0/", absl::StripPrefix(ns.healthcheck_uri, "/"));
    absl::StrAppend(&out, "\nbackend ", ns.name, "\n", "    mode ", mode, "\n", "    balance roundrobin\n",
                    "    retries ", ns.retries, "\n", "    timeout connect ", ns.timeout_connect_ms, "ms\n",
                    "    timeout server ", ns.timeout_server_ms, "ms\n", "    timeout check ",
                    static_cast<int64_t>(ns.healthcheck_timeout_s * 1000), "ms\n", "    option httpchk GET ",
                    check_path, "\n", "    http-check send-state\n", "    default-server inter ",
                    globals.check_interval_ms, "ms fall ", globals.fall, " rise ", globals.rise, "\n");
    std::vector<BackendServer> servers = ns.servers;
    std::sort(servers.begin(), servers.end(), [](const BackendServer& a, const BackendServer& b) {
      return a.host != b.host ? a.host < b.host : a.port < b.port;
    });
    for (const BackendServer& server : servers) {
      const std::string name = absl::StrCat(server.host, ":", server.port);
      absl::StrAppend(&out, "    server ", name, " ", name, " check addr ", globals.hacheck_host, " port ",
                      globals.hacheck_port, "\n");
    }
  }
  return out;
}

}  // namespace paasta::smartstack
