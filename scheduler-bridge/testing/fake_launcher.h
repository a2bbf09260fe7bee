// A RunLauncher for the scheduler's tests and benchmark: runs are kept in
// memory and end when the test says (or at once, with auto_finish). It can
// refuse launches (an agent that is down) or accept one and lose the answer (a
// crash between launching and recording it).
#ifndef PAASTA_SCHEDULER_BRIDGE_TESTING_FAKE_LAUNCHER_H_
#define PAASTA_SCHEDULER_BRIDGE_TESTING_FAKE_LAUNCHER_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "scheduler-bridge/run_launcher.h"

namespace paasta::scheduler::testing {

class FakeLauncher : public RunLauncher {
 public:
  struct Launched {
    std::string run_id;
    std::string job_name;
    std::string command;
  };

  absl::StatusOr<v1::Run> Launch(const std::string& run_id, const std::string& job_name, const v1::Job& /*job*/,
                                 const std::string& command) override {
    absl::MutexLock lock(&mu_);
    if (down_) return absl::UnavailableError("the agent is down");
    auto existing = runs_.find(run_id);
    if (existing != runs_.end()) return existing->second;
    for (const auto& [id, run] : runs_) {
      if (run.job_name() == job_name && run.task().state() == v1::TASK_STATE_RUNNING) {
        return absl::FailedPreconditionError(absl::StrCat("a run of ", job_name, " is going"));
      }
    }
    v1::Run run;
    run.set_run_id(run_id);
    run.set_job_name(job_name);
    run.mutable_task()->set_id(absl::StrCat("task-", run_id));
    run.mutable_task()->set_state(v1::TASK_STATE_RUNNING);
    if (auto_finish_.has_value()) {
      run.mutable_task()->set_state(*auto_finish_ == 0 ? v1::TASK_STATE_FINISHED : v1::TASK_STATE_FAILED);
      run.mutable_task()->set_exit_code(*auto_finish_);
    }
    runs_[run_id] = run;
    launched_.push_back({run_id, job_name, command});
    if (lose_next_answer_) {
      lose_next_answer_ = false;
      return absl::UnavailableError("the connection dropped after the launch");
    }
    return run;
  }

  absl::StatusOr<v1::Run> Get(const std::string& run_id) override {
    absl::MutexLock lock(&mu_);
    if (down_) return absl::UnavailableError("the agent is down");
    auto it = runs_.find(run_id);
    if (it == runs_.end()) return absl::NotFoundError(absl::StrCat("no run ", run_id));
    return it->second;
  }

  absl::Status Kill(const std::string& task_id) override {
    absl::MutexLock lock(&mu_);
    for (auto& [id, run] : runs_) {
      if (run.task().id() == task_id) {
        run.mutable_task()->set_state(v1::TASK_STATE_KILLED);
        ++kills_;
      }
    }
    return absl::OkStatus();
  }

  // Ends the run of `job_name` that is going with `exit_code`.
  void Finish(const std::string& job_name, int exit_code) {
    absl::MutexLock lock(&mu_);
    for (auto& [id, run] : runs_) {
      if (run.job_name() == job_name && run.task().state() == v1::TASK_STATE_RUNNING) {
        run.mutable_task()->set_state(exit_code == 0 ? v1::TASK_STATE_FINISHED : v1::TASK_STATE_FAILED);
        run.mutable_task()->set_exit_code(exit_code);
        run.set_output_tail(absl::StrCat("exited ", exit_code, "\n"));
      }
    }
  }

  // Every launch, in order.
  std::vector<Launched> launched() {
    absl::MutexLock lock(&mu_);
    return launched_;
  }
  // The names of the jobs launched, in order.
  std::vector<std::string> launched_jobs() {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> names;
    for (const Launched& l : launched_) names.push_back(l.job_name);
    return names;
  }
  int kills() {
    absl::MutexLock lock(&mu_);
    return kills_;
  }
  void set_down(bool down) {
    absl::MutexLock lock(&mu_);
    down_ = down;
  }
  void LoseNextAnswer() {
    absl::MutexLock lock(&mu_);
    lose_next_answer_ = true;
  }
  // Runs end as soon as they start, with this exit code.
  void set_auto_finish(std::optional<int> exit_code) {
    absl::MutexLock lock(&mu_);
    auto_finish_ = exit_code;
  }
  // Forgets ended runs (the benchmark keeps memory flat).
  void ForgetEnded() {
    absl::MutexLock lock(&mu_);
    for (auto it = runs_.begin(); it != runs_.end();) {
      it = it->second.task().state() == v1::TASK_STATE_RUNNING ? std::next(it) : runs_.erase(it);
    }
    launched_.clear();
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, v1::Run> runs_;
  std::vector<Launched> launched_;
  int kills_ = 0;
  bool down_ = false;
  bool lose_next_answer_ = false;
  std::optional<int> auto_finish_;
};

}  // namespace paasta::scheduler::testing

#endif  // PAASTA_SCHEDULER_BRIDGE_TESTING_FAKE_LAUNCHER_H_
