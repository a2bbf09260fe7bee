// The process runtime with real processes through the real paasta-task-shim.
#include "agent/process_runtime.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "gtest/gtest.h"

namespace paasta::agent {
namespace {

std::string ShimPath() {
  char resolved[PATH_MAX];
  return ::realpath("agent/paasta-task-shim", resolved) != nullptr ? resolved : "";
}

class ProcessRuntimeTest : public ::testing::Test {
 protected:
  ProcessSpec Spec(const std::string& task_id, const std::string& command) {
    ProcessSpec spec;
    spec.task_id = task_id;
    spec.sandbox_dir = absl::StrCat(root_, "/", task_id);
    spec.work_dir = root_;
    spec.argv = {"/bin/sh", "-c", command};
    spec.env = {{"PORT", "31000"}, {"PAASTA_SERVICE", "svc"}};
    return spec;
  }

  ProcessStatus WaitUntilEnded(ProcessRuntime& runtime, const ProcessHandle& handle) {
    ProcessStatus status;
    for (int i = 0; i < 500; ++i) {
      status = runtime.Probe(handle);
      if (status.state != ProcessStatus::State::kRunning) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return status;
  }

  void TearDown() override {
    // Every test's task cgroups, then the base folders.
    std::vector<std::string> bases;
    for (const auto& [controller, base] : cgroups_.v1_bases) bases.push_back(base);
    if (!cgroups_.v2_base.empty()) bases.push_back(cgroups_.v2_base);
    for (const std::string& base : bases) {
      for (const char* task : {"t1", "t2", "t3", "t4", "t5", "t6", "t7"}) {
        ::rmdir(absl::StrCat(base, "/", task).c_str());
      }
    }
    RemoveCgroupBases(cgroups_);
  }

  std::string root_ = testing::NewTempDir("runtime");
  // Each test process gets its own cgroup base, so parallel tests do not meet.
  CgroupSupport cgroups_ = DetectCgroups(absl::StrCat("paasta-test-", ::getpid()));
  ProcessRuntime runtime_{ShimPath(), cgroups_};
};

TEST_F(ProcessRuntimeTest, RunsAndRecordsOutputAndExitStatus) {
  ASSERT_FALSE(ShimPath().empty());
  auto handle = runtime_.Launch(Spec("t1", "echo hello $PORT $PAASTA_SERVICE; pwd; echo oops >&2; exit 3"));
  ASSERT_TRUE(handle.ok()) << handle.status();
  EXPECT_GT(handle->task_pid, 0);
  EXPECT_GT(handle->task_start_ticks, 0u);
  const ProcessStatus status = WaitUntilEnded(runtime_, *handle);
  EXPECT_EQ(status.state, ProcessStatus::State::kExited);
  EXPECT_EQ(status.exit_code, 3);
  EXPECT_EQ(status.message, "exited with status 3");
  EXPECT_EQ(*ReadFile(handle->sandbox_dir + "/stdout"), "hello 31000 svc\n" + root_ + "\n");
  EXPECT_EQ(*ReadFile(handle->sandbox_dir + "/stderr"), "oops\n");
  runtime_.Release(*handle);
}

TEST_F(ProcessRuntimeTest, ASignalToTheTaskReachesItsWholeProcessGroup) {
  auto handle = runtime_.Launch(Spec("t2", "sleep 60 & echo $! > child.pid; wait"));
  ASSERT_TRUE(handle.ok()) << handle.status();
  absl::StatusOr<std::string> child_text;
  for (int i = 0; i < 200; ++i) {
    child_text = ReadFile(root_ + "/child.pid");
    if (child_text.ok() && !child_text->empty()) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  int child = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(*child_text), &child));
  EXPECT_GT(ProcessStartTicks(child), 0u);
  EXPECT_EQ(runtime_.Probe(*handle).state, ProcessStatus::State::kRunning);
  runtime_.Signal(*handle, SIGTERM);
  const ProcessStatus status = WaitUntilEnded(runtime_, *handle);
  EXPECT_EQ(status.state, ProcessStatus::State::kExited);
  EXPECT_EQ(status.signal, SIGTERM) << status.message;
  for (int i = 0; i < 100 && ProcessStartTicks(child) != 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(ProcessStartTicks(child), 0u) << "the background sleep died with the group";
  runtime_.Release(*handle);
}

TEST_F(ProcessRuntimeTest, AReusedPidIsNotTheTask) {
  auto handle = runtime_.Launch(Spec("t3", "sleep 60"));
  ASSERT_TRUE(handle.ok());
  ProcessHandle stale = *handle;
  // The same pids, started at other times: another process now has them.
  stale.task_start_ticks += 1;
  stale.shim_start_ticks += 1;
  EXPECT_EQ(runtime_.Probe(stale).state, ProcessStatus::State::kGone);
  runtime_.Signal(stale, SIGKILL);  // must not hit the live process
  EXPECT_EQ(runtime_.Probe(*handle).state, ProcessStatus::State::kRunning);
  runtime_.Kill(*handle);
  EXPECT_EQ(WaitUntilEnded(runtime_, *handle).signal, SIGKILL);
  runtime_.Release(*handle);
}

TEST_F(ProcessRuntimeTest, AProgramThatCannotRunExits127SayingWhy) {
  ProcessSpec spec = Spec("t4", "");
  spec.argv = {"/nonexistent/program"};
  auto handle = runtime_.Launch(spec);
  ASSERT_TRUE(handle.ok());
  const ProcessStatus status = WaitUntilEnded(runtime_, *handle);
  EXPECT_EQ(status.exit_code, 127);
  EXPECT_TRUE(absl::StrContains(*ReadFile(handle->sandbox_dir + "/stderr"), "cannot run /nonexistent/program"));
}

TEST_F(ProcessRuntimeTest, TheMemoryLimitKillsATaskThatExceedsIt) {
  if (cgroups_.mode == CgroupSupport::Mode::kNone) {
    GTEST_SKIP() << "this host offers no cgroups (" << cgroups_.reason << "): tasks run without limits and say so";
  }
  ProcessSpec spec = Spec("t5", "");
  spec.limits.mem_mb = 64;
  // 200 MiB, touched page by page.
  spec.argv = {"/usr/bin/python3", "-c", "x = bytearray(200 * 1024 * 1024); print('survived')"};
  auto handle = runtime_.Launch(spec);
  ASSERT_TRUE(handle.ok()) << handle.status();
  EXPECT_EQ(handle->limits_note, "");
  const ProcessStatus status = WaitUntilEnded(runtime_, *handle);
  EXPECT_EQ(status.state, ProcessStatus::State::kExited);
  EXPECT_EQ(status.signal, SIGKILL) << status.message;
  EXPECT_TRUE(status.oom_killed) << status.message;
  EXPECT_EQ(*ReadFile(handle->sandbox_dir + "/stdout"), "");
  runtime_.Release(*handle);

  // The same allocation under a generous limit survives.
  spec.task_id = "t6";
  spec.sandbox_dir = root_ + "/t6";
  spec.limits.mem_mb = 512;
  handle = runtime_.Launch(spec);
  ASSERT_TRUE(handle.ok());
  EXPECT_EQ(WaitUntilEnded(runtime_, *handle).exit_code, 0);
  EXPECT_EQ(*ReadFile(handle->sandbox_dir + "/stdout"), "survived\n");
  runtime_.Release(*handle);
}

TEST_F(ProcessRuntimeTest, KillingTheCgroupLeavesNoDescendant) {
  if (cgroups_.mode == CgroupSupport::Mode::kNone) {
    GTEST_SKIP() << "this host offers no cgroups (" << cgroups_.reason << ")";
  }
  // A daemonizing descendant leaves the task's process group (setsid); the
  // cgroup still holds it.
  auto handle = runtime_.Launch(Spec("t7", "setsid sleep 60 & sleep 60"));
  ASSERT_TRUE(handle.ok());
  for (int i = 0; i < 100 && CgroupPids(handle->cgroup).size() < 3; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_GE(CgroupPids(handle->cgroup).size(), 3u);
  runtime_.Kill(*handle);
  WaitUntilEnded(runtime_, *handle);
  for (int i = 0; i < 100 && !CgroupPids(handle->cgroup).empty(); ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_TRUE(CgroupPids(handle->cgroup).empty());
  runtime_.Release(*handle);
}

// A restarted agent that finds a staging task without pids cancels its launch;
// the task's shim, still starting, gets there later and must not run it (the
// agent launches a new task instead: otherwise the run would happen twice).
TEST_F(ProcessRuntimeTest, AShimThatComesAfterACancellationNeverRunsTheTask) {
  ASSERT_FALSE(ShimPath().empty());
  const std::string sandbox = root_ + "/late-shim";
  ASSERT_TRUE(MakeDirs(sandbox).ok());
  EXPECT_FALSE(ClaimedOrCancel(sandbox).has_value()) << "no shim claimed the start: cancelled";
  EXPECT_TRUE(absl::StartsWith(*ReadFile(sandbox + "/pids"), "cancelled"));

  const std::string ran = root_ + "/late-shim-ran";
  auto shim = testing::ChildProcess::Start(
      {ShimPath(), "--sandbox=" + sandbox, "--", "/bin/sh", "-c", "echo ran > " + ran}, root_ + "/late-shim.log");
  ASSERT_TRUE(shim.ok()) << shim.status();
  absl::StatusOr<int> status = (*shim)->Wait(absl::Seconds(10));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 125) << *status;
  EXPECT_TRUE(absl::IsNotFound(ReadFile(ran).status())) << "the cancelled task ran";
  EXPECT_TRUE(absl::StrContains(*ReadFile(sandbox + "/stderr"), "cancelled this launch"));
  EXPECT_FALSE(ClaimedOrCancel(sandbox).has_value()) << "cancelled for good";
}

// The process group of `pid` (field 5 of /proc/<pid>/stat), or 0.
int ProcessGroupOf(int pid) {
  const std::vector<std::string> fields = ProcessStatFields(pid);
  int group = 0;
  return fields.size() > 2 && absl::SimpleAtoi(fields[2], &group) ? group : 0;
}

TEST_F(ProcessRuntimeTest, TheTaskIsInItsGroupAndCgroupBeforeItsPidIsClaimed) {
  // The agent may kill the task's group and cgroup the moment the claim names
  // its pid. A FIFO stands in for the cgroup's cgroup.procs: the shim's write
  // to it waits for the test to read, so the test sees what is claimed before.
  ASSERT_FALSE(ShimPath().empty());
  const std::string sandbox = root_ + "/ordered";
  ASSERT_TRUE(MakeDirs(sandbox).ok());
  const std::string procs = root_ + "/cgroup.procs";
  ASSERT_EQ(::mkfifo(procs.c_str(), 0600), 0);
  auto shim = testing::ChildProcess::Start(
      {ShimPath(), "--sandbox=" + sandbox, "--cgroup_procs=" + procs, "--", "/bin/sleep", "60"},
      root_ + "/ordered.log");
  ASSERT_TRUE(shim.ok()) << shim.status();
  // Nothing is claimed while the task is not yet in its cgroup (the shim is
  // held there): watched for half a second.
  for (int i = 0; i < 50; ++i) {
    ASSERT_FALSE(ReadFile(sandbox + "/pids").ok()) << "the pid was claimed before the task entered its cgroup";
    absl::SleepFor(absl::Milliseconds(10));
  }
  const int fifo = ::open(procs.c_str(), O_RDONLY | O_CLOEXEC);  // lets the shim's write through
  ASSERT_GE(fifo, 0);
  char buffer[32] = {};
  const ssize_t got = ::read(fifo, buffer, sizeof(buffer) - 1);
  ::close(fifo);
  int task = 0;
  ASSERT_TRUE(got > 0 && absl::SimpleAtoi(absl::StripAsciiWhitespace(buffer), &task)) << buffer;
  EXPECT_EQ(ProcessGroupOf(task), task) << "the task entered its cgroup before leading its own process group";
  std::optional<ShimPids> pids;
  for (int i = 0; i < 500 && !pids.has_value(); ++i) {
    if (absl::StatusOr<std::string> text = ReadFile(sandbox + "/pids"); text.ok()) pids = ParseShimPids(*text);
    if (!pids.has_value()) absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(pids.has_value()) << "no claim after the cgroup write";
  EXPECT_EQ(pids->task_pid, task);
  // A kill to the group right away ends the task (it ran 60 s when the child
  // made its own group after the claim).
  EXPECT_EQ(::kill(-task, SIGKILL), 0);
  absl::StatusOr<int> status = (*shim)->Wait(absl::Seconds(10));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(absl::StripAsciiWhitespace(*ReadFile(sandbox + "/exit_status")), "signaled 9");
}

TEST_F(ProcessRuntimeTest, AStartTheShimCannotPlaceInItsCgroupNeverRunsAndSaysWhy) {
  ASSERT_FALSE(ShimPath().empty());
  const std::string sandbox = root_ + "/no-cgroup";
  ASSERT_TRUE(MakeDirs(sandbox).ok());
  const std::string ran = root_ + "/no-cgroup-ran";
  auto shim = testing::ChildProcess::Start(
      {ShimPath(), "--sandbox=" + sandbox, "--cgroup_procs=" + root_ + "/missing/cgroup.procs", "--", "/bin/sh", "-c",
       "echo ran > " + ran},
      root_ + "/no-cgroup.log");
  ASSERT_TRUE(shim.ok()) << shim.status();
  absl::StatusOr<int> status = (*shim)->Wait(absl::Seconds(10));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(ParseShimPids(*ReadFile(sandbox + "/pids")).has_value()) << "claimed, so the agent reads the end";
  EXPECT_EQ(absl::StripAsciiWhitespace(*ReadFile(sandbox + "/exit_status")), "exited 125");
  EXPECT_TRUE(absl::StrContains(*ReadFile(sandbox + "/stderr"), "cannot enter the task's cgroup")) << "no reason given";
  EXPECT_TRUE(absl::IsNotFound(ReadFile(ran).status())) << "the task ran outside its cgroup";
}

TEST_F(ProcessRuntimeTest, AStartTheShimClaimedIsReadBackNotCancelled) {
  ASSERT_FALSE(ShimPath().empty());
  auto handle = runtime_.Launch(Spec("t6", "exit 0"));
  ASSERT_TRUE(handle.ok()) << handle.status();
  WaitUntilEnded(runtime_, *handle);
  const std::optional<ShimPids> pids = ClaimedOrCancel(handle->sandbox_dir);
  ASSERT_TRUE(pids.has_value());
  EXPECT_EQ(pids->task_pid, handle->task_pid);
  runtime_.Release(*handle);
}

}  // namespace
}  // namespace paasta::agent
