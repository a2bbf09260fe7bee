#include "smartstack/smartstack.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/config/soa_loader.h"
#include "common/config/system_config.h"
#include "deployer/config_hash.h"

namespace paasta::smartstack {

std::vector<std::pair<std::pair<std::string, std::string>, std::string>> ParseHaproxyStats(const std::string& csv) {
  std::vector<std::pair<std::pair<std::string, std::string>, std::string>> out;
  std::vector<std::string> header;
  for (absl::string_view line : absl::StrSplit(csv, '\n', absl::SkipEmpty())) {
    const std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (absl::ConsumePrefix(&line, "# ")) {
      header = absl::StrSplit(line, ',');
      continue;
    }
    size_t status = header.size();
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == "status") status = i;
    }
    if (status >= fields.size() || fields.size() < 2) continue;
    out.push_back({{fields[0], fields[1]}, fields[status]});
  }
  return out;
}

Smartstack::Smartstack(SmartstackOptions options, deployer::Orchestrator* engine, HaproxySupervisor* haproxy)
    : options_(std::move(options)), engine_(engine), haproxy_(haproxy) {}

absl::Status Smartstack::Pass() {
  absl::StatusOr<config::SystemConfig> system = config::LoadSystemConfig(options_.system_config_dir);
  if (!system.ok()) return system.status();
  const std::string cluster = options_.cluster.empty() ? system->cluster : options_.cluster;
  const config::SoaDir soa(options_.soa_dir);
  absl::StatusOr<std::vector<std::string>> services = soa.ListPaastaServices();
  if (!services.ok()) return services.status();
  absl::StatusOr<std::vector<deployer::OrchestratorApp>> apps = engine_->ListApps("");
  if (!apps.ok()) return apps.status();

  std::map<std::string, ProxiedNamespace> namespaces;
  for (const std::string& name : *services) {
    std::vector<config::Problem> problems;
    absl::StatusOr<config::ServiceConfig> service = soa.LoadService(name, &problems);
    if (!service.ok()) return service.status();  // keep what runs rather than drop a service
    // A file that cannot be read would drop its namespaces or tasks: keep HAProxy as it is.
    for (const config::Problem& problem : problems) {
      if (problem.severity == config::Problem::Severity::kError && problem.instance.empty()) {
        return absl::FailedPreconditionError(absl::StrCat("cannot read ", name, "'s configs: ", problem.ToString()));
      }
    }
    for (const auto& [ns_name, ns] : service->smartstack) {
      if (!ns.proxy_port.has_value()) continue;
      ProxiedNamespace& out = namespaces[absl::StrCat(name, ".", ns_name)];
      out.name = absl::StrCat(name, ".", ns_name);
      out.proxy_port = static_cast<int>(*ns.proxy_port);
      out.mode = ns.EffectiveMode().value_or("http") == "tcp" ? "tcp" : "http";
      out.healthcheck_mode = ns.healthcheck_mode.value_or(out.mode) == "tcp" ? "tcp" : "http";
      out.healthcheck_uri = ns.healthcheck_uri.value_or("/status");
      if (ns.timeout_connect_ms) out.timeout_connect_ms = *ns.timeout_connect_ms;
      if (ns.timeout_server_ms) out.timeout_server_ms = *ns.timeout_server_ms;
      if (ns.timeout_client_ms) out.timeout_client_ms = *ns.timeout_client_ms;
      if (ns.healthcheck_timeout_s) out.healthcheck_timeout_s = *ns.healthcheck_timeout_s;
      if (ns.retries) out.retries = *ns.retries;
    }
    // Every running task of every instance registering in a namespace.
    for (const config::MarathonInstanceConfig& instance : service->marathon) {
      if (instance.cluster != cluster) continue;
      const std::string prefix = deployer::AppIdPrefix(instance.service, instance.instance) + ".";
      for (const std::string& registration : instance.Registrations()) {
        auto ns = namespaces.find(registration);
        if (ns == namespaces.end()) continue;
        for (const deployer::OrchestratorApp& app : *apps) {
          if (!absl::StartsWith(app.id, prefix)) continue;
          for (const deployer::OrchestratorTask& task : app.tasks) {
            // As nerve registered a task only once its checks passed: a task
            // joins the backend when it runs and passes the engine's checks.
            const bool healthy = task.started && task.alive_results == task.health_results &&
                                 (task.health_results > 0 || !app.has_health_checks);
            if (healthy && !task.ports.empty()) ns->second.servers.push_back({task.host, task.ports[0], task.id});
          }
        }
      }
    }
  }
  std::vector<ProxiedNamespace> found;
  for (auto& [name, ns] : namespaces) found.push_back(std::move(ns));
  {
    absl::MutexLock lock(&mu_);
    namespaces_ = found;
  }
  return haproxy_->Apply(RenderHaproxyConfig(options_.globals, found));
}

std::vector<ProxiedNamespace> Smartstack::Discovered() {
  absl::MutexLock lock(&mu_);
  return namespaces_;
}

std::vector<v1::Namespace> Smartstack::Namespaces(const std::string& service) {
  std::map<std::pair<std::string, std::string>, std::string> states;
  for (auto& [key, status] : ParseHaproxyStats(HaproxyCommand(options_.globals.stats_socket, "show stat\n"))) {
    states[key] = status;
  }
  std::vector<v1::Namespace> out;
  for (const ProxiedNamespace& ns : Discovered()) {
    if (!service.empty() && !absl::StartsWith(ns.name, service + ".")) continue;
    v1::Namespace& added = out.emplace_back();
    added.set_name(ns.name);
    added.set_proxy_port(static_cast<uint32_t>(ns.proxy_port));
    added.set_mode(ns.mode);
    for (const BackendServer& server : ns.servers) {
      v1::Backend* backend = added.add_backends();
      backend->set_name(absl::StrCat(server.host, ":", server.port));
      backend->set_host(server.host);
      backend->set_port(static_cast<uint32_t>(server.port));
      backend->set_task_id(server.task_id);
      auto state = states.find({ns.name, backend->name()});
      const std::string status = state == states.end() ? "" : state->second;
      backend->set_check_status(status);
      backend->set_status(absl::StartsWith(status, "UP")     ? v1::BACKEND_STATUS_UP
                          : absl::StartsWith(status, "DOWN") ? v1::BACKEND_STATUS_DOWN
                                                             : v1::BACKEND_STATUS_MAINT);
    }
  }
  return out;
}

}  // namespace paasta::smartstack
