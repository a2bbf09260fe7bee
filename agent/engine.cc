#include "agent/engine.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <tuple>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/docker_args.h"
#include "common/file_util.h"
#include "common/git/git_repository.h"
#include "common/net_util.h"
#include "google/protobuf/util/time_util.h"
#include "spdlog/spdlog.h"

namespace paasta::agent {
namespace {

// State writes the engine cannot undo (a task ended, a failure counted) are
// logged when they fail (disk full, read-only state folder): memory stays
// right, and the next write of the same record catches up.
void LogIfNotStored(const absl::Status& status) {
  if (!status.ok()) spdlog::error("cannot write the agent state: {}", status.ToString());
}

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToProto(absl::Time time) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
}

absl::Time FromProto(const google::protobuf::Timestamp& time) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(time));
}

absl::Duration FromProto(const google::protobuf::Duration& duration) {
  return absl::Nanoseconds(TimeUtil::DurationToNanoseconds(duration));
}

std::string NewId() {
  static absl::BitGen* bits = new absl::BitGen;
  static absl::Mutex* mu = new absl::Mutex;
  absl::MutexLock lock(mu);
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", absl::Uniform<uint32_t>(*bits), absl::Uniform<uint16_t>(*bits),
                         absl::Uniform<uint16_t>(*bits), absl::Uniform<uint16_t>(*bits),
                         absl::Uniform<uint64_t>(*bits) & 0xffffffffffffULL);
}

// A free TCP port on loopback (bound, then released for the task to take).
int FreePort(const std::set<int>& used) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    const int port = FreeLoopbackPort();
    if (port != 0 && used.count(port) == 0) return port;
  }
  return 0;
}

// The last `bytes` of a file ("" if it cannot be read).
std::string Tail(const std::string& path, size_t bytes) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return "";
  return text->size() > bytes ? text->substr(text->size() - bytes) : *text;
}

absl::Status ValidateApp(const v1::AppDefinition& app) {
  if (app.id().empty()) return absl::InvalidArgumentError("app.id is required");
  for (char c : app.id()) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '.' || c == '-')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "app.id \"", app.id(), "\": use lowercase letters, digits, \".\" and \"-\" (\"_\" is written \"--\")"));
    }
  }
  if (app.instances() < 0) return absl::InvalidArgumentError("app.instances must be at least 0");
  if (!app.cmd().empty() && app.args_size() > 0) {
    return absl::InvalidArgumentError("app.cmd and app.args are exclusive");
  }
  if (app.cmd().empty() && app.args_size() == 0 && app.container().docker().image().empty()) {
    return absl::InvalidArgumentError("app needs cmd or args");
  }
  if (app.cpus() < 0 || app.mem() < 0) return absl::InvalidArgumentError("app.cpus and app.mem must be >= 0");
  for (const v1::HealthCheck& check : app.health_checks()) {
    if (check.protocol() == v1::HEALTH_CHECK_PROTOCOL_UNSPECIFIED) {
      return absl::InvalidArgumentError("app.health_checks[].protocol is required (HTTP, TCP or COMMAND)");
    }
    if (check.protocol() == v1::HEALTH_CHECK_PROTOCOL_COMMAND && check.command().empty()) {
      return absl::InvalidArgumentError("a COMMAND health check needs app.health_checks[].command");
    }
  }
  return absl::OkStatus();
}

// Runs a command without waiting for it (double fork: no zombie is left).
void RunDetached(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t child = ::fork();
  if (child == 0) {
    if (::fork() == 0) {
      ::execvp(argv[0], argv.data());
      _exit(127);
    }
    _exit(0);
  }
  if (child > 0) ::waitpid(child, nullptr, 0);
}

}  // namespace

absl::Duration LaunchDelay(const v1::AppDefinition& app, int failures) {
  if (failures <= 0) return absl::ZeroDuration();
  const absl::Duration backoff = app.has_backoff() ? FromProto(app.backoff()) : absl::Seconds(1);
  const double factor = app.backoff_factor() >= 1 ? app.backoff_factor() : 1.15;
  const absl::Duration cap = app.has_max_launch_delay() ? FromProto(app.max_launch_delay()) : absl::Seconds(3600);
  const double seconds = absl::ToDoubleSeconds(backoff) * std::pow(factor, failures - 1);
  return std::min(cap, absl::Seconds(std::min(seconds, 1e9)));
}

Engine::Engine(EngineOptions options, ProcessRuntime* runtime, Store* store, Clock* clock)
    : options_(std::move(options)), runtime_(runtime), store_(store), clock_(clock) {}

Engine::~Engine() { Stop(); }

