// The only file that includes CLI11 (a large header-only library): it defines
// every subcommand's flags and hands plain option structs to commands.cc.
#include "cli/cli.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "cli/local_run.h"
#include "cli/logs.h"
#include "cli/status.h"
#include "common/config/soa_loader.h"
#include "common/config/system_config.h"
#include "common/status_map.h"
#include "common/version.h"

namespace paasta::cli {
namespace {

constexpr char kDescription[] =
    "paasta: deploy and run services, scheduled jobs and adhoc tasks from soa-configs kept "
    "in git.\n"
    "Each command talks to the paasta daemons over gRPC; their addresses default to the "
    "one-machine\ncluster's loopback ports and can be set with the flags below, a config file "
    "(--config,\nkeys named like the flags) or environment variables (PAASTA_GENERATOR, ...).";

// The endpoints with their system config key (daemon_addresses.<key>).
std::vector<std::pair<DaemonEndpoint*, std::string>> EndpointKeys(Endpoints& endpoints) {
  return {{&endpoints.agent, "agent"},          {&endpoints.generator, "generator"},
          {&endpoints.deployer, "deployer"},    {&endpoints.scheduler_bridge, "scheduler_bridge"},
          {&endpoints.drainer, "drainer"},      {&endpoints.monitor, "monitor"},
          {&endpoints.smartstack, "smartstack"}};
}

// Adds --agent, --generator, ... and --rpc-timeout to the top-level app; returns
// the address options by system config key.
std::map<std::string, CLI::Option*> AddEndpointFlags(CLI::App& app, Endpoints& endpoints, std::string& rpc_timeout) {
  std::map<std::string, CLI::Option*> options;
  for (const auto& [endpoint, key] : EndpointKeys(endpoints)) {
    std::string env = "PAASTA_" + endpoint->flag.substr(2);
    for (char& c : env) c = c == '-' ? '_' : static_cast<char>(std::toupper(c));
    options[key] = app.add_option(endpoint->flag, endpoint->address, absl::StrCat("host:port of ", endpoint->binary))
                       ->envname(env)
                       ->capture_default_str()
                       ->group("Daemon addresses");
  }
  app.add_option("--rpc-timeout", rpc_timeout, "Deadline of each call to a daemon, e.g. 30s")
      ->capture_default_str()
      ->group("Daemon addresses");
  return options;
}

// Splits "a,b,c" option values the way the original's -i/-c flags take them.
std::vector<std::string> SplitCommas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& value : values) {
    size_t start = 0;
    while (start <= value.size()) {
      const size_t comma = value.find(',', start);
      const std::string part = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!part.empty()) out.push_back(part);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

// Parses a duration flag ("30s", "10m"); false, saying why on stderr, unless it is positive.
bool ParsePositiveDuration(const std::string& command, const std::string& flag, const std::string& text,
                           absl::Duration* duration) {
  if (absl::ParseDuration(text, duration) && *duration > absl::ZeroDuration()) return true;
  std::cerr << command << ": " << flag << ": \"" << text << "\" is not a positive duration (e.g. 30s, 10m)\n";
  return false;
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{kDescription, "paasta"};
  app.require_subcommand(1);
  app.set_version_flag("--version", absl::StrCat("paasta ", kVersion));
  // CLI11 reads the config file before environment variables, so
  // PAASTA_CLI_CONFIG is passed as the default file (required when set).
  const char* config_env = std::getenv("PAASTA_CLI_CONFIG");
  const bool config_from_env = config_env != nullptr && *config_env != '\0';
  app.set_config("--config", config_from_env ? config_env : "",
                 "A TOML or INI file of flag values, e.g. generator = \"host:port\" "
                 "(default: $PAASTA_CLI_CONFIG)",
                 config_from_env);
  app.footer(
      "Example: paasta mark-for-deployment -s example_service -l local.everything -c HEAD\n"
      "Run `paasta <command> --help` for a command's flags.");

  Endpoints endpoints = DefaultEndpoints();
  std::string rpc_timeout = "30s";
  const std::map<std::string, CLI::Option*> address_options = AddEndpointFlags(app, endpoints, rpc_timeout);
  std::string system_config_dir;
  CLI::Option* system_config_option =
      app.add_option("--system-config-dir", system_config_dir,
                     "The system config folder; its daemon_addresses set the addresses no flag, "
                     "variable or config file sets (default: $PAASTA_SYSTEM_CONFIG_DIR or "
                     "/etc/paasta, if it exists)")
          ->group("Daemon addresses");
  TlsFiles client_tls;
  app.add_option("--tls-cert", client_tls.cert_file,
                 "With grpc_tls in the system config: your client certificate (PEM); its common name is who you "
                 "are to the daemons (default: $PAASTA_TLS_CERT, else the host's grpc_tls.cert_file if readable)")
      ->envname("PAASTA_TLS_CERT")
      ->group("Daemon addresses");
  app.add_option("--tls-key", client_tls.key_file,
                 "The private key of --tls-cert (default: $PAASTA_TLS_KEY, else the host's grpc_tls.key_file)")
      ->envname("PAASTA_TLS_KEY")
      ->group("Daemon addresses");

  int exit_code = 0;
  // Each command's callback runs after parsing succeeded and sets exit_code.
  auto finish_endpoints = [&]() -> bool {
    // Addresses from the system config fill in what nothing else set. The
    // default folder is optional; a folder named explicitly must load.
    const bool explicit_dir = system_config_option->count() > 0 || std::getenv("PAASTA_SYSTEM_CONFIG_DIR") != nullptr;
    const std::string dir = system_config_option->count() > 0 ? system_config_dir : config::DefaultSystemConfigDir();
    const absl::StatusOr<config::SystemConfig> system = config::LoadSystemConfig(dir);
    if (system.ok()) {
      for (const auto& [endpoint, key] : EndpointKeys(endpoints)) {
        auto address = system->daemon_addresses.find(key);
        if (address != system->daemon_addresses.end() && address_options.at(key)->count() == 0) {
          endpoint->address = address->second;
        }
      }
      if (system->grpc_tls.has_value()) {
        if (absl::Status s = UseClientTls(*system->grpc_tls, client_tls); !s.ok()) {
          std::cerr << "paasta: " << s.message() << "\n";
          exit_code = ExitCodeFor(s);
          return false;
        }
      }
    } else if (explicit_dir || !absl::IsNotFound(system.status())) {
      std::cerr << "paasta: " << system.status().message() << "\n";
      exit_code = ExitCodeFor(system.status());
      return false;
    }
    if (!ParsePositiveDuration("paasta", "--rpc-timeout", rpc_timeout, &endpoints.rpc_timeout)) {
      exit_code = kExitUsage;
      return false;
    }
    return true;
  };

  // mark-for-deployment
  MarkForDeploymentOptions mark;
  CLI::App* mark_cmd =
      app.add_subcommand("mark-for-deployment", "Deploy a commit to a deploy group (writes a deploy tag in git)");
  mark_cmd->add_option("-s,--service", mark.service, "The service")->required();
  mark_cmd->add_option("-l,--deploy-group", mark.deploy_group, "The deploy group, e.g. local.everything")->required();
  mark_cmd->add_option("-c,-k,--commit", mark.commit, "A full or abbreviated sha, or a ref name")->required();
  std::string mark_timeout = "30m";
  mark_cmd->add_flag("--wait", mark.wait,
                     "Follow the deploy until every long-running instance of the group runs the new version");
  mark_cmd->add_option("--timeout", mark_timeout, "With --wait: give up after this long (e.g. 30m, 90s)");
  mark_cmd->footer("Example: paasta mark-for-deployment -s example_service -l local.everything -c 3f596a5 --wait");
  mark_cmd->callback([&] {
    if (!finish_endpoints()) return;
    if (mark.service.rfind("services-", 0) == 0) mark.service = mark.service.substr(9);
    if (!ParsePositiveDuration("paasta mark-for-deployment", "--timeout", mark_timeout, &mark.timeout)) {
      exit_code = kExitUsage;
      return;
    }
    mark.terminal = ::isatty(1) != 0;
    exit_code = MarkForDeployment(endpoints, mark, std::cout, std::cerr);
  });

  // start, stop, restart
  struct StateCommand {
    const char* name;
    const char* help;
    StateChange change;
  };
  const StateCommand state_commands[] = {
      {"start", "Start instances (and bounce them): writes a start tag in git", StateChange::kStart},
      {"stop", "Stop instances (scale to zero, disable jobs) until the next deploy or start", StateChange::kStop},
      {"restart", "Restart instances with a graceful bounce (same as start)", StateChange::kRestart},
  };
  SetStateOptions state;
  std::vector<std::string> state_instances, state_clusters;
  for (const StateCommand& command : state_commands) {
    CLI::App* cmd = app.add_subcommand(command.name, command.help);
    cmd->add_option("-s,--service", state.service, "The service")->required();
    cmd->add_option("-i,--instances", state_instances, "Instances, comma-separated (default: all)");
    cmd->add_option("-c,--clusters", state_clusters, "Clusters, comma-separated")->required();
    cmd->footer(absl::StrCat("Example: paasta ", command.name, " -s example_service -i main -c local"));
    const StateChange change = command.change;
    cmd->callback([&, change] {
      if (!finish_endpoints()) return;
      state.change = change;
      state.instances = SplitCommas(state_instances);
      state.clusters = SplitCommas(state_clusters);
      exit_code = SetState(endpoints, state, std::cout, std::cerr);
    });
  }

  // rerun
  RerunOptions rerun;
  std::vector<std::string> rerun_clusters;
  std::string rerun_date;
  CLI::App* rerun_cmd =
      app.add_subcommand("rerun", "Run a scheduled job once, with its command rendered for a given date");
  rerun_cmd->add_option("-s,--service", rerun.service, "The service")->required();
  rerun_cmd->add_option("-i,--instance", rerun.instance, "The job")->required();
  rerun_cmd->add_option("-c,--clusters", rerun_clusters, "Clusters, comma-separated");
  rerun_cmd->add_option("-d,--execution_date", rerun_date,
                        "The date the command is rendered for, YYYY-MM-DDTHH:MM:SS (UTC)");
  rerun_cmd->footer("Example: paasta rerun -s example_batch -i daily -c local -d 2016-04-25T00:00:00");
  rerun_cmd->callback([&] {
    if (!finish_endpoints()) return;
    if (!rerun_date.empty()) {
      if (!ParseExecutionDate(rerun_date, &rerun.execution_date)) {
        std::cerr << "paasta rerun: -d/--execution_date: \"" << rerun_date << "\" is not YYYY-MM-DDTHH:MM:SS\n";
        exit_code = kExitUsage;
        return;
      }
      rerun.has_execution_date = true;
    }
    rerun.clusters = SplitCommas(rerun_clusters);
    exit_code = Rerun(endpoints, rerun, std::cout, std::cerr);
  });

  // validate, list: no daemon needed.
  ValidateOptions validate;
  CLI::App* validate_cmd =
      app.add_subcommand("validate", "Check soa-configs: every problem with its file, line, instance and key");
  validate_cmd->add_option("-s,--service", validate.service, "Only this service (default: all)");
  validate_cmd->add_option("-y,--soa-dir", validate.soa_dir,
                           "The soa-configs folder (default: $PAASTA_SOA_DIR or "
                           "/nail/etc/services)");
  validate_cmd->footer(
      "Exit 0 when valid (warnings do not fail), 1 with the list of errors otherwise.\n"
      "Example: paasta validate -y examples/soa-configs -s example_service");
  validate_cmd->callback([&] {
    if (validate.soa_dir.empty()) validate.soa_dir = config::DefaultSoaDir();
    exit_code = Validate(validate, std::cout, std::cerr);
  });

  ListOptions list;
  CLI::App* list_cmd = app.add_subcommand("list", "List the services of a soa-configs folder");
  list_cmd->add_option("-y,--soa-dir", list.soa_dir,
                       "The soa-configs folder (default: $PAASTA_SOA_DIR or /nail/etc/services)");
  list_cmd->add_flag("-a,--all", list.all, "Every folder, not only services with instances");
  list_cmd->add_flag("-i,--print-instances", list.instances, "Print service.instance lines");
  list_cmd->footer("Example: paasta list -y examples/soa-configs");
  list_cmd->callback([&] {
    if (list.soa_dir.empty()) list.soa_dir = config::DefaultSoaDir();
    exit_code = List(list, std::cout, std::cerr);
  });

  // metastatus
  CLI::App* metastatus_cmd =
      app.add_subcommand("metastatus", "Show the address and health of every paasta daemon of the cluster");
  metastatus_cmd->footer("Example: paasta metastatus");
  metastatus_cmd->callback([&] {
    if (!finish_endpoints()) return;
    exit_code = Metastatus(endpoints, std::cout, std::cerr);
  });

  // status
  StatusOptions status;
  std::vector<std::string> status_clusters, status_instances;
  CLI::App* status_cmd = app.add_subcommand("status", "Show the state of a service's instances and jobs");
  status_cmd->add_option("-s,--service", status.service, "The service")->required();
  status_cmd->add_option("-c,--clusters", status_clusters, "Clusters, comma-separated (default: the daemons')");
  status_cmd->add_option("-i,--instances", status_instances, "Instances, comma-separated (default: all)");
  status_cmd->add_flag("--json", status.json, "Print the same data as JSON, for scripts");
  status_cmd->add_flag("-v,--verbose", status.verbose, "Also print each instance's app id and its tasks");
  status_cmd->footer("Example: paasta status -s example_service -c local");
  status_cmd->callback([&] {
    if (!finish_endpoints()) return;
    status.clusters = SplitCommas(status_clusters);
    status.instances = SplitCommas(status_instances);
    exit_code = Status(endpoints, status, std::cout, std::cerr);
  });

  // emergency-start, emergency-stop, emergency-restart
  EmergencyOptions emergency;
  struct EmergencyCommand {
    const char* name;
    const char* help;
    bool stop;
    bool restart;
  };
  const EmergencyCommand emergency_commands[] = {
      {"emergency-start",
       "Start an instance now (jobs: run now, schedule unchanged; long-running: lift an emergency stop)", false, false},
      {"emergency-stop",
       "Kill an instance's tasks now, without draining (jobs: kill and disable until the next deploy)", true, false},
      {"emergency-restart", "Replace a long-running instance's tasks now: kill them without draining, then start",
       false, true},
  };
  for (const EmergencyCommand& command : emergency_commands) {
    CLI::App* cmd = app.add_subcommand(command.name, command.help);
    cmd->add_option("-s,--service", emergency.service, "The service")->required();
    cmd->add_option("-i,--instance", emergency.instance, "The instance or job")->required();
    cmd->add_option("-c,--cluster", emergency.cluster, "The cluster (default: the one the daemons serve)");
    cmd->footer(absl::StrCat("Example: paasta ", command.name, " -s ",
                             command.restart ? "example_service -i main" : "example_batch -i rollup", " -c local"));
    const bool stop = command.stop, restart = command.restart;
    cmd->callback([&, stop, restart] {
      if (!finish_endpoints()) return;
      emergency.stop = stop;
      emergency.restart = restart;
      exit_code = Emergency(endpoints, emergency, std::cout, std::cerr);
    });
  }

  // wait-for-deployment, get-latest-deployment, rollback
  MarkForDeploymentOptions wait;
  std::string wait_timeout = "30m";
  CLI::App* wait_cmd = app.add_subcommand(
      "wait-for-deployment", "Wait until a deploy group runs a commit (marked by someone else), following the bounce");
  wait_cmd->add_option("-s,--service", wait.service, "The service")->required();
  wait_cmd->add_option("-l,--deploy-group", wait.deploy_group, "The deploy group")->required();
  wait_cmd->add_option("-c,-k,--commit", wait.commit, "A full or abbreviated sha")->required();
  wait_cmd->add_option("--timeout", wait_timeout, "Give up after this long (e.g. 30m, 90s)")->capture_default_str();
  wait_cmd->footer("Example: paasta wait-for-deployment -s example_service -l local.everything -c 3f596a5");
  wait_cmd->callback([&] {
    if (!finish_endpoints()) return;
    if (!ParsePositiveDuration("paasta wait-for-deployment", "--timeout", wait_timeout, &wait.timeout)) {
      exit_code = kExitUsage;
      return;
    }
    wait.terminal = ::isatty(1) != 0;
    exit_code = WaitForDeploymentOf(endpoints, wait, std::cout, std::cerr);
  });

  std::string latest_service, latest_group;
  CLI::App* latest_cmd = app.add_subcommand("get-latest-deployment", "Print the commit (full sha) a deploy group runs");
  latest_cmd->add_option("-s,--service", latest_service, "The service")->required();
  latest_cmd->add_option("-l,--deploy-group", latest_group, "The deploy group")->required();
  latest_cmd->footer("Example: paasta get-latest-deployment -s example_service -l local.everything");
  latest_cmd->callback([&] {
    if (!finish_endpoints()) return;
    exit_code = GetLatestDeployment(endpoints, latest_service, latest_group, std::cout, std::cerr);
  });

  RollbackOptions rollback;
  std::vector<std::string> rollback_groups;
  CLI::App* rollback_cmd =
      app.add_subcommand("rollback", "Deploy an earlier commit to deploy groups (mark-for-deployment for each)");
  rollback_cmd->add_option("-s,--service", rollback.service, "The service")->required();
  rollback_cmd->add_option("-k,-c,--commit", rollback.commit, "The commit to go back to")->required();
  rollback_cmd->add_option("-l,--deploy-groups", rollback_groups,
                           "Deploy groups, comma-separated (default: every group the service has deployed)");
  rollback_cmd->footer("Example: paasta rollback -s example_service -k 3f596a5 -l local.everything");
  rollback_cmd->callback([&] {
    if (!finish_endpoints()) return;
    rollback.deploy_groups = SplitCommas(rollback_groups);
    exit_code = Rollback(endpoints, rollback, std::cout, std::cerr);
  });

  // list-clusters: no daemon needed.
  std::string clusters_soa_dir;
  CLI::App* clusters_cmd =
      app.add_subcommand("list-clusters", "List the clusters the services of a soa-configs folder run in");
  clusters_cmd->add_option("-y,--soa-dir", clusters_soa_dir,
                           "The soa-configs folder (default: $PAASTA_SOA_DIR or /nail/etc/services)");
  clusters_cmd->footer("Example: paasta list-clusters -y examples/soa-configs");
  clusters_cmd->callback([&] {
    exit_code =
        ListClusters(clusters_soa_dir.empty() ? config::DefaultSoaDir() : clusters_soa_dir, std::cout, std::cerr);
  });

  // local-run: no daemon needed.
  LocalRunOptions local_run;
  CLI::App* local_run_cmd =
      app.add_subcommand("local-run", "Run an instance on this machine as the platform would, with its health check");
  local_run_cmd->add_option("-s,--service", local_run.service, "The service")->required();
  local_run_cmd->add_option("-c,--cluster", local_run.cluster,
                            "The cluster whose config is used (default: the system config's "
                            "local_run_config.default_cluster or cluster, or the service's only one)");
  local_run_cmd->add_option("-i,--instance", local_run.instance,
                            "The marathon, adhoc or chronos instance (default: the only one)");
  local_run_cmd->add_option("-y,--soa-dir", local_run.soa_dir,
                            "The soa-configs folder (default: $PAASTA_SOA_DIR or /nail/etc/services)");
  local_run_cmd->add_flag("--dry-run", local_run.dry_run, "Print the docker run command as JSON; run nothing");
  local_run_cmd->add_option("-C,--cmd", local_run.command, "Run this command (with /bin/sh -c) instead");
  local_run_cmd->add_flag("-I,--interactive", local_run.interactive,
                          "Run attached to this terminal (a bash shell unless -C is given), no health check");
  local_run_cmd->add_flag("--healthcheck-only", local_run.healthcheck_only,
                          "Stop after the health check: exit 0 when it passed, 1 when it failed");
  local_run_cmd->add_flag("--no-healthcheck", local_run.no_healthcheck, "Skip the health check");
  local_run_cmd->add_flag("-b,--build", local_run.build,
                          "Run the code in the current folder (with Docker: docker build it first) instead of "
                          "the deployed commit");
  local_run_cmd->add_option("--image", local_run.image, "Run this Docker image instead of the deployed one");
  local_run_cmd->add_option("--git-cache-dir", local_run.git_cache_dir,
                            "Where checkouts of deployed commits are kept (default: ~/.cache/paasta)");
  local_run_cmd->footer(
      "Without a Docker engine the command runs as a local process, in a checkout of the deployed commit\n"
      "(or the current folder with --build), with the instance's env and PORT set to a free port.\n"
      "Exits with the task's exit code.\n"
      "Example: paasta local-run -s example_service -i main -y examples/soa-configs --build");
  local_run_cmd->callback([&] {
    if (local_run.soa_dir.empty()) local_run.soa_dir = config::DefaultSoaDir();
    local_run.system_config_dir = system_config_dir;
    local_run.system_config_dir_explicit =
        system_config_option->count() > 0 || std::getenv("PAASTA_SYSTEM_CONFIG_DIR") != nullptr;
    local_run.terminal = ::isatty(1) != 0;
    if (local_run.healthcheck_only && local_run.no_healthcheck) {
      std::cerr << "paasta local-run: --healthcheck-only and --no-healthcheck contradict each other\n";
      exit_code = kExitUsage;
      return;
    }
    exit_code = LocalRun(local_run, std::cout, std::cerr);
  });

  // logs
  LogsOptions logs;
  std::vector<std::string> logs_instances, logs_clusters;
  CLI::App* logs_cmd = app.add_subcommand("logs", "Show a service's task output and deploy/job events, merged by time");
  logs_cmd->add_option("-s,--service", logs.service, "The service")->required();
  logs_cmd->add_option("-i,--instances", logs_instances, "Instances or jobs, comma-separated (default: all)");
  logs_cmd->add_option("-c,--clusters", logs_clusters, "Clusters, comma-separated (default: the daemons')");
  logs_cmd->add_flag("-f,--follow", logs.follow, "Keep printing new lines until Ctrl-C");
  logs_cmd->add_option("-n,--lines", logs.lines, "Print the newest this many lines first")->capture_default_str();
  logs_cmd->footer(
      "Task output comes from the agent (stdout and stderr of every task and run whose sandbox is kept, 24 h\n"
      "after it ended), events from the deployer and the scheduler bridge (since they started).\n"
      "Example: paasta logs -s example_service -i main -f");
  logs_cmd->callback([&] {
    if (!finish_endpoints()) return;
    if (logs.lines < 0) {
      std::cerr << "paasta logs: -n/--lines: must be 0 or more\n";
      exit_code = kExitUsage;
      return;
    }
    logs.instances = SplitCommas(logs_instances);
    logs.clusters = SplitCommas(logs_clusters);
    exit_code = Logs(endpoints, logs, std::cout, std::cerr);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the error and a usage hint
    return kExitUsage;
  }
  return exit_code;
}

}  // namespace paasta::cli
