#include "cli/local_run.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "agent/docker_args.h"
#include "agent/health_check.h"
#include "common/config/deployments.h"
#include "common/config/soa_loader.h"
#include "common/config/system_config.h"
#include "common/git/git_repository.h"
#include "common/net_util.h"
#include "common/status_map.h"
#include "deployer/app_composer.h"
#include "nlohmann/json.hpp"
#include "scheduler-bridge/time_variables.h"

extern char** environ;

namespace paasta::cli {
namespace {

constexpr int kExitConfig = 1;
// How long a task gets between SIGTERM and SIGKILL when local-run stops it.
constexpr absl::Duration kStopGrace = absl::Seconds(10);

// Set by SIGINT/SIGTERM while a task runs: local-run then stops the task.
volatile std::sig_atomic_t g_stop_signal = 0;
void OnStopSignal(int signal) { g_stop_signal = signal; }

std::string UserName() {
  if (const struct passwd* entry = ::getpwuid(::getuid()); entry != nullptr) return entry->pw_name;
  const char* user = std::getenv("USER");
  return user != nullptr ? user : "unknown";
}

std::string Fqdn() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) return "localhost";
  struct addrinfo hints = {};
  hints.ai_flags = AI_CANONNAME;
  struct addrinfo* found = nullptr;
  std::string name = host;
  if (::getaddrinfo(host, nullptr, &hints, &found) == 0) {
    if (found != nullptr && found->ai_canonname != nullptr) name = found->ai_canonname;
    ::freeaddrinfo(found);
  }
  return name;
}

std::string DefaultCacheDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return absl::StrCat(xdg, "/paasta");
  }
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : "/tmp", "/.cache/paasta");
}

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 1;
}

// Starts argv. `env` null keeps ours; `work_dir` empty keeps ours; a task in
// its own process group can be stopped as a whole (and the terminal's Ctrl-C
// reaches local-run only, which then stops it).
pid_t Spawn(const std::vector<std::string>& argv, const std::vector<std::string>* env, const std::string& work_dir,
            bool own_group, int stdout_fd = -1) {
  std::cout.flush();
  std::cerr.flush();
  const pid_t child = ::fork();
  if (child != 0) return child;
  if (own_group) ::setpgid(0, 0);
  if (stdout_fd >= 0) ::dup2(stdout_fd, STDOUT_FILENO);
  if (!work_dir.empty() && ::chdir(work_dir.c_str()) != 0) {
    std::fprintf(stderr, "paasta local-run: cannot enter %s\n", work_dir.c_str());
    _exit(127);
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  if (env != nullptr) {
    std::vector<char*> envp;
    for (const std::string& entry : *env) envp.push_back(const_cast<char*>(entry.c_str()));
    envp.push_back(nullptr);
    ::execvpe(args[0], args.data(), envp.data());
  } else {
    ::execvp(args[0], args.data());
  }
  std::fprintf(stderr, "paasta local-run: cannot run %s: %s\n", args[0], std::strerror(errno));
  _exit(127);
}

// Runs argv to its end; returns its exit code and what it printed.
int RunCapture(const std::vector<std::string>& argv, std::string* output) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return 127;  // no child but the one run keeps it open
  const pid_t child = Spawn(argv, nullptr, "", false, pipe_fds[1]);
  ::close(pipe_fds[1]);
  char buffer[4096];
  ssize_t count;
  while ((count = ::read(pipe_fds[0], buffer, sizeof(buffer))) > 0) output->append(buffer, count);
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  return ExitCodeOf(status);
}

// A running task: a local process, or a Docker container.
class Task {
 public:
  virtual ~Task() = default;
  // The exit code once the task has ended.
  virtual std::optional<int> Exited() = 0;
  // Stops the task (SIGTERM, then SIGKILL after the grace) and cleans up.
  virtual void Stop() = 0;
  // Waits for the end (following the output), stopping the task on Ctrl-C.
  virtual int Wait() = 0;
};

class ProcessTask : public Task {
 public:
  explicit ProcessTask(pid_t pid) : pid_(pid) {}