absl::Status Engine::Start() {
  ::mkdir(options_.state_dir.c_str(), 0755);
  ::mkdir(absl::StrCat(options_.state_dir, "/sandboxes").c_str(), 0755);
  {
    absl::MutexLock lock(&mu_);
    if (absl::Status loaded = Load(); !loaded.ok()) return loaded;
    std::set<std::string> live;
    for (const auto& [id, task] : tasks_) live.insert(id);
    if (const int stale = RemoveStaleTaskCgroups(runtime_->cgroups(), live); stale > 0) {
      spdlog::info("removed {} empty cgroups of tasks that ended while the agent was down", stale);
    }
  }
  supervisor_ = std::thread([this] {
    do {
      Tick();
    } while (!stop_.WaitForNotificationWithTimeout(options_.tick));
  });
  for (int i = 0; i < options_.health_workers; ++i) health_threads_.emplace_back([this] { HealthWorker(); });
  return absl::OkStatus();
}

void Engine::StopAllTasks(absl::Duration timeout) {
  std::vector<v1::TaskEvent> events;
  {
    absl::MutexLock lock(&mu_);
    stopping_tasks_ = true;
    for (auto& [id, task] : tasks_) RequestKill(task, /*scale_down=*/false, &events);
  }
  Publish(events);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    {
      absl::MutexLock lock(&mu_);
      if (tasks_.empty()) return;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

void Engine::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_.Notify();
  if (supervisor_.joinable()) supervisor_.join();
  for (std::thread& thread : health_threads_) thread.join();
  health_threads_.clear();
}

absl::Status Engine::Load() {
  absl::StatusOr<Store::Contents> contents = store_->Load();
  if (!contents.ok()) return contents.status();
  for (AppRecord& app : contents->apps) apps_[app.definition().id()] = std::move(app);
  for (RunRecord& run : contents->runs) runs_[run.run().run_id()] = std::move(run);
  int adopted = 0, dropped = 0;
  for (TaskRecord& record : contents->tasks) {
    const std::string id = record.task().id();
    // A task stored as staging may have been launched just before a crash,
    // and its shim may still be starting: the shim claims the start by
    // writing the pids into the task's own sandbox before the task execs.
    // Claimed: it started (it may even have ended already: the next probe
    // reads its exit status), and runs on or ends as any adopted task. Not
    // claimed: the launch is cancelled here for good, so a shim that gets
    // there later does not run it, and it never started.
    if (record.task_pid() == 0) {
      if (const std::optional<ShimPids> pids = ClaimedOrCancel(record.task().sandbox_dir()); pids.has_value()) {
        record.set_shim_pid(pids->shim_pid);
        record.set_shim_start_ticks(ProcessStartTicks(pids->shim_pid));
        record.set_task_pid(pids->task_pid);
        record.set_task_start_ticks(pids->task_start_ticks);
        record.mutable_task()->set_state(v1::TASK_STATE_RUNNING);
      } else {
        // A run it was launched for gets a new task (the supervisor's next
        // pass launches runs without one): it has not run, so this runs it
        // once, not twice.
        if (auto run = runs_.find(record.run_id());
            run != runs_.end() && !run->second.has_ended_at() && run->second.run().task().id() == id) {
          run->second.mutable_run()->clear_task();
          LogIfNotStored(store_->PutRun(run->second));
        }
        LogIfNotStored(store_->DeleteTask(id));
        ++dropped;
        continue;
      }
    }
    LiveTask& task = tasks_[id];
    task.record = std::move(record);
    const auto& app = apps_.find(task.record.task().app_id());
    if (app != apps_.end()) {
      const absl::Time started =
          task.record.task().has_started_at() ? FromProto(task.record.task().started_at()) : clock_->Now();
      for (const v1::HealthCheck& check : app->second.definition().health_checks()) {
        task.trackers.emplace_back(check, started);
      }
    }
    ++adopted;
  }
  spdlog::info("agent state loaded: {} apps, {} tasks found again, {} never-started dropped, {} runs", apps_.size(),
               adopted, dropped, runs_.size());
  return absl::OkStatus();
}

void Engine::Persist(const LiveTask& task) {
  if (absl::Status status = store_->PutTask(task.record); !status.ok()) {
    spdlog::error("cannot store task {}: {}", task.record.task().id(), status.ToString());
  }
}

v1::Task Engine::TaskView(const LiveTask& task) {
  v1::Task view = task.record.task();
  view.clear_health_check_results();
  bool all_alive = !task.trackers.empty();
  bool any_result = false;
  for (const HealthTracker& tracker : task.trackers) {
    if (tracker.HasResult()) {
      *view.add_health_check_results() = tracker.Result();
      any_result = true;
    }
    all_alive &= tracker.HasResult() && tracker.Alive();
  }
  view.set_health(!any_result ? v1::HEALTH_STATE_UNKNOWN
                  : all_alive ? v1::HEALTH_STATE_HEALTHY
                              : v1::HEALTH_STATE_UNHEALTHY);
  return view;
}

v1::TaskEvent Engine::Event(v1::TaskEventType type, const v1::Task& task) {
  v1::TaskEvent event;
  event.set_type(type);
  *event.mutable_task() = task;
  *event.mutable_time() = ToProto(clock_->Now());
  return event;
}

void Engine::Publish(const std::vector<v1::TaskEvent>& events) {
  if (events.empty()) return;
  absl::MutexLock lock(&listeners_mu_);
  for (const v1::TaskEvent& event : events) {
    for (const auto& [id, listener] : listeners_) listener(event);
  }
}

int Engine::Subscribe(std::function<void(const v1::TaskEvent&)> listener) {
  absl::MutexLock lock(&listeners_mu_);
  listeners_[next_listener_] = std::move(listener);
  return next_listener_++;
}

void Engine::Unsubscribe(int id) {
  absl::MutexLock lock(&listeners_mu_);
  listeners_.erase(id);
}

std::set<int> Engine::UsedPorts() {
  std::set<int> used;
  for (const auto& [id, task] : tasks_) {
    for (uint32_t port : task.record.task().ports()) used.insert(static_cast<int>(port));
  }
  return used;
}

Engine::Launch Engine::StageTask(const std::string& app_id, const std::string& run_id,
                                 std::vector<v1::TaskEvent>* events) {
  const v1::AppDefinition* app = app_id.empty() ? nullptr : &apps_[app_id].definition();
  const RunRecord* run = run_id.empty() ? nullptr : &runs_[run_id];
  const std::string id =
      app != nullptr ? absl::StrCat(app_id, ".", NewId()) : absl::StrCat("run.", run_id, ".", NewId().substr(0, 8));
  LiveTask& task = tasks_[id];
  v1::Task& view = *task.record.mutable_task();
  view.set_id(id);
  view.set_app_id(app_id);
  view.set_host(options_.host);
  view.set_state(v1::TASK_STATE_STAGING);
  *view.mutable_staged_at() = ToProto(clock_->Now());
  view.set_sandbox_dir(absl::StrCat(options_.state_dir, "/sandboxes/", id));
  task.record.set_run_id(run_id);
  const int port_count = app != nullptr ? std::max(1, app->port_count()) : 0;
  std::set<int> used = UsedPorts();
  for (int i = 0; i < port_count; ++i) {
    const int port = FreePort(used);
    used.insert(port);
    view.add_ports(static_cast<uint32_t>(port));
  }

  // The environment a Marathon task got, plus the app's (PAASTA_*) env.
  std::map<std::string, std::string> env;
  if (app != nullptr) {
    env.insert(app->env().begin(), app->env().end());
    env["MARATHON_APP_ID"] = "/" + app_id;
    env["MARATHON_APP_VERSION"] = TimeUtil::ToString(apps_[app_id].version());
    env["MARATHON_HOST"] = options_.host;
    std::vector<std::string> ports;
    for (int i = 0; i < view.ports_size(); ++i) {
      env[absl::StrCat("PORT", i)] = absl::StrCat(view.ports(i));
      ports.push_back(absl::StrCat(view.ports(i)));
    }
    if (view.ports_size() > 0) {
      env["PORT"] = env["PORT0"];
      env["MARATHON_PORT"] = env["PORT0"];
      env["PAASTA_PORT"] = env["PORT0"];
      env["PORTS"] = absl::StrJoin(ports, ",");
      env["MARATHON_PORTS"] = env["PORTS"];
    }
  } else {
    env.insert(run->request().env().begin(), run->request().env().end());
  }
  env["HOST"] = options_.host;
  env["MESOS_TASK_ID"] = id;
  env["MESOS_SANDBOX"] = view.sandbox_dir();
  task.record.mutable_env()->insert(env.begin(), env.end());
  if (app != nullptr) {
    for (const v1::HealthCheck& check : app->health_checks()) task.trackers.emplace_back(check, clock_->Now());
  }
  Persist(task);
  events->push_back(Event(v1::TASK_EVENT_TYPE_STATE_CHANGED, TaskView(task)));

  Launch launch;
  launch.task_id = id;
  launch.spec.task_id = id;
  launch.spec.sandbox_dir = view.sandbox_dir();
  launch.spec.env = env;
  const std::string& cmd = app != nullptr ? app->cmd() : run->request().cmd();
  const auto& args = app != nullptr ? app->args() : run->request().args();
  const v1::Container& container = app != nullptr ? app->container() : run->request().container();
  if (options_.docker_available && !container.docker().image().empty()) {
    // In a container: `docker run` attached, under the shim like any process.
    DockerTask docker;
    docker.task_id = id;
    docker.app_id = app_id;
    docker.cpus = app != nullptr ? app->cpus() : run->request().cpus();
    docker.mem = app != nullptr ? app->mem() : run->request().mem();
    docker.container = container;
    for (uint32_t port : view.ports()) docker.host_ports.push_back(static_cast<int>(port));
    docker.env = env;
    docker.sandbox_dir = view.sandbox_dir();
    docker.cmd = cmd;
    docker.args.assign(args.begin(), args.end());
    launch.spec.argv = DockerRunArgs(docker);
    task.record.set_container_name(ContainerName(id));
    Persist(task);
  } else if (!cmd.empty()) {
    launch.spec.argv = {"/bin/sh", "-c", cmd};
  } else {
    launch.spec.argv.assign(args.begin(), args.end());
  }
  launch.spec.limits.mem_mb = app != nullptr ? app->mem() : run->request().mem();
  launch.spec.limits.cpus = app != nullptr ? app->cpus() : run->request().cpus();
  launch.source = app != nullptr ? app->source() : run->request().source();
  return launch;
}

void Engine::DoLaunch(Launch launch) {
  // The code: a checkout of the deployed commit, or a given folder.
  absl::Status failed;
  if (!launch.source.git_url().empty()) {
    absl::StatusOr<std::string> tree =
        git::Checkout(launch.source.git_url(), launch.source.git_sha(), options_.git_cache_dir);
    if (tree.ok()) {
      launch.spec.work_dir = *tree;
    } else {
      failed = tree.status();
    }
  } else if (!launch.source.work_dir().empty()) {
    launch.spec.work_dir = launch.source.work_dir();
  } else {
    launch.spec.work_dir = launch.spec.sandbox_dir;
    ::mkdir(launch.spec.sandbox_dir.c_str(), 0755);
  }
  absl::StatusOr<ProcessHandle> handle =
      failed.ok() ? runtime_->Launch(launch.spec) : absl::StatusOr<ProcessHandle>(failed);

  std::vector<v1::TaskEvent> events;
  {
    absl::MutexLock lock(&mu_);
    auto it = tasks_.find(launch.task_id);
    if (it == tasks_.end()) {
      // Deleted while launching: do not leave it running.
      if (handle.ok()) runtime_->Kill(*handle);
      return;
    }
    LiveTask& task = it->second;
    if (!handle.ok()) {
      ProcessStatus status;
      status.state = ProcessStatus::State::kGone;
      status.message = absl::StrCat("could not start: ", handle.status().message());
      spdlog::warn("task {} {}", launch.task_id, status.message);
      task.record.mutable_task()->set_message(status.message);
      FinishTask(launch.task_id, status, &events);
    } else {
      task.record.set_shim_pid(handle->shim_pid);
      task.record.set_shim_start_ticks(handle->shim_start_ticks);
      task.record.set_task_pid(handle->task_pid);
      task.record.set_task_start_ticks(handle->task_start_ticks);
      task.record.set_cgroup_mode(static_cast<int>(handle->cgroup.mode));
      for (const std::string& dir : handle->cgroup.dirs) task.record.add_cgroup_dirs(dir);
      for (const std::string& procs : handle->cgroup.procs_files) task.record.add_cgroup_procs(procs);
      task.record.set_work_dir(launch.spec.work_dir);
      v1::Task& view = *task.record.mutable_task();
      view.set_state(v1::TASK_STATE_RUNNING);
      *view.mutable_started_at() = ToProto(clock_->Now());
      view.set_message(handle->limits_note);
      ++stats_.launches;
      // A kill asked for while it was launching applies now.
      if (task.record.kill_requested()) runtime_->Signal(*handle, SIGTERM);
      Persist(task);
      events.push_back(Event(v1::TASK_EVENT_TYPE_STATE_CHANGED, TaskView(task)));
    }
  }
  Publish(events);
}

namespace {

ProcessHandle HandleOf(const TaskRecord& record) {
  ProcessHandle handle;
  handle.task_id = record.task().id();
  handle.sandbox_dir = record.task().sandbox_dir();
  handle.shim_pid = record.shim_pid();
  handle.shim_start_ticks = record.shim_start_ticks();
  handle.task_pid = record.task_pid();
  handle.task_start_ticks = record.task_start_ticks();
  handle.cgroup.mode = static_cast<CgroupSupport::Mode>(record.cgroup_mode());
  handle.cgroup.dirs.assign(record.cgroup_dirs().begin(), record.cgroup_dirs().end());
  handle.cgroup.procs_files.assign(record.cgroup_procs().begin(), record.cgroup_procs().end());
  return handle;
}

}  // namespace

void Engine::FinishTask(const std::string& task_id, const ProcessStatus& status, std::vector<v1::TaskEvent>* events) {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return;
  LiveTask& task = it->second;
  v1::Task& view = *task.record.mutable_task();
  const bool requested = task.record.kill_requested() && !task.unhealthy;
  if (status.state == ProcessStatus::State::kGone && view.state() != v1::TASK_STATE_STAGING) {
    view.set_state(requested ? v1::TASK_STATE_KILLED : v1::TASK_STATE_LOST);
  } else if (requested) {
    view.set_state(v1::TASK_STATE_KILLED);
  } else if (status.state == ProcessStatus::State::kExited && status.exit_code == 0) {
    view.set_state(v1::TASK_STATE_FINISHED);
  } else {
    view.set_state(v1::TASK_STATE_FAILED);
  }
  if (!status.message.empty()) {
    view.set_message(task.unhealthy ? absl::StrCat("killed after failing its health checks; ", status.message)
                                    : status.message);
  }
  if (status.state == ProcessStatus::State::kExited) view.set_exit_code(status.exit_code);
  *view.mutable_ended_at() = ToProto(clock_->Now());
  runtime_->Release(HandleOf(task.record));
  // The last output gets its time now (the index is read up to the pass's time).
  IndexOutput(view.sandbox_dir(), task.indexed_sizes, clock_->Now());

  const std::string app_id = view.app_id();
  auto app = apps_.find(app_id);
  if (app != apps_.end() && !requested) {
    // A failure: the next launch waits out the back-off.
    ++stats_.failures;
    AppRecord& record = app->second;
    record.set_failures(record.failures() + 1);
    *record.mutable_launch_not_before() = ToProto(clock_->Now() + LaunchDelay(record.definition(), record.failures()));
    LogIfNotStored(store_->PutApp(record));
    spdlog::info("task {} of {} ended ({}); next launch in {}", task_id, app_id, view.message(),
                 absl::FormatDuration(LaunchDelay(record.definition(), record.failures())));
  }
  if (!task.record.run_id().empty()) {
    auto run = runs_.find(task.record.run_id());
    if (run != runs_.end()) {
      *run->second.mutable_run()->mutable_task() = view;
      run->second.mutable_run()->set_output_tail(Tail(view.sandbox_dir() + "/stdout", options_.output_tail_bytes / 2) +
                                                 Tail(view.sandbox_dir() + "/stderr", options_.output_tail_bytes / 2));
      *run->second.mutable_ended_at() = ToProto(clock_->Now());
      LogIfNotStored(store_->PutRun(run->second));
    }
  }
  events->push_back(Event(v1::TASK_EVENT_TYPE_REMOVED, TaskView(task)));
  LogIfNotStored(store_->DeleteTask(task_id));
  tasks_.erase(it);
}

void Engine::RequestKill(LiveTask& task, bool scale_down, std::vector<v1::TaskEvent>* events) {
  if (task.record.kill_requested()) return;
  task.record.set_kill_requested(true);
  task.record.set_scale_down(scale_down);
  *task.record.mutable_kill_requested_at() = ToProto(clock_->Now());
  if (task.record.task_pid() != 0) runtime_->Signal(HandleOf(task.record), SIGTERM);
  // A container stops through Docker (the docker CLI the shim runs is only a client).
  if (!task.record.container_name().empty()) {
    RunDetached({"docker", "kill", "--signal=SIGTERM", task.record.container_name()});
  }
  task.record.mutable_task()->set_state(v1::TASK_STATE_KILLING);
  Persist(task);
  events->push_back(Event(v1::TASK_EVENT_TYPE_STATE_CHANGED, TaskView(task)));
}

void Engine::RemoveOldSandboxes(absl::Time now) {
  std::set<std::string> in_use;
  for (const auto& [id, task] : tasks_) in_use.insert(task.record.task().sandbox_dir());
  for (const auto& [id, run] : runs_) in_use.insert(run.run().task().sandbox_dir());
  const std::string root = absl::StrCat(options_.state_dir, "/sandboxes");
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(root, error)) {
    const std::string path = entry.path().string();
    if (in_use.count(path) != 0) continue;
    struct stat info;
    // An ended task's sandbox has its exit status; its time is the task's end.
    if (::stat((path + "/exit_status").c_str(), &info) != 0) continue;
    if (now - absl::FromTimeT(info.st_mtime) > options_.run_retention) RemoveTree(path).IgnoreError();
  }
}

