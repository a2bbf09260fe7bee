#include "scheduler-bridge/embedded_scheduler.h"

#include <algorithm>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "scheduler-bridge/job_composer.h"
#include "scheduler-bridge/time_variables.h"
#include "spdlog/spdlog.h"

namespace paasta::scheduler {
namespace {

using google::protobuf::util::TimeUtil;

constexpr char kJobs[] = "jobs";
constexpr char kRuns[] = "runs";
// At most this many missed times of one job are recorded one by one; beyond
// that the schedule jumps to the first time still within epsilon.
constexpr int kMaxMissedRecorded = 100;

google::protobuf::Timestamp ToProto(absl::Time t) { return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t)); }
absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(t));
}
std::optional<absl::Time> OptionalTime(bool has, const google::protobuf::Timestamp& t) {
  if (!has) return std::nullopt;
  return FromProto(t);
}

absl::Duration Epsilon(const v1::Job& job) { return absl::Seconds(job.epsilon().seconds()); }

bool Ended(v1::TaskState state) {
  return state == v1::TASK_STATE_FINISHED || state == v1::TASK_STATE_FAILED || state == v1::TASK_STATE_KILLED ||
         state == v1::TASK_STATE_LOST;
}

// A run id unique across restarts: a random prefix chosen per process.
std::string RandomPrefix() {
  std::random_device device;
  return absl::StrCat(absl::Hex(device(), absl::kZeroPad8), absl::Hex(device(), absl::kZeroPad8));
}

}  // namespace

absl::StatusOr<std::unique_ptr<EmbeddedScheduler>> EmbeddedScheduler::Open(const std::string& db_path,
                                                                           RunLauncher* launcher, Clock* clock) {
  absl::StatusOr<std::unique_ptr<RecordStore>> store = RecordStore::Open(db_path, {kJobs, kRuns});
  if (!store.ok()) {
    return absl::Status(store.status().code(), absl::StrCat("the scheduler's state: ", store.status().message()));
  }
  std::unique_ptr<EmbeddedScheduler> scheduler(new EmbeddedScheduler(std::move(*store), launcher, clock));
  if (absl::Status loaded = scheduler->Load(); !loaded.ok()) return loaded;
  return scheduler;
}

absl::Status EmbeddedScheduler::Load() {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> jobs = store_->LoadAll(kJobs);
  if (!jobs.ok()) return jobs.status();
  for (const auto& [name, bytes] : *jobs) {
    JobState state;
    if (!state.stored.ParseFromString(bytes)) {
      return absl::DataLossError(absl::StrCat("the stored job \"", name, "\" in ", store_->path(), " is corrupt"));
    }
    const v1::Job& job = state.stored.job();
    if (!job.schedule().empty() && !state.stored.temporary()) {
      absl::StatusOr<Schedule> schedule = Schedule::Parse(job.schedule(), job.schedule_time_zone());
      if (schedule.ok()) {
        state.schedule = *schedule;
      } else {
        spdlog::error("job \"{}\": {}", name, std::string(schedule.status().message()));
      }
    }
    if (state.stored.has_next_due()) due_.emplace(FromProto(state.stored.next_due()), name);
    jobs_.emplace(name, std::move(state));
  }
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> runs = store_->LoadAll(kRuns);
  if (!runs.ok()) return runs.status();
  for (const auto& [id, bytes] : *runs) {
    v1::JobRun run;
    if (!run.ParseFromString(bytes)) {
      return absl::DataLossError(absl::StrCat("the stored run \"", id, "\" in ", store_->path(), " is corrupt"));
    }
    if (run.state() == v1::RUN_STATE_QUEUED || run.state() == v1::RUN_STATE_RUNNING) {
      auto job = jobs_.find(run.job_name());
      if (job != jobs_.end()) job->second.active_run = id;
    }
    runs_.emplace(id, std::move(run));
  }
  RebuildChildren();
  return absl::OkStatus();
}

std::string EmbeddedScheduler::Describe() const {
  return absl::StrCat("the embedded scheduler (", store_->path(), ")");
}

void EmbeddedScheduler::RebuildChildren() {
  children_.clear();
  for (const auto& [name, state] : jobs_) {
    for (const std::string& parent : state.stored.job().parents()) children_[parent].push_back(name);
  }
}