  std::optional<int> Exited() override {
    if (exit_code_.has_value()) return exit_code_;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = ExitCodeOf(status);
      ::kill(-pid_, SIGKILL);  // anything the task left behind in its group
    }
    return exit_code_;
  }

  void Stop() override {
    if (Exited().has_value()) return;
    ::kill(-pid_, SIGTERM);
    const absl::Time deadline = absl::Now() + kStopGrace;
    while (!Exited().has_value() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
    if (!Exited().has_value()) {
      ::kill(-pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      exit_code_ = ExitCodeOf(status);
    }
  }

  int Wait() override {
    while (!Exited().has_value()) {
      if (g_stop_signal != 0) Stop();
      absl::SleepFor(absl::Milliseconds(20));
    }
    return *exit_code_;
  }

 private:
  const pid_t pid_;
  std::optional<int> exit_code_;
};

class DockerTask : public Task {
 public:
  explicit DockerTask(std::string container) : container_(std::move(container)) {}
  ~DockerTask() override {
    std::string ignored;
    RunCapture({"docker", "rm", "-f", container_}, &ignored);
  }

  std::optional<int> Exited() override {
    if (exit_code_.has_value()) return exit_code_;
    std::string running;
    if (RunCapture({"docker", "inspect", "--format={{.State.Running}}", container_}, &running) != 0 ||
        absl::StripAsciiWhitespace(running) != "true") {
      exit_code_ = DockerWait();
    }
    return exit_code_;
  }

  void Stop() override {
    std::string ignored;
    RunCapture({"docker", "stop", absl::StrCat("--time=", absl::ToInt64Seconds(kStopGrace)), container_}, &ignored);
    exit_code_ = DockerWait();
  }

  int Wait() override {
    const pid_t logs = Spawn({"docker", "logs", "--follow", container_}, nullptr, "", true);
    ProcessTask follower(logs);
    while (!follower.Exited().has_value()) {
      if (g_stop_signal != 0) {
        Stop();
        follower.Stop();
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    if (!exit_code_.has_value()) exit_code_ = DockerWait();
    return *exit_code_;
  }

 private:
  int DockerWait() {
    std::string code;
    if (RunCapture({"docker", "wait", container_}, &code) != 0) return 1;
    int parsed = 1;
    return absl::SimpleAtoi(absl::StripAsciiWhitespace(code), &parsed) ? parsed : 1;
  }

  const std::string container_;
  std::optional<int> exit_code_;
};

// A folder removed with everything in it when this goes out of scope.
struct RemovedAtExit {
  std::filesystem::path path;
  ~RemovedAtExit() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
};

// The instance to run, whichever kind it is.
struct Instance {
  const config::InstanceConfig* config = nullptr;
  // "marathon", "adhoc" or "chronos".
  std::string kind;
  std::optional<v1::HealthCheck> health_check;
};

// Finds the instance (or the only one when none is named). Errors say what there is.
absl::StatusOr<Instance> FindInstance(const config::ServiceConfig& service, const std::string& cluster,
                                      const std::string& wanted) {
  std::vector<Instance> found;
  for (const config::MarathonInstanceConfig& config : service.marathon) {
    if (config.cluster == cluster) found.push_back({&config, "marathon", deployer::HealthCheckProto(config)});
  }
  for (const config::AdhocInstanceConfig& config : service.adhoc) {
    if (config.cluster == cluster) found.push_back({&config, "adhoc", std::nullopt});
  }
  for (const config::ChronosJobConfig& config : service.chronos) {
    if (config.cluster == cluster) found.push_back({&config, "chronos", std::nullopt});
  }
  std::vector<std::string> names;
  for (const Instance& instance : found) {
    if (instance.config->instance == wanted) return instance;
    names.push_back(instance.config->instance);
  }
  if (wanted.empty() && found.size() == 1) return found[0];
  const std::string listed = names.empty() ? "none" : absl::StrJoin(names, ", ");
  if (wanted.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(service.name, " has several instances in cluster ", cluster, " (", listed, "): name one with -i"));
  }
  return absl::NotFoundError(absl::StrCat(service.name, ".", wanted, " is not an instance of cluster ", cluster,
                                          " (instances there: ", listed, ")"));
}

std::string PickCluster(const LocalRunOptions& options, const config::ServiceConfig& service,
                        const config::SystemConfig* system, std::string* error) {
  if (!options.cluster.empty()) return options.cluster;
  for (const std::string* preferred : {system != nullptr ? &system->local_run_default_cluster : nullptr,
                                       system != nullptr ? &system->cluster : nullptr}) {
    if (preferred == nullptr || preferred->empty()) continue;
    for (const std::string& cluster : service.clusters) {
      if (cluster == *preferred) return cluster;
    }
  }
  if (service.clusters.size() == 1) return service.clusters[0];
  *error = service.clusters.empty()
               ? absl::StrCat(service.name, " has no instances in any cluster (no marathon-, adhoc- or chronos-",
                              "<cluster>.yaml in ", service.dir, ")")
               : absl::StrCat(service.name, " runs in several clusters (", absl::StrJoin(service.clusters, ", "),
                              "): name one with -c");
  return "";
}

// The health check's address, as the original printed it.
std::string CheckLink(const v1::HealthCheck& check, int port) {
  switch (check.protocol()) {
    case v1::HEALTH_CHECK_PROTOCOL_HTTP:
      return absl::StrCat("http://127.0.0.1:", port, check.path());
    case v1::HEALTH_CHECK_PROTOCOL_TCP:
      return absl::StrCat("tcp://127.0.0.1:", port);
    default:
      return check.command();
  }
}

struct Colors {
  bool on = false;
  std::string Paint(const char* code, const std::string& text) const {
    return on ? absl::StrCat("\033[", code, "m", text, "\033[0m") : text;
  }
};

// The original's health-check simulation: failures within the grace period are
// shown and disregarded; after it, `max_consecutive_failures` attempts (0: no
// limit), `interval` apart. Gives up when the task exits.
bool SimulateHealthCheck(const v1::HealthCheck& check, int port, const std::map<std::string, std::string>& env,
                         const std::string& work_dir, Task& task, const Colors& colors, std::ostream& out) {
  const std::string link = CheckLink(check, port);
  out << "Running health check (" << link << ")..." << std::endl;
  const absl::Time grace_end = absl::Now() + agent::GracePeriod(check);
  const int max_failures = check.max_consecutive_failures();
  int attempts = 0;
  while (g_stop_signal == 0) {
    if (std::optional<int> code = task.Exited()) {
      out << colors.Paint("31", absl::StrCat("The task exited with code ", *code, " during the health check"))
          << std::endl;
      return false;
    }
    const agent::CheckResult result = agent::RunHealthCheck(check, "127.0.0.1", {port}, env, work_dir);
    if (result.passed) {
      out << colors.Paint("32", "Healthcheck succeeded!") << " (via: " << link << ")" << std::endl;
      return true;
    }
    const std::string extra = absl::StrCat(" (via: ", link, ". Output: ", result.cause, ")");
    if (absl::Now() < grace_end) {
      out << colors.Paint("90", "Healthcheck failed! (disregarded due to grace period)") << extra << std::endl;
    } else {
      ++attempts;
      out << colors.Paint("31", max_failures > 0
                                    ? absl::StrCat("Healthcheck failed! (Attempt ", attempts, " of ", max_failures, ")")
                                    : absl::StrCat("Healthcheck failed! (Attempt ", attempts, ")"))
          << extra << std::endl;
      if (max_failures > 0 && attempts >= max_failures) return false;
    }
    absl::SleepFor(agent::Interval(check));
  }
  return false;
}

}  // namespace

std::string ShellQuote(const std::string& word) {
  if (word.empty()) return "''";
  bool safe = true;
  for (char c : word) {
    if (!(absl::ascii_isalnum(c) || std::string_view("@%_-+=:,./").find(c) != std::string_view::npos)) safe = false;
  }
  if (safe) return word;
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') {
      quoted += "'\"'\"'";
    } else {
      quoted.push_back(c);
    }
  }
  return quoted + "'";
}