std::vector<OutputLine> Engine::ReadOutput(const std::vector<std::string>& app_id_prefixes,
                                           const std::vector<std::string>& job_names, absl::Time since, int tail,
                                           absl::Time* until) {
  std::map<std::string, std::string> sandboxes;  // task id -> sandbox
  auto matches_app = [&](const std::string& id) {
    return std::any_of(app_id_prefixes.begin(), app_id_prefixes.end(),
                       [&](const std::string& prefix) { return absl::StartsWith(id, prefix); });
  };
  {
    absl::MutexLock lock(&mu_);
    *until = output_indexed_at_;
    for (const auto& [id, task] : tasks_) {
      if (!task.record.task().app_id().empty() && matches_app(task.record.task().app_id())) {
        sandboxes[id] = task.record.task().sandbox_dir();
      }
    }
    for (const auto& [id, run] : runs_) {
      if (std::find(job_names.begin(), job_names.end(), run.run().job_name()) != job_names.end() &&
          !run.run().task().id().empty()) {
        sandboxes[run.run().task().id()] = run.run().task().sandbox_dir();
      }
    }
  }
  // Ended tasks of the apps: their sandboxes are named after their ids.
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(absl::StrCat(options_.state_dir, "/sandboxes"), error)) {
    const std::string id = entry.path().filename().string();
    if (!absl::StartsWith(id, "run.") && matches_app(id)) sandboxes.emplace(id, entry.path().string());
  }
  std::vector<OutputLine> lines;
  for (const auto& [id, sandbox] : sandboxes) {
    std::vector<OutputLine> task_lines = ReadTaskOutput(id, sandbox, since, *until);
    lines.insert(lines.end(), std::make_move_iterator(task_lines.begin()), std::make_move_iterator(task_lines.end()));
  }
  std::stable_sort(lines.begin(), lines.end(), [](const OutputLine& a, const OutputLine& b) {
    return std::tie(a.time, a.task_id, a.stream, a.sequence) < std::tie(b.time, b.task_id, b.stream, b.sequence);
  });
  if (tail > 0 && lines.size() > static_cast<size_t>(tail)) lines.erase(lines.begin(), lines.end() - tail);
  return lines;
}