void EmbeddedScheduler::SaveJob(const JobState& job) {
  if (absl::Status saved = store_->Put(kJobs, job.stored.job().name(), job.stored.SerializeAsString()); !saved.ok()) {
    spdlog::error("{}", std::string(saved.message()));
  }
}

void EmbeddedScheduler::SaveRun(const v1::JobRun& run) {
  if (absl::Status saved = store_->Put(kRuns, run.id(), run.SerializeAsString()); !saved.ok()) {
    spdlog::error("{}", std::string(saved.message()));
  }
}

void EmbeddedScheduler::SetNextDue(JobState& job, std::optional<absl::Time> next) {
  const std::string& name = job.stored.job().name();
  if (job.stored.has_next_due()) due_.erase({FromProto(job.stored.next_due()), name});
  if (next.has_value()) {
    *job.stored.mutable_next_due() = ToProto(*next);
    due_.emplace(*next, name);
  } else {
    job.stored.clear_next_due();
  }
}

std::string EmbeddedScheduler::CommandFor(const v1::Job& job, absl::Time scheduled_for) {
  if (job.command_template().empty()) return job.command();
  absl::StatusOr<absl::TimeZone> zone = JobTimeZone(job);
  absl::StatusOr<std::string> rendered =
      zone.ok() ? RenderTimeVariables(job.command_template(), scheduled_for, *zone, job.name())
                : absl::StatusOr<std::string>(zone.status());
  if (!rendered.ok()) {
    // The template rendered when the job was composed; a date it cannot render
    // (say, month+1 on the 31st) runs the command as composed, and says so.
    spdlog::warn("{}; running the command as rendered at the last sync", std::string(rendered.status().message()));
    return job.command();
  }
  return *rendered;
}

v1::JobRun EmbeddedScheduler::StartRun(JobState& job, v1::RunTrigger trigger, absl::Time scheduled_for, absl::Time now,
                                       int attempt, const std::string& command,
                                       std::optional<absl::Time> execution_date) {
  static const std::string* const prefix = new std::string(RandomPrefix());
  v1::JobRun run;
  run.set_id(absl::StrCat(absl::ToUnixMillis(now), "-", *prefix, "-", ++run_counter_));
  run.set_job_name(job.stored.job().name());
  run.set_trigger(trigger);
  run.set_state(v1::RUN_STATE_QUEUED);
  *run.mutable_scheduled_for() = ToProto(scheduled_for);
  run.set_attempt(attempt);
  run.set_command(command);
  if (execution_date.has_value()) *run.mutable_execution_date() = ToProto(*execution_date);
  job.active_run = run.id();
  // Recorded (with the job's advanced schedule) before it is launched: after a
  // crash the next start finds it and never fires the same time again.
  const absl::Status saved = store_->InTransaction([&] {
    if (absl::Status s = store_->Put(kRuns, run.id(), run.SerializeAsString()); !s.ok()) return s;
    return store_->Put(kJobs, run.job_name(), job.stored.SerializeAsString());
  });
  if (!saved.ok()) spdlog::error("{}", std::string(saved.message()));
  v1::JobRun& stored = runs_[run.id()] = run;
  Launch(job, stored, now);
  return stored;
}

void EmbeddedScheduler::RecordSkipped(JobState& job, v1::RunTrigger trigger, absl::Time scheduled_for) {
  v1::JobRun run;
  const absl::Time now = clock_->Now();
  run.set_id(absl::StrCat(absl::ToUnixMillis(now), "-skipped-", ++run_counter_));
  run.set_job_name(job.stored.job().name());
  run.set_trigger(trigger);
  run.set_state(v1::RUN_STATE_SKIPPED);
  *run.mutable_scheduled_for() = ToProto(scheduled_for);
  *run.mutable_finished_at() = ToProto(now);
  run.set_attempt(1);
  if (trigger == v1::RUN_TRIGGER_SCHEDULE) *job.stored.mutable_last_skipped() = ToProto(scheduled_for);
  const absl::Status saved = store_->InTransaction([&] {
    if (absl::Status s = store_->Put(kRuns, run.id(), run.SerializeAsString()); !s.ok()) return s;
    return store_->Put(kJobs, run.job_name(), job.stored.SerializeAsString());
  });
  if (!saved.ok()) spdlog::error("{}", std::string(saved.message()));
  runs_[run.id()] = std::move(run);
}