absl::StatusOr<std::vector<std::string>> ShellSplit(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else if (c == '\\') {
      if (i + 1 == text.size()) return absl::InvalidArgumentError("No escaped character (a trailing backslash)");
      word.push_back(text[++i]);
      in_word = true;
    } else if (c == '\'' || c == '"') {
      const size_t close = text.find(c, i + 1);
      in_word = true;
      size_t j = i + 1;
      for (; j < text.size() && text[j] != c; ++j) {
        // In double quotes a backslash escapes only " and \ (as shlex does).
        if (c == '"' && text[j] == '\\' && j + 1 < text.size() && (text[j + 1] == '"' || text[j + 1] == '\\')) ++j;
        word.push_back(text[j]);
      }
      if (close == std::string::npos || j == text.size()) {
        return absl::InvalidArgumentError(absl::StrCat("No closing quotation (", std::string(1, c), ") in: ", text));
      }
      i = j;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

std::string ShellCommandFor(const std::string& command_flag, bool interactive, const std::optional<std::string>& cmd,
                            const std::optional<std::vector<std::string>>& args) {
  if (!command_flag.empty()) return command_flag;
  if (interactive) return "bash";
  if (cmd.has_value()) return *cmd;
  if (args.has_value() && !args->empty()) {
    std::vector<std::string> quoted;
    for (const std::string& arg : *args) quoted.push_back(ShellQuote(arg));
    return absl::StrJoin(quoted, " ");
  }
  return "";
}

std::vector<std::string> DockerRunCommand(const DockerRunSpec& spec) {
  std::vector<std::string> command = {"docker", "run"};
  for (const auto& [name, value] : spec.env) command.push_back(absl::StrCat("--env=", name, "=", value));
  command.push_back(absl::StrCat("--env=MARATHON_PORT=", spec.port));
  command.push_back(absl::StrCat("--env=HOST=", spec.hostname));
  command.push_back("--env=MESOS_SANDBOX=/mnt/mesos/sandbox");
  command.push_back(absl::StrCat("--memory=", static_cast<int64_t>(spec.mem), "m"));
  for (const auto& [key, value] : spec.docker_params) command.push_back(absl::StrCat("--", key, "=", value));
  if (spec.net == "bridge") {
    command.push_back(absl::StrCat("--publish=", spec.port, ":", deployer::kContainerPort));
  } else if (spec.net == "host") {
    command.push_back("--net=host");
  }
  command.push_back("--name=" + spec.container_name);
  for (const std::string& volume : spec.volumes) command.push_back("--volume=" + volume);
  if (spec.interactive) {
    command.push_back("--interactive=true");
    command.push_back("--tty=true");
  } else {
    command.push_back("--detach=true");
  }
  command.push_back(spec.image);
  if (!spec.shell_command.empty()) command.insert(command.end(), {"sh", "-c", spec.shell_command});
  return command;
}

int LocalRun(const LocalRunOptions& options, std::ostream& out, std::ostream& err) {
  const std::string name_for_errors = "paasta local-run: ";
  // The system config is optional (volumes, the registry and the default cluster come from it).
  std::optional<config::SystemConfig> system;
  {
    const std::string dir =
        options.system_config_dir.empty() ? config::DefaultSystemConfigDir() : options.system_config_dir;
    absl::StatusOr<config::SystemConfig> loaded = config::LoadSystemConfig(dir);
    if (loaded.ok()) {
      system = *std::move(loaded);
    } else if (options.system_config_dir_explicit || !absl::IsNotFound(loaded.status())) {
      err << name_for_errors << loaded.status().message() << "\n";
      return kExitConfig;
    }
  }

  std::vector<config::Problem> problems;
  absl::StatusOr<config::ServiceConfig> service =
      config::SoaDir(options.soa_dir).LoadService(options.service, &problems);
  if (!service.ok()) {
    err << name_for_errors << service.status().message() << "\n";
    return kExitConfig;
  }
  if (config::HasErrors(problems)) {
    for (const config::Problem& problem : problems) err << problem.ToString() << "\n";
    err << name_for_errors << service->name << "'s soa-configs have errors (above): fix them first (paasta validate)\n";
    return kExitConfig;
  }
  std::string cluster_error;
  const std::string cluster = PickCluster(options, *service, system ? &*system : nullptr, &cluster_error);
  if (cluster.empty()) {
    err << name_for_errors << cluster_error << "\n";
    return kExitUsage;
  }
  absl::StatusOr<Instance> instance = FindInstance(*service, cluster, options.instance);
  if (!instance.ok()) {
    err << name_for_errors << instance.status().message() << "\n";
    return kExitUsage;
  }
  const config::InstanceConfig& config = *instance->config;

  // What was deployed to the instance's deploy group, if anything.
  std::optional<config::GroupDeployment> deployed;
  if (absl::StatusOr<config::Deployments> deployments = config::ReadDeployments(options.soa_dir, service->name);
      deployments.ok()) {
    auto group = deployments->deploy_groups.find(config.deploy_group);
    if (group != deployments->deploy_groups.end()) deployed = group->second;
  } else if (!absl::IsNotFound(deployments.status())) {
    err << name_for_errors << deployments.status().message() << "\n";
    return kExitConfig;
  }

  // The command; a job's time variables are rendered for now, in local time.
  std::optional<std::string> cmd = config.cmd;
  if (instance->kind == "chronos" && cmd.has_value()) {
    absl::StatusOr<std::string> rendered =
        scheduler::RenderTimeVariables(*cmd, absl::Now(), absl::LocalTimeZone(), config.Name());
    if (!rendered.ok()) {
      err << name_for_errors << rendered.status().message() << "\n";
      return kExitConfig;
    }
    cmd = *rendered;
  }

  DockerRunSpec spec;
  spec.env = {{"PAASTA_SERVICE", config.service},
              {"PAASTA_INSTANCE", config.instance},
              {"PAASTA_CLUSTER", config.cluster},
              {"PAASTA_DOCKER_IMAGE", deployed.has_value() ? deployed->docker_image : ""}};
  for (const auto& [key, value] : config.env) spec.env[key] = value;
  spec.port = FreeLoopbackPort();
  spec.hostname = Fqdn();
  spec.mem = config.mem;
  for (const auto& parameter : deployer::DockerParameters(config)) {
    spec.docker_params.emplace_back(parameter["key"].get<std::string>(), parameter["value"].get<std::string>());
  }
  spec.net = config.net;
  spec.container_name =
      absl::StrCat("paasta_local_run_", UserName(), "_", absl::Uniform<int>(absl::BitGen(), 1, 1000000));
  if (system.has_value() && system->volumes.has_value()) {
    for (const auto& volume : deployer::Volumes(*system, config)) {
      std::string mode = volume["mode"].get<std::string>();
      for (char& c : mode) c = static_cast<char>(std::tolower(c));
      spec.volumes.push_back(absl::StrCat(volume["hostPath"].get<std::string>(), ":",
                                          volume["containerPath"].get<std::string>(), ":", mode));
    }
  } else {
    for (const config::VolumeConfig& volume : config.extra_volumes) {
      std::string mode = volume.mode;
      for (char& c : mode) c = static_cast<char>(std::tolower(c));
      spec.volumes.push_back(absl::StrCat(volume.host_path, ":", volume.container_path, ":", mode));
    }
  }
  spec.interactive = options.interactive;
  if (!options.image.empty()) {
    spec.image = options.image;
  } else if (options.build) {
    spec.image = absl::StrCat("paasta-local-run-", service->name, "-", UserName());
  } else if (deployed.has_value() && !deployed->docker_image.empty()) {
    spec.image = system.has_value() && !system->docker_registry.empty()
                     ? absl::StrCat(system->docker_registry, "/", deployed->docker_image)
                     : deployed->docker_image;
  } else {
    err << name_for_errors << config.Name() << " has never been deployed to deploy group " << config.deploy_group
        << " (no entry in " << service->dir << "/deployments.json): use --build to run the code in this "
        << "folder, or --image to run an image\n";
    return kExitConfig;
  }
  spec.shell_command = ShellCommandFor(options.command, options.interactive, cmd, config.args);

  if (options.dry_run) {
    out << nlohmann::json(DockerRunCommand(spec)).dump() << "\n";
    return 0;
  }
  const std::optional<v1::HealthCheck>& check = instance->health_check;
  if (options.healthcheck_only && !check.has_value()) {
    err << name_for_errors << "--healthcheck-only, but no healthcheck is defined for " << config.Name() << "\n";
    return 1;
  }

  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  std::unique_ptr<Task> task;
  RemovedAtExit sandbox_dir;                     // MESOS_SANDBOX of a process run
  std::map<std::string, std::string> check_env;  // COMMAND checks of a process run with the task's env
  std::string work_dir;
  std::optional<v1::HealthCheck> run_check = check;
  const bool docker = agent::DockerEngineAvailable();
  if (!docker && !options.image.empty()) {
    err << name_for_errors << "--image needs a Docker engine, and none answers `docker info`: use --build to run "
        << "the code in this folder as a process\n";
    return kExitUsage;
  }
  if (docker) {
    std::string output;
    if (options.build) {
      out << "Building " << spec.image << " from the current folder (docker build)" << std::endl;
      if (const pid_t build = Spawn({"docker", "build", "--tag", spec.image, "."}, nullptr, "", false);
          ProcessTask(build).Wait() != 0) {
        err << name_for_errors << "docker build failed (above)\n";
        return kExitConfig;
      }
    } else if (options.image.empty()) {
      out << "Pulling " << spec.image << std::endl;
      if (RunCapture({"docker", "pull", spec.image}, &output) != 0) {
        err << name_for_errors << "docker pull " << spec.image << " failed: " << output << "\n";
        return kExitConfig;
      }
    }
    const std::vector<std::string> run = DockerRunCommand(spec);
    out << "Running " << config.Name() << " (cluster " << cluster << ") in Docker: " << absl::StrJoin(run, " ")
        << std::endl;
    if (options.interactive) return ProcessTask(Spawn(run, nullptr, "", false)).Wait();
    output.clear();
    if (RunCapture(run, &output) != 0) {
      err << name_for_errors << "docker run failed: " << output << "\n";
      return kExitConfig;
    }
    task = std::make_unique<DockerTask>(std::string(absl::StripAsciiWhitespace(output)));
    if (run_check.has_value() && run_check->protocol() == v1::HEALTH_CHECK_PROTOCOL_COMMAND) {
      // The original ran command checks inside the container.
      run_check->set_command(
          absl::StrCat("docker exec ", spec.container_name, " sh -c ", ShellQuote(run_check->command())));
    }
  } else {
    if (options.build || !deployed.has_value()) {
      work_dir = std::filesystem::current_path().string();
    } else {
      const std::string cache = options.git_cache_dir.empty() ? DefaultCacheDir() : options.git_cache_dir;
      absl::StatusOr<std::string> checkout = git::Checkout(service->git_url, deployed->git_sha, cache);
      if (!checkout.ok()) {
        err << name_for_errors << "cannot check out " << config.Name() << "'s deployed commit " << deployed->git_sha
            << ": " << checkout.status().message() << "\n";
        return kExitConfig;
      }
      work_dir = *checkout;
    }
    if (spec.shell_command.empty()) {
      err << name_for_errors << config.Name() << " has no cmd or args, and without a Docker engine there is no "
          << "image command to run: give one with -C\n";
      return kExitUsage;
    }
    std::error_code ignored;
    const std::filesystem::path sandbox =
        std::filesystem::temp_directory_path(ignored) / absl::StrCat("paasta-local-run-", ::getpid());
    std::filesystem::create_directories(sandbox, ignored);
    sandbox_dir.path = sandbox;
    std::map<std::string, std::string> env;
    for (char** entry = environ; *entry != nullptr; ++entry) {
      const std::string_view text = *entry;
      const size_t equals = text.find('=');
      if (equals != std::string_view::npos) env[std::string(text.substr(0, equals))] = text.substr(equals + 1);
    }
    for (const auto& [key, value] : spec.env) env[key] = value;
    for (const char* port_name : {"PORT", "PORT0", "MARATHON_PORT", "PAASTA_PORT"}) {
      env[port_name] = absl::StrCat(spec.port);
    }
    env["HOST"] = spec.hostname;
    env["MESOS_SANDBOX"] = sandbox.string();
    std::vector<std::string> env_list;
    for (const auto& [key, value] : env) env_list.push_back(absl::StrCat(key, "=", value));
    out << "Running " << config.Name() << " (cluster " << cluster << ") as a process in " << work_dir
        << " (no Docker engine answers `docker info`), PORT=" << spec.port << ": " << spec.shell_command << std::endl;
    task = std::make_unique<ProcessTask>(
        Spawn({"/bin/sh", "-c", spec.shell_command}, &env_list, work_dir, /*own_group=*/!options.interactive));
    check_env = std::move(env);
  }

  int code = 0;
  if (run_check.has_value() && !options.no_healthcheck && !options.interactive) {
    const bool healthy =
        SimulateHealthCheck(*run_check, spec.port, check_env, work_dir, *task, Colors{options.terminal}, out);
    if (options.healthcheck_only) {
      task->Stop();
      return healthy ? 0 : 1;
    }
    if (std::optional<int> exited = task->Exited()) return *exited;
    if (!healthy && g_stop_signal == 0) {
      out << "The health check failed: on the platform this task would be killed and replaced. It keeps running "
             "here; Ctrl-C stops it."
          << std::endl;
    }
  }
  if (g_stop_signal == 0) out << "Your service is now running! Ctrl-C stops it." << std::endl;
  code = task->Wait();
  out << config.Name() << " exited with code " << code << std::endl;
  return code;
}

}  // namespace paasta::cli