void Engine::Tick() {
  std::vector<v1::TaskEvent> events;
  std::vector<Launch> launches;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    ++ticks_;
    // 1. Ended tasks, kills past their grace, output index and rotation, back-off resets.
    std::vector<std::pair<std::string, ProcessStatus>> ended;
    for (auto& [id, task] : tasks_) {
      if (task.record.task().state() == v1::TASK_STATE_STAGING) continue;
      const ProcessHandle handle = HandleOf(task.record);
      const ProcessStatus status = runtime_->Probe(handle);
      if (status.state != ProcessStatus::State::kRunning) {
        ended.emplace_back(id, status);
        continue;
      }
      if (task.record.kill_requested() && now - FromProto(task.record.kill_requested_at()) >= options_.kill_grace) {
        runtime_->Kill(handle);
        if (!task.record.container_name().empty()) {
          RunDetached({"docker", "kill", task.record.container_name()});
        }
      }
      IndexOutput(task.record.task().sandbox_dir(), task.indexed_sizes, now);
      if (ticks_ % 25 == 0)
        RotateOutput(task.record.task().sandbox_dir(), options_.max_output_bytes, task.indexed_sizes);
      auto app = apps_.find(task.record.task().app_id());
      if (app != apps_.end() && app->second.failures() > 0 && task.record.task().has_started_at()) {
        // A task that stayed up (and is healthy if checked) resets the back-off.
        const absl::Duration up = now - FromProto(task.record.task().started_at());
        const bool healthy = std::all_of(task.trackers.begin(), task.trackers.end(),
                                         [](const HealthTracker& t) { return t.HasResult() && t.Alive(); });
        if (healthy &&
            up >= std::max(absl::Seconds(1), LaunchDelay(app->second.definition(), app->second.failures()))) {
          app->second.set_failures(0);
          app->second.clear_launch_not_before();
          LogIfNotStored(store_->PutApp(app->second));
        }
      }
      // Health checks that are due.
      if (!task.check_in_flight && !task.record.kill_requested() && !task.trackers.empty()) {
        const bool due = std::any_of(task.trackers.begin(), task.trackers.end(),
                                     [&](const HealthTracker& t) { return t.NextCheck() <= now; });
        if (due) {
          task.check_in_flight = true;
          health_queue_.push_back(id);
        }
      }
    }
    for (const auto& [id, status] : ended) FinishTask(id, status, &events);
    output_indexed_at_ = now;

    // 2. Apps to their counts: launch what is missing (after the back-off),
    // kill the youngest extras.
    for (auto& [app_id, app] : apps_) {
      if (stopping_tasks_) break;  // StopAllTasks: nothing new starts
      std::vector<LiveTask*> live;
      for (auto& [id, task] : tasks_) {
        if (task.record.task().app_id() == app_id && !task.record.kill_requested()) live.push_back(&task);
      }
      const int want = app.definition().instances();
      if (static_cast<int>(live.size()) > want) {
        std::sort(live.begin(), live.end(), [](const LiveTask* a, const LiveTask* b) {
          return FromProto(a->record.task().staged_at()) > FromProto(b->record.task().staged_at());
        });
        for (size_t i = 0; i < live.size() - want; ++i) RequestKill(*live[i], false, &events);
      } else if (static_cast<int>(live.size()) < want &&
                 (!app.has_launch_not_before() || FromProto(app.launch_not_before()) <= now)) {
        for (int i = static_cast<int>(live.size()); i < want; ++i) {
          launches.push_back(StageTask(app_id, "", &events));
        }
      }
    }

    // 3. Runs waiting for a task; runs past their retention.
    std::vector<std::string> expired;
    for (auto& [run_id, run] : runs_) {
      if (!run.run().has_task() || run.run().task().id().empty()) {
        if (stopping_tasks_) continue;
        launches.push_back(StageTask("", run_id, &events));
        run.mutable_run()->mutable_task()->set_id(launches.back().task_id);
        *run.mutable_run()->mutable_task() = TaskView(tasks_[launches.back().task_id]);
        LogIfNotStored(store_->PutRun(run));
      } else if (run.has_ended_at() && now - FromProto(run.ended_at()) > options_.run_retention) {
        expired.push_back(run_id);
      }
    }
    for (const std::string& run_id : expired) {
      RemoveTree(runs_[run_id].run().task().sandbox_dir()).IgnoreError();
      LogIfNotStored(store_->DeleteRun(run_id));
      runs_.erase(run_id);
    }
    // 4. Sandboxes of ended app tasks (kept for `paasta logs`) past the retention.
    if (now - sandboxes_cleaned_at_ >= absl::Minutes(1)) {
      sandboxes_cleaned_at_ = now;
      RemoveOldSandboxes(now);
    }
  }
  Publish(events);
  for (Launch& launch : launches) DoLaunch(std::move(launch));
}