void EmbeddedScheduler::Launch(JobState& job, v1::JobRun& run, absl::Time now) {
  absl::StatusOr<v1::Run> launched = launcher_->Launch(run.id(), run.job_name(), job.stored.job(), run.command());
  if (!launched.ok()) {
    spdlog::warn("run {} of \"{}\" not launched yet: {}", run.id(), run.job_name(),
                 std::string(launched.status().message()));
    return;
  }
  run.set_state(v1::RUN_STATE_RUNNING);
  run.set_task_id(launched->task().id());
  *run.mutable_started_at() = ToProto(now);
  if (run.trigger() == v1::RUN_TRIGGER_SCHEDULE) {
    *job.stored.mutable_last_lag() = TimeUtil::NanosecondsToDuration(
        absl::ToInt64Nanoseconds(std::max(absl::ZeroDuration(), now - FromProto(run.scheduled_for()))));
    SaveJob(job);
  }
  SaveRun(run);
}

bool EmbeddedScheduler::Follow(JobState& job, absl::Time now) {
  auto it = runs_.find(job.active_run);
  if (it == runs_.end()) {
    job.active_run.clear();
    return false;
  }
  v1::JobRun& run = it->second;
  absl::StatusOr<v1::Run> current = launcher_->Get(run.id());
  if (run.state() == v1::RUN_STATE_QUEUED) {
    if (current.ok()) {  // launched before a crash: adopt it
      run.set_state(v1::RUN_STATE_RUNNING);
      run.set_task_id(current->task().id());
      *run.mutable_started_at() = ToProto(now);
      SaveRun(run);
    } else if (absl::IsNotFound(current.status())) {
      if (now - FromProto(run.scheduled_for()) > Epsilon(job.stored.job())) {
        run.set_state(v1::RUN_STATE_SKIPPED);
        *run.mutable_finished_at() = ToProto(now);
        if (run.trigger() == v1::RUN_TRIGGER_SCHEDULE) *job.stored.mutable_last_skipped() = run.scheduled_for();
        SaveRun(run);
        SaveJob(job);
        job.active_run.clear();
        return false;
      }
      Launch(job, run, now);
      return false;
    } else {
      return false;  // the launcher is unreachable: try again next tick
    }
  }
  if (absl::IsNotFound(current.status())) {
    current = v1::Run();
    current->mutable_task()->set_state(v1::TASK_STATE_LOST);
    current->set_output_tail("the agent no longer knows this run (its state was lost)");
  } else if (!current.ok() || !Ended(current->task().state())) {
    return false;
  }
  const v1::TaskState state = current->task().state();
  run.set_state(state == v1::TASK_STATE_FINISHED ? v1::RUN_STATE_SUCCEEDED
                : state == v1::TASK_STATE_KILLED ? v1::RUN_STATE_KILLED
                                                 : v1::RUN_STATE_FAILED);
  *run.mutable_finished_at() = current->task().has_ended_at() ? current->task().ended_at() : ToProto(now);
  run.set_exit_code(current->task().exit_code());
  run.set_output_tail(current->output_tail());
  job.active_run.clear();
  StoredJob& stored = job.stored;
  stored.set_runs(stored.runs() + 1);
  const bool succeeded = run.state() == v1::RUN_STATE_SUCCEEDED;
  if (succeeded) {
    *stored.mutable_last_success() = ToProto(now);
  } else {
    stored.set_failures(stored.failures() + 1);
    *stored.mutable_last_failure() = ToProto(now);
  }
  const absl::Status saved = store_->InTransaction([&] {
    if (absl::Status s = store_->Put(kRuns, run.id(), run.SerializeAsString()); !s.ok()) return s;
    return store_->Put(kJobs, run.job_name(), stored.SerializeAsString());
  });
  if (!saved.ok()) spdlog::error("{}", std::string(saved.message()));
  if (run.state() == v1::RUN_STATE_FAILED && run.attempt() <= stored.job().retries()) {
    const int attempt = run.attempt() + 1;
    const std::string command = run.command();
    StartRun(job, v1::RUN_TRIGGER_RETRY, now, now, attempt, command);
  }
  return succeeded;
}