void Engine::HealthWorker() {
  while (true) {
    std::string id;
    v1::AppDefinition app;
    std::vector<int> ports;
    std::map<std::string, std::string> env;
    std::string work_dir;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(
                               +[](Engine* engine) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                 return engine->stopping_ || !engine->health_queue_.empty();
                               },
                               this),
                           absl::Seconds(1));
      if (stopping_) return;
      if (health_queue_.empty()) continue;
      id = health_queue_.front();
      health_queue_.pop_front();
      auto it = tasks_.find(id);
      if (it == tasks_.end()) continue;
      app = apps_[it->second.record.task().app_id()].definition();
      for (uint32_t port : it->second.record.task().ports()) ports.push_back(static_cast<int>(port));
      env.insert(it->second.record.env().begin(), it->second.record.env().end());
      work_dir = it->second.record.work_dir();
    }
    std::vector<CheckResult> results;
    for (const v1::HealthCheck& check : app.health_checks()) {
      results.push_back(RunHealthCheck(check, options_.host, ports, env, work_dir));
    }
    std::vector<v1::TaskEvent> events;
    {
      absl::MutexLock lock(&mu_);
      auto it = tasks_.find(id);
      if (it == tasks_.end()) continue;
      LiveTask& task = it->second;
      task.check_in_flight = false;
      const v1::HealthState before = TaskView(task).health();
      const absl::Time now = clock_->Now();
      bool kill = false;
      std::string cause;
      for (size_t i = 0; i < results.size() && i < task.trackers.size(); ++i) {
        task.trackers[i].Record(results[i], now);
        (results[i].passed ? stats_.health_checks_passed : stats_.health_checks_failed)++;
        if (task.trackers[i].ShouldKill()) {
          kill = true;
          cause = results[i].cause;
        }
      }
      const v1::Task view = TaskView(task);
      if (view.health() != before) events.push_back(Event(v1::TASK_EVENT_TYPE_HEALTH_CHANGED, view));
      if (kill && !task.record.kill_requested()) {
        spdlog::info("task {} failed its health check too often ({}): killing it", id, cause);
        task.unhealthy = true;
        RequestKill(task, false, &events);
      }
    }
    Publish(events);
  }
}

absl::StatusOr<bool> Engine::PutApp(const v1::AppDefinition& definition) {
  if (absl::Status valid = ValidateApp(definition); !valid.ok()) return valid;
  absl::MutexLock lock(&mu_);
  // The new record is stored first and installed only then: when the state
  // cannot be written (disk full, read-only), nothing changes.
  auto existing = apps_.find(definition.id());
  const bool created = existing == apps_.end();
  AppRecord record = created ? AppRecord() : existing->second;
  const bool only_scaled = !created && [&] {
    v1::AppDefinition a = record.definition(), b = definition;
    a.set_instances(0);
    b.set_instances(0);
    return a.SerializeAsString() == b.SerializeAsString();
  }();
  *record.mutable_definition() = definition;
  if (!only_scaled) {
    *record.mutable_version() = ToProto(clock_->Now());
    record.set_failures(0);
    record.clear_launch_not_before();
  }
  if (absl::Status stored = store_->PutApp(record); !stored.ok()) return stored;
  apps_[definition.id()] = std::move(record);
  return created;
}

absl::StatusOr<int> Engine::DeleteApp(const std::string& app_id) {
  std::vector<v1::TaskEvent> events;
  int killed = 0;
  {
    absl::MutexLock lock(&mu_);
    if (apps_.count(app_id) == 0) return absl::NotFoundError(absl::StrCat("App '/", app_id, "' does not exist"));
    if (absl::Status deleted = store_->DeleteApp(app_id); !deleted.ok()) return deleted;
    apps_.erase(app_id);
    for (auto& [id, task] : tasks_) {
      if (task.record.task().app_id() == app_id) {
        RequestKill(task, false, &events);
        ++killed;
      }
    }
  }
  Publish(events);
  return killed;
}