void EmbeddedScheduler::FireDue(JobState& job, absl::Time due, absl::Time now) {
  const v1::Job& definition = job.stored.job();
  const absl::Duration epsilon = Epsilon(definition);
  // Advance first: the new cursor is saved with the run (or the skip) below.
  std::optional<absl::Time> next =
      job.schedule.has_value() ? job.schedule->NextRunAtOrAfter(due + absl::Nanoseconds(1)) : std::nullopt;
  int missed = 0;
  if (definition.disabled()) {
    // A disabled job never fires; its schedule moves on without records.
    if (next.has_value() && *next < now && job.schedule.has_value()) next = job.schedule->NextRunAtOrAfter(now);
    SetNextDue(job, next);
    SaveJob(job);
    return;
  }
  SetNextDue(job, next);
  if (now - due > epsilon || !job.active_run.empty()) {
    RecordSkipped(job, v1::RUN_TRIGGER_SCHEDULE, due);
    ++missed;
  } else {
    StartRun(job, v1::RUN_TRIGGER_SCHEDULE, due, now, 1, CommandFor(definition, due));
  }
  // Far behind (the scheduler was down): record a bounded number of misses,
  // then jump to the first time still within epsilon.
  while (job.stored.has_next_due() && now - FromProto(job.stored.next_due()) > epsilon) {
    const absl::Time missed_time = FromProto(job.stored.next_due());
    if (++missed > kMaxMissedRecorded) {
      SetNextDue(job, job.schedule->NextRunAtOrAfter(now - epsilon));
      SaveJob(job);
      break;
    }
    SetNextDue(job, job.schedule->NextRunAtOrAfter(missed_time + absl::Nanoseconds(1)));
    RecordSkipped(job, v1::RUN_TRIGGER_SCHEDULE, missed_time);
  }
}

void EmbeddedScheduler::TriggerChildren(const std::string& parent, absl::Time now) {
  auto children = children_.find(parent);
  if (children == children_.end()) return;
  for (const std::string& name : children->second) {
    auto child = jobs_.find(name);
    if (child == jobs_.end()) continue;
    JobState& job = child->second;
    const absl::Time consumed = FromProto(job.stored.parents_consumed_at());
    bool ready = true;
    for (const std::string& parent_name : job.stored.job().parents()) {
      auto p = jobs_.find(parent_name);
      if (p == jobs_.end() || !p->second.stored.has_last_success() ||
          FromProto(p->second.stored.last_success()) <= consumed) {
        ready = false;
        break;
      }
    }
    if (!ready) continue;
    *job.stored.mutable_parents_consumed_at() = ToProto(now);
    if (job.stored.job().disabled()) {
      SaveJob(job);
    } else if (!job.active_run.empty()) {
      RecordSkipped(job, v1::RUN_TRIGGER_PARENTS, now);
    } else {
      StartRun(job, v1::RUN_TRIGGER_PARENTS, now, now, 1, CommandFor(job.stored.job(), now));
    }
  }
}