v1::App Engine::AppView(const AppRecord& record, bool embed_tasks) {
  v1::App app;
  *app.mutable_definition() = record.definition();
  *app.mutable_version() = record.version();
  const absl::Time now = clock_->Now();
  if (record.has_launch_not_before() && FromProto(record.launch_not_before()) > now) {
    *app.mutable_launch_delay() =
        TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(FromProto(record.launch_not_before()) - now));
  }
  for (const auto& [id, task] : tasks_) {
    if (task.record.task().app_id() != record.definition().id()) continue;
    const v1::Task view = TaskView(task);
    if (view.state() == v1::TASK_STATE_STAGING || view.state() == v1::TASK_STATE_STARTING) {
      app.set_tasks_staged(app.tasks_staged() + 1);
    } else if (view.state() == v1::TASK_STATE_RUNNING || view.state() == v1::TASK_STATE_KILLING) {
      app.set_tasks_running(app.tasks_running() + 1);
      if (view.health() == v1::HEALTH_STATE_HEALTHY) app.set_tasks_healthy(app.tasks_healthy() + 1);
      if (view.health() == v1::HEALTH_STATE_UNHEALTHY) app.set_tasks_unhealthy(app.tasks_unhealthy() + 1);
    }
    if (embed_tasks) *app.add_tasks() = view;
  }
  return app;
}

std::vector<v1::App> Engine::ListApps(const std::string& prefix, bool embed_tasks) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::App> apps;
  for (const auto& [id, record] : apps_) {
    if (absl::StartsWith(id, prefix)) apps.push_back(AppView(record, embed_tasks));
  }
  return apps;
}

absl::StatusOr<std::vector<v1::Task>> Engine::ListTasks(const std::string& app_id) {
  absl::MutexLock lock(&mu_);
  if (!app_id.empty() && apps_.count(app_id) == 0) {
    return absl::NotFoundError(absl::StrCat("App '/", app_id, "' does not exist"));
  }
  std::vector<v1::Task> tasks;
  for (const auto& [id, task] : tasks_) {
    if (app_id.empty() || task.record.task().app_id() == app_id) tasks.push_back(TaskView(task));
  }
  return tasks;
}

v1::KillTasksResponse Engine::KillTasks(const std::vector<std::string>& task_ids, bool scale) {
  v1::KillTasksResponse response;
  std::vector<v1::TaskEvent> events;
  {
    absl::MutexLock lock(&mu_);
    for (const std::string& id : task_ids) {
      auto it = tasks_.find(id);
      if (it == tasks_.end()) {
        response.add_unknown_task_ids(id);
        continue;
      }
      const bool already = it->second.record.kill_requested();
      RequestKill(it->second, scale, &events);
      response.add_killed_task_ids(id);
      auto app = apps_.find(it->second.record.task().app_id());
      if (scale && !already && app != apps_.end() && app->second.definition().instances() > 0) {
        // Kill-and-scale: the app wants one task fewer, so none replaces it.
        app->second.mutable_definition()->set_instances(app->second.definition().instances() - 1);
        LogIfNotStored(store_->PutApp(app->second));
      }
    }
  }
  Publish(events);
  return response;
}

absl::StatusOr<v1::Run> Engine::RunTask(const v1::RunTaskRequest& request) {
  if (request.run_id().empty()) return absl::InvalidArgumentError("run_id is required");
  // It names the run's sandbox folder: nothing that could leave it.
  for (char c : request.run_id()) {
    if (!(absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.') || request.run_id().size() > 128 ||
        absl::StrContains(request.run_id(), "..")) {
      return absl::InvalidArgumentError(absl::StrCat("run_id \"", request.run_id(),
                                                     "\": use letters, digits, \"-\", \"_\" and single \".\" "
                                                     "(at most 128)"));
    }
  }
  if (request.task().cmd().empty() && request.task().args_size() == 0) {
    return absl::InvalidArgumentError("task.cmd or task.args is required");
  }
  absl::MutexLock lock(&mu_);
  if (auto existing = runs_.find(request.run_id()); existing != runs_.end()) {
    return existing->second.run();  // idempotent
  }
  if (request.exclusive()) {
    for (const auto& [id, run] : runs_) {
      if (run.run().job_name() == request.job_name() && !run.has_ended_at()) {
        return absl::FailedPreconditionError(
            absl::StrCat("a run of ", request.job_name(), " is still going (", run.run().run_id(), ")"));
      }
    }
  }
  RunRecord& run = runs_[request.run_id()];
  run.mutable_run()->set_run_id(request.run_id());
  run.mutable_run()->set_job_name(request.job_name());
  *run.mutable_request() = request.task();
  run.set_exclusive(request.exclusive());
  if (absl::Status stored = store_->PutRun(run); !stored.ok()) {
    runs_.erase(request.run_id());
    return stored;
  }
  return run.run();
}

absl::StatusOr<v1::Run> Engine::GetRun(const std::string& run_id) {
  absl::MutexLock lock(&mu_);
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return absl::NotFoundError(absl::StrCat("no run ", run_id));
  v1::Run run = it->second.run();
  if (auto task = tasks_.find(run.task().id()); task != tasks_.end()) {
    *run.mutable_task() = TaskView(task->second);
    run.set_output_tail(Tail(task->second.record.task().sandbox_dir() + "/stdout", options_.output_tail_bytes));
  }
  return run;
}

std::vector<v1::TaskEvent> Engine::Snapshot(const std::string& app_id_prefix) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::TaskEvent> events;
  for (const auto& [id, task] : tasks_) {
    if (absl::StartsWith(task.record.task().app_id(), app_id_prefix)) {
      events.push_back(Event(v1::TASK_EVENT_TYPE_SNAPSHOT, TaskView(task)));
    }
  }
  return events;
}

Engine::Stats Engine::stats() {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace paasta::agent