void EmbeddedScheduler::Cleanup(absl::Time now) {
  const absl::Time cutoff = now - kRunRetention;
  // Ended runs by job, to keep the newest kMaxRunsKeptPerJob of each.
  std::map<std::string, std::vector<std::pair<absl::Time, std::string>>> ended;
  std::vector<std::string> expired;
  for (const auto& [id, run] : runs_) {
    if (!run.has_finished_at()) continue;
    const absl::Time finished = FromProto(run.finished_at());
    if (finished < cutoff) {
      expired.push_back(id);
    } else {
      ended[run.job_name()].emplace_back(finished, id);
    }
  }
  for (auto& [job, runs] : ended) {
    if (static_cast<int>(runs.size()) <= kMaxRunsKeptPerJob) continue;
    std::sort(runs.begin(), runs.end());
    for (size_t i = 0; i + kMaxRunsKeptPerJob < runs.size(); ++i) expired.push_back(runs[i].second);
  }
  const absl::Status deleted = store_->InTransaction([&] {
    for (const std::string& id : expired) {
      if (absl::Status s = store_->Delete(kRuns, id); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
  if (!deleted.ok()) {
    spdlog::error("{}", std::string(deleted.message()));
  } else {
    for (const std::string& id : expired) runs_.erase(id);
  }
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    const StoredJob& stored = it->second.stored;
    std::optional<absl::Time> last;
    if (stored.has_last_success()) last = FromProto(stored.last_success());
    if (stored.has_last_failure())
      last = std::max(last.value_or(absl::InfinitePast()), FromProto(stored.last_failure()));
    if (stored.temporary() && it->second.active_run.empty() && last.has_value() && *last < cutoff) {
      spdlog::info("removing temporary job \"{}\": its last run ended more than 24 hours ago", it->first);
      if (absl::Status s = store_->Delete(kJobs, it->first); !s.ok()) spdlog::error("{}", std::string(s.message()));
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
}

void EmbeddedScheduler::Tick() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  std::vector<std::string> succeeded;
  for (auto& [name, job] : jobs_) {
    if (!job.active_run.empty() && Follow(job, now) && !job.stored.temporary()) succeeded.push_back(name);
  }
  for (const std::string& parent : succeeded) TriggerChildren(parent, now);
  while (!due_.empty() && due_.begin()->first <= now) {
    const auto [due, name] = *due_.begin();
    due_.erase(due_.begin());
    auto job = jobs_.find(name);
    if (job == jobs_.end()) continue;
    job->second.stored.clear_next_due();
    FireDue(job->second, due, now);
  }
  if (now - last_cleanup_ >= absl::Minutes(1)) {
    Cleanup(now);
    last_cleanup_ = now;
  }
}

EngineJob EmbeddedScheduler::ToEngineJob(const JobState& job) const {
  EngineJob out;
  const StoredJob& stored = job.stored;
  out.job = stored.job();
  out.last_success = OptionalTime(stored.has_last_success(), stored.last_success());
  out.last_failure = OptionalTime(stored.has_last_failure(), stored.last_failure());
  out.last_skipped = OptionalTime(stored.has_last_skipped(), stored.last_skipped());
  if (!stored.job().disabled()) out.next_run = OptionalTime(stored.has_next_due(), stored.next_due());
  auto run = runs_.find(job.active_run);
  out.running_tasks = run != runs_.end() && run->second.state() == v1::RUN_STATE_RUNNING ? 1 : 0;
  out.runs = stored.runs();
  out.failures = stored.failures();
  if (stored.has_last_lag()) out.last_lag = absl::Nanoseconds(TimeUtil::DurationToNanoseconds(stored.last_lag()));
  return out;
}

absl::StatusOr<std::vector<EngineJob>> EmbeddedScheduler::ListJobs() {
  absl::MutexLock lock(&mu_);
  std::vector<EngineJob> out;
  out.reserve(jobs_.size());
  for (const auto& [name, job] : jobs_) out.push_back(ToEngineJob(job));
  return out;
}

absl::Status EmbeddedScheduler::PutJob(const v1::Job& job) {
  std::optional<Schedule> schedule;
  if (!job.schedule().empty()) {
    absl::StatusOr<Schedule> parsed = Schedule::Parse(job.schedule(), job.schedule_time_zone());
    if (!parsed.ok()) return absl::InvalidArgumentError(absl::StrCat(job.name(), ": ", parsed.status().message()));
    schedule = *parsed;
  } else if (job.parents().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(job.name(), ": a job needs a schedule or parents"));
  }
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  auto [it, created] = jobs_.try_emplace(job.name());
  JobState& state = it->second;
  const bool timing_changed = created || state.stored.job().schedule() != job.schedule() ||
                              state.stored.job().schedule_time_zone() != job.schedule_time_zone();
  const bool parents_changed =
      created || !std::equal(job.parents().begin(), job.parents().end(), state.stored.job().parents().begin(),
                             state.stored.job().parents().end());
  if (created) {
    *state.stored.mutable_created_at() = ToProto(now);
    // Parents' successes before the job existed do not run it.
    *state.stored.mutable_parents_consumed_at() = ToProto(now);
  }
  *state.stored.mutable_job() = job;
  state.schedule = schedule;
  if (timing_changed) {
    SetNextDue(state, schedule.has_value() ? schedule->NextRunAtOrAfter(now) : std::nullopt);
  }
  SaveJob(state);
  if (parents_changed) RebuildChildren();
  return absl::OkStatus();
}

absl::Status EmbeddedScheduler::DeleteJob(const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(name);
  if (it == jobs_.end()) return absl::NotFoundError(absl::StrCat("no job named \"", name, "\""));
  auto run = runs_.find(it->second.active_run);
  if (run != runs_.end() && !run->second.task_id().empty()) {
    if (absl::Status killed = launcher_->Kill(run->second.task_id()); !killed.ok()) return killed;
  }
  SetNextDue(it->second, std::nullopt);
  if (absl::Status deleted = store_->Delete(kJobs, name); !deleted.ok()) return deleted;
  jobs_.erase(it);
  RebuildChildren();
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::JobRun>> EmbeddedScheduler::StartNow(const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(name);
  if (it == jobs_.end()) return absl::NotFoundError(absl::StrCat("no job named \"", name, "\""));
  JobState& job = it->second;
  if (job.stored.job().disabled()) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", name,
                     "\" is disabled (disabled: true in its config, `paasta stop` or `paasta emergency-stop`); "
                     "nothing was run"));
  }
  if (!job.active_run.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("a run of \"", name, "\" is going (", job.active_run, "); only one runs at a time"));
  }
  const absl::Time now = clock_->Now();
  return StartRun(job, v1::RUN_TRIGGER_MANUAL, now, now, 1, CommandFor(job.stored.job(), now));
}

absl::StatusOr<std::optional<v1::JobRun>> EmbeddedScheduler::AddRunOnceJob(const v1::Job& job,
                                                                           absl::Time execution_date) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  auto [it, created] = jobs_.try_emplace(job.name());
  if (!created) return absl::AlreadyExistsError(absl::StrCat("a job named \"", job.name(), "\" exists"));
  JobState& state = it->second;
  *state.stored.mutable_job() = job;
  state.stored.mutable_job()->clear_parents();
  state.stored.set_temporary(true);
  *state.stored.mutable_created_at() = ToProto(now);
  return StartRun(state, v1::RUN_TRIGGER_RERUN, now, now, 1, job.command(), execution_date);
}

absl::StatusOr<int> EmbeddedScheduler::KillTasks(const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(name);
  if (it == jobs_.end()) return absl::NotFoundError(absl::StrCat("no job named \"", name, "\""));
  auto run = runs_.find(it->second.active_run);
  if (run == runs_.end()) return 0;
  if (run->second.state() == v1::RUN_STATE_QUEUED) {
    run->second.set_state(v1::RUN_STATE_KILLED);
    *run->second.mutable_finished_at() = ToProto(clock_->Now());
    SaveRun(run->second);
    it->second.active_run.clear();
    return 0;
  }
  if (absl::Status killed = launcher_->Kill(run->second.task_id()); !killed.ok()) return killed;
  return 1;
}

absl::StatusOr<std::vector<v1::JobRun>> EmbeddedScheduler::ListRuns(const std::string& name, int limit,
                                                                    bool include_reruns) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::JobRun> out;
  const std::string rerun_suffix = absl::StrCat(" ", name);
  for (const auto& [id, run] : runs_) {
    if (run.job_name() == name ||
        (include_reruns && absl::StartsWith(run.job_name(), "tmp") && absl::EndsWith(run.job_name(), rerun_suffix))) {
      out.push_back(run);
    }
  }
  std::sort(out.begin(), out.end(), [](const v1::JobRun& a, const v1::JobRun& b) {
    const int64_t ta = TimeUtil::TimestampToNanoseconds(a.scheduled_for());
    const int64_t tb = TimeUtil::TimestampToNanoseconds(b.scheduled_for());
    return ta != tb ? ta > tb : a.id() > b.id();
  });
  if (limit <= 0) limit = 20;
  if (static_cast<int>(out.size()) > limit) out.resize(limit);
  return out;
}

}  // namespace paasta::scheduler
