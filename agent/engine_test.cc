// The engine with real processes (the test service of agent/testing, run
// through the real task shim), a real SQLite store and the system clock.
#include "agent/engine.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/file_util.h"
#include "common/http_client.h"
#include "common/testing/child_process.h"
#include "common/testing/git_repo.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace paasta::agent {
namespace {

using google::protobuf::util::TimeUtil;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::NewTempDir("engine");
    server_ = paasta::testing::AbsolutePath("agent/testing/test_server");
    ASSERT_FALSE(server_.empty());
    cgroups_ = DetectCgroups(absl::StrCat("paasta-test-", ::getpid()));
    runtime_ = std::make_unique<ProcessRuntime>(paasta::testing::AbsolutePath("agent/paasta-task-shim"), cgroups_);
    StartEngine();
  }

  void TearDown() override {
    if (engine_ != nullptr) {
      // Leave no task behind.
      for (const v1::App& app : engine_->ListApps("", false)) {
        engine_->DeleteApp(app.definition().id()).IgnoreError();
      }
      paasta::testing::WaitUntil([&] { return engine_->ListTasks("")->empty(); }, absl::Seconds(10));
      engine_->Stop();
    }
    RemoveCgroupBases(cgroups_);
  }

  void StartEngine(const std::function<void(EngineOptions&)>& adjust = nullptr) {
    auto store = Store::Open(dir_ + "/agent.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    EngineOptions options;
    options.state_dir = dir_ + "/state";
    options.git_cache_dir = dir_ + "/git";
    options.tick = absl::Milliseconds(50);
    options.kill_grace = absl::Seconds(2);
    if (adjust) adjust(options);
    engine_ = std::make_unique<Engine>(options, runtime_.get(), store_.get(), &clock_);
    ASSERT_TRUE(engine_->Start().ok());
  }

  void RestartEngine(const std::function<void(EngineOptions&)>& adjust) {
    engine_->Stop();
    engine_.reset();
    store_.reset();
    StartEngine(adjust);
  }

  v1::AppDefinition ServerApp(const std::string& id, int instances) {
    v1::AppDefinition app;
    app.set_id(id);
    app.set_instances(instances);
    app.set_cmd("exec " + server_);
    app.set_mem(256);
    app.set_cpus(0.1);
    (*app.mutable_env())["VERSION"] = "v1";
    v1::HealthCheck* check = app.add_health_checks();
    check->set_protocol(v1::HEALTH_CHECK_PROTOCOL_HTTP);
    check->set_path("/status");
    *check->mutable_grace_period() = TimeUtil::MillisecondsToDuration(500);
    *check->mutable_interval() = TimeUtil::MillisecondsToDuration(100);
    *check->mutable_timeout() = TimeUtil::MillisecondsToDuration(500);
    check->set_max_consecutive_failures(3);
    return app;
  }

  v1::App App(const std::string& id) {
    for (const v1::App& app : engine_->ListApps(id, true)) {
      if (app.definition().id() == id) return app;
    }
    return v1::App();
  }

  std::string dir_, server_;
  CgroupSupport cgroups_;
  std::unique_ptr<ProcessRuntime> runtime_;
  std::unique_ptr<Store> store_;
  RealClock clock_;
  std::unique_ptr<Engine> engine_;
};

TEST(LaunchDelayTest, GrowsByTheFactorUpToTheCap) {
  v1::AppDefinition app;
  *app.mutable_backoff() = TimeUtil::SecondsToDuration(1);
  app.set_backoff_factor(2);
  *app.mutable_max_launch_delay() = TimeUtil::SecondsToDuration(10);
  // The header's example: 1, 2, 4, 8, 10, 10 s.
  const int expected[] = {0, 1, 2, 4, 8, 10, 10};
  for (int failures = 0; failures <= 6; ++failures) {
    EXPECT_EQ(LaunchDelay(app, failures), absl::Seconds(expected[failures])) << failures;
  }
}

TEST_F(EngineTest, InstancesComeUpHealthyAndAnswerOnTheirPorts) {
  ASSERT_TRUE(*engine_->PutApp(ServerApp("svc.main.git1.config1", 2)));
  ASSERT_TRUE(paasta::testing::WaitUntil([&] { return App("svc.main.git1.config1").tasks_healthy() == 2; }))
      << App("svc.main.git1.config1").DebugString();
  const v1::App app = App("svc.main.git1.config1");
  ASSERT_EQ(app.tasks_size(), 2);
  for (const v1::Task& task : app.tasks()) {
    EXPECT_EQ(task.state(), v1::TASK_STATE_RUNNING);
    EXPECT_TRUE(absl::StartsWith(task.id(), "svc.main.git1.config1."));
    EXPECT_EQ(task.host(), "127.0.0.1");
    ASSERT_EQ(task.ports_size(), 1);
    EXPECT_TRUE(task.has_started_at());
    ASSERT_EQ(task.health_check_results_size(), 1);
    EXPECT_TRUE(task.health_check_results(0).alive());
    if (cgroups_.mode == CgroupSupport::Mode::kNone) {
      EXPECT_TRUE(absl::StartsWith(task.message(), "running without resource limits"));
    }
    HttpRequest request;
    request.url = absl::StrCat("http://127.0.0.1:", task.ports(0), "/");
    const auto response = HttpFetch(request);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->body, absl::StrCat("version=v1 task=", task.id()));
  }
  EXPECT_NE(app.tasks(0).ports(0), app.tasks(1).ports(0));
}

TEST_F(EngineTest, AnExitedTaskIsRelaunchedWithAGrowingDelay) {
  v1::AppDefinition app;
  app.set_id("crashy.main.git1.config1");
  app.set_instances(1);
  app.set_cmd("exit 1");
  *app.mutable_backoff() = TimeUtil::MillisecondsToDuration(200);
  app.set_backoff_factor(2);
  *app.mutable_max_launch_delay() = TimeUtil::SecondsToDuration(10);
  absl::Mutex mu;
  std::vector<absl::Time> launches;
  const int listener = engine_->Subscribe([&](const v1::TaskEvent& event) {
    if (event.type() == v1::TASK_EVENT_TYPE_STATE_CHANGED && event.task().state() == v1::TASK_STATE_STAGING) {
      absl::MutexLock lock(&mu);
      launches.push_back(absl::Now());
    }
  });
  ASSERT_TRUE(engine_->PutApp(app).ok());
  const bool launched = paasta::testing::WaitUntil([&] {
    absl::MutexLock lock(&mu);
    return launches.size() >= 4;
  });
  engine_->Unsubscribe(listener);
  ASSERT_TRUE(launched);
  // The relaunch delay after failure n is 200 ms x 2^(n-1): 200, 400, 800 ms.
  // Each gap is at least its delay, and the gaps grow.
  absl::MutexLock lock(&mu);
  const absl::Duration gaps[] = {launches[1] - launches[0], launches[2] - launches[1], launches[3] - launches[2]};
  EXPECT_GE(gaps[0], absl::Milliseconds(200));
  EXPECT_GE(gaps[1], absl::Milliseconds(400));
  EXPECT_GE(gaps[2], absl::Milliseconds(800));
  EXPECT_LT(gaps[0], gaps[1]);
  EXPECT_LT(gaps[1], gaps[2]);
  // The current delay is visible on the app.
  EXPECT_TRUE(paasta::testing::WaitUntil([&] { return App(app.id()).has_launch_delay(); }, absl::Seconds(5)));
}

TEST_F(EngineTest, ATaskFailingItsHealthCheckIsKilledAndReplaced) {
  const std::string health = dir_ + "/health";
  ASSERT_TRUE(WriteFileAtomically(health, "ok").ok());
  v1::AppDefinition app = ServerApp("sick.main.git1.config1", 1);
  (*app.mutable_env())["HEALTH_FILE"] = health;
  ASSERT_TRUE(engine_->PutApp(app).ok());
  ASSERT_TRUE(paasta::testing::WaitUntil([&] { return App(app.id()).tasks_healthy() == 1; }));
  const std::string first = App(app.id()).tasks(0).id();

  absl::Mutex mu;
  std::vector<v1::Task> removed;
  const int listener = engine_->Subscribe([&](const v1::TaskEvent& event) {
    if (event.type() == v1::TASK_EVENT_TYPE_REMOVED) {
      absl::MutexLock lock(&mu);
      removed.push_back(event.task());
    }
  });
  ASSERT_TRUE(WriteFileAtomically(health, "fail").ok());
  if (!paasta::testing::WaitUntil([&] {
        absl::MutexLock lock(&mu);
        return !removed.empty();
      })) {
    engine_->Unsubscribe(listener);
    FAIL() << "the unhealthy task was not killed";
  }
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(removed[0].id(), first);
    EXPECT_TRUE(absl::StartsWith(removed[0].message(), "killed after failing its health checks"))
        << removed[0].message();
  }
  // A replacement comes (it fails too while the file says so; then it heals).
  ASSERT_TRUE(WriteFileAtomically(health, "ok").ok());
  const bool replaced = paasta::testing::WaitUntil([&] {
    const v1::App now = App(app.id());
    return now.tasks_healthy() == 1 && now.tasks(0).id() != first;
  });
  // The listener refers to this test's locals: remove it before they go.
  engine_->Unsubscribe(listener);
  EXPECT_TRUE(replaced);
}

TEST_F(EngineTest, KillAndScaleDeleteAndNoProcessLeftBehind) {
  ASSERT_TRUE(engine_->PutApp(ServerApp("scaled.main.git1.config1", 3)).ok());
  ASSERT_TRUE(paasta::testing::WaitUntil([&] { return App("scaled.main.git1.config1").tasks_running() == 3; }));
  const v1::App app = App("scaled.main.git1.config1");
  const v1::KillTasksResponse killed = engine_->KillTasks({app.tasks(0).id(), "no-such-task"}, /*scale=*/true);
  EXPECT_EQ(killed.killed_task_ids_size(), 1);
  EXPECT_EQ(killed.unknown_task_ids(0), "no-such-task");
  ASSERT_TRUE(paasta::testing::WaitUntil([&] { return App("scaled.main.git1.config1").tasks_size() == 2; }));
  EXPECT_EQ(App("scaled.main.git1.config1").definition().instances(), 2);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(App("scaled.main.git1.config1").tasks_size(), 2) << "not replaced";

  std::vector<std::string> sandboxes;
  const v1::App remaining = App("scaled.main.git1.config1");
  for (const v1::Task& task : remaining.tasks()) sandboxes.push_back(task.sandbox_dir());
  EXPECT_EQ(*engine_->DeleteApp("scaled.main.git1.config1"), 2);
  ASSERT_TRUE(paasta::testing::WaitUntil([&] { return engine_->ListTasks("")->empty(); }));
  // Every task wrote its exit: none runs any more.
  for (const std::string& sandbox : sandboxes) {
    EXPECT_TRUE(ReadFile(sandbox + "/exit_status").ok()) << sandbox;
  }
  EXPECT_EQ(engine_->DeleteApp("scaled.main.git1.config1").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EngineTest, AfterARestartTasksAreFoundAgainAndNotDuplicated) {
  ASSERT_TRUE(engine_->PutApp(ServerApp("kept.main.git1.config1", 2)).ok());
  ASSERT_TRUE(paasta::testing::WaitUntil([&] { return App("kept.main.git1.config1").tasks_healthy() == 2; }));
  std::set<std::string> before;
  const v1::App kept = App("kept.main.git1.config1");
  for (const v1::Task& task : kept.tasks()) before.insert(task.id());
  // The engine goes away; its tasks keep running.
  engine_->Stop();
  engine_.reset();
  store_.reset();
  StartEngine();
  ASSERT_TRUE(paasta::testing::WaitUntil([&] { return App("kept.main.git1.config1").tasks_healthy() == 2; }));
  std::set<std::string> after;
  const v1::App found = App("kept.main.git1.config1");
  for (const v1::Task& task : found.tasks()) after.insert(task.id());
  EXPECT_EQ(after, before);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(App("kept.main.git1.config1").tasks_size(), 2);
}

// --stop_tasks_on_exit: every task ends, none is relaunched, the app stays;
// the next start runs it again (as a requested kill: no back-off).
TEST_F(EngineTest, StopAllTasksEndsEveryTaskAndTheNextStartRunsTheAppAgain) {
  ASSERT_TRUE(engine_->PutApp(ServerApp("stopped.main.git1.config1", 2)).ok());
  ASSERT_TRUE(paasta::testing::WaitUntil([&] { return App("stopped.main.git1.config1").tasks_healthy() == 2; }));
  std::vector<std::string> sandboxes;
  const v1::App running = App("stopped.main.git1.config1");
  for (const v1::Task& task : running.tasks()) sandboxes.push_back(task.sandbox_dir());
  engine_->StopAllTasks(absl::Seconds(20));
  EXPECT_TRUE(engine_->ListTasks("")->empty());
  for (const std::string& sandbox : sandboxes) EXPECT_TRUE(ReadFile(sandbox + "/exit_status").ok()) << sandbox;
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_TRUE(engine_->ListTasks("")->empty()) << "nothing relaunched while stopping";
  EXPECT_EQ(App("stopped.main.git1.config1").definition().instances(), 2);
  engine_->Stop();
  engine_.reset();
  store_.reset();
  StartEngine();
  ASSERT_TRUE(paasta::testing::WaitUntil([&] { return App("stopped.main.git1.config1").tasks_healthy() == 2; }));
  EXPECT_FALSE(App("stopped.main.git1.config1").has_launch_delay()) << "a requested stop is not a crash";
}

TEST_F(EngineTest, OneOffRunsRecordTheirEndAndAreExclusivePerJob) {
  v1::RunTaskRequest request;
  request.set_run_id("run-1");
  request.set_job_name("svc nightly");
  request.set_exclusive(true);
  request.mutable_task()->set_cmd("echo rendered $GREETING; sleep 0.5; exit 2");
  (*request.mutable_task()->mutable_env())["GREETING"] = "hello";
  ASSERT_TRUE(engine_->RunTask(request).ok());
  EXPECT_TRUE(engine_->RunTask(request).ok()) << "idempotent by run_id";
  v1::RunTaskRequest second = request;
  second.set_run_id("run-2");
  const auto refused = engine_->RunTask(second);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(paasta::testing::WaitUntil([&] {
    const auto run = engine_->GetRun("run-1");
    return run.ok() && run->task().state() == v1::TASK_STATE_FAILED;
  }));
  const v1::Run run = *engine_->GetRun("run-1");
  EXPECT_EQ(run.task().exit_code(), 2);
  EXPECT_EQ(run.output_tail(), "rendered hello\n");
  EXPECT_TRUE(engine_->RunTask(second).ok()) << "the first run ended";
  EXPECT_EQ(engine_->GetRun("nope").status().code(), absl::StatusCode::kNotFound);
}

// State as an agent killed with SIGKILL leaves it: run "run-1" (appending
// "ran" to `ledger`) with its task `task_id` stored as staging, sandbox
// `sandbox`. Then the engine starts again on it.
class EngineCrashTest : public EngineTest {
 protected:
  void RestartAfterCrashWithStagedRun(const std::string& task_id, const std::string& sandbox,
                                      const std::string& ledger) {
    engine_->Stop();
    engine_.reset();
    RunRecord run;
    run.mutable_run()->set_run_id("run-1");
    run.mutable_run()->set_job_name("svc nightly");
    run.mutable_run()->mutable_task()->set_id(task_id);
    run.mutable_request()->set_cmd("echo ran >> " + ledger);
    TaskRecord staged;
    staged.set_run_id("run-1");
    staged.mutable_task()->set_id(task_id);
    staged.mutable_task()->set_state(v1::TASK_STATE_STAGING);
    staged.mutable_task()->set_sandbox_dir(sandbox);
    ASSERT_TRUE(store_->PutRun(run).ok());
    ASSERT_TRUE(store_->PutTask(staged).ok());
    store_.reset();
    StartEngine();
  }

  // The run finishes, and six ticks later `ledger` says it ran once.
  void ExpectRanOnce(const std::string& ledger) {
    ASSERT_TRUE(paasta::testing::WaitUntil([&] {
      const auto ran = engine_->GetRun("run-1");
      return ran.ok() && ran->task().state() == v1::TASK_STATE_FINISHED;
    })) << engine_->GetRun("run-1")->DebugString();
    absl::SleepFor(absl::Milliseconds(300));
    EXPECT_EQ(*ReadFile(ledger), "ran\n");
  }
};

// The task was staged and not launched yet: the next start drops it and
// launches the run again, once.
TEST_F(EngineCrashTest, ARunWhoseTaskNeverStartedBeforeACrashRunsOnceAfterIt) {
  const std::string ledger = dir_ + "/ledger";
  RestartAfterCrashWithStagedRun("run.run-1.staged", dir_ + "/state/sandboxes/never-made", ledger);
  ExpectRanOnce(ledger);
}

// The task had started (its shim wrote the pids) and ended while the agent was
// down: the next start reads the run's end from the exit status and does not
// run it again.
TEST_F(EngineCrashTest, ARunWhoseTaskEndedWhileTheAgentWasDownIsNotRunAgain) {
  const std::string ledger = dir_ + "/ledger";
  const std::string sandbox = dir_ + "/state/sandboxes/run.run-1.started";
  ASSERT_TRUE(MakeDirs(sandbox).ok());
  ASSERT_TRUE(WriteFileAtomically(sandbox + "/pids", "999999 999998 12345\n").ok());  // long gone
  ASSERT_TRUE(WriteFileAtomically(sandbox + "/exit_status", "exited 0\n").ok());
  ASSERT_TRUE(WriteFileAtomically(ledger, "ran\n").ok());
  RestartAfterCrashWithStagedRun("run.run-1.started", sandbox, ledger);
  ExpectRanOnce(ledger);
}

// A task's cgroup made just before a crash, never recorded: the next start
// removes it (empty), and keeps the cgroups of tasks it found again.
TEST_F(EngineCrashTest, EmptyCgroupsOfTasksNobodyKnowsAreRemovedAtStart) {
  if (cgroups_.mode == CgroupSupport::Mode::kNone) GTEST_SKIP() << "no cgroups here: " << cgroups_.reason;
  ASSERT_TRUE(engine_->PutApp(ServerApp("live.main.git1.config1", 1)).ok());
  ASSERT_TRUE(paasta::testing::WaitUntil([&] { return App("live.main.git1.config1").tasks_running() == 1; }));
  std::vector<std::string> bases;
  for (const auto& [controller, base] : cgroups_.v1_bases) bases.push_back(base);
  if (!cgroups_.v2_base.empty()) bases.push_back(cgroups_.v2_base);
  for (const std::string& base : bases) ASSERT_EQ(::mkdir((base + "/stale.main.git1.config1.x").c_str(), 0755), 0);
  RestartEngine(nullptr);
  const std::string live_task = App("live.main.git1.config1").tasks(0).id();
  for (const std::string& base : bases) {
    EXPECT_NE(::access((base + "/stale.main.git1.config1.x").c_str(), F_OK), 0) << base;
    EXPECT_EQ(::access((base + "/" + live_task).c_str(), F_OK), 0) << base;
  }
}

TEST_F(EngineTest, ATaskRunsInACheckoutOfItsDeployedCommit) {
  const std::string repo = dir_ + "/repo";
  testing::InitRepo(repo);
  const std::string sha = testing::CommitFiles(repo, {{"version.txt", "v7\n"}}, "v7");
  testing::CommitFiles(repo, {{"version.txt", "v8\n"}}, "v8");  // HEAD moves on
  v1::AppDefinition app = ServerApp("versioned.main.git1.config1", 1);
  app.set_cmd("VERSION=$(cat version.txt) exec " + server_);
  app.mutable_source()->set_git_url(repo);
  app.mutable_source()->set_git_sha(sha);
  ASSERT_TRUE(engine_->PutApp(app).ok());
  ASSERT_TRUE(paasta::testing::WaitUntil([&] { return App(app.id()).tasks_healthy() == 1; }))
      << App(app.id()).DebugString();
  const v1::Task task = App(app.id()).tasks(0);
  HttpRequest request;
  request.url = absl::StrCat("http://127.0.0.1:", task.ports(0), "/");
  const auto response = HttpFetch(request);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->body, absl::StrCat("version=v7 task=", task.id())) << "the deployed commit, not HEAD";
}

TEST_F(EngineTest, OutputIsRotatedPastItsLimit) {
  RestartEngine([](EngineOptions& options) { options.max_output_bytes = 2000; });
  v1::AppDefinition app;
  app.set_id("chatty.main.git1.config1");
  app.set_instances(1);
  app.set_cmd("while true; do echo 0123456789012345678901234567890123456789; sleep 0.005; done");
  ASSERT_TRUE(engine_->PutApp(app).ok());
  ASSERT_TRUE(paasta::testing::WaitUntil([&] { return App(app.id()).tasks_running() == 1; }));
  const std::string sandbox = App(app.id()).tasks(0).sandbox_dir();
  ASSERT_TRUE(paasta::testing::WaitUntil([&] { return ReadFile(sandbox + "/stdout.1").ok(); })) << "rotated once";
  ASSERT_TRUE(paasta::testing::WaitUntil([&] {
    const auto current = ReadFile(sandbox + "/stdout");
    return current.ok() && current->size() < 2000 + 4096;
  }));
}

TEST_F(EngineTest, AppsNamingAnImageRunThroughTheDockerCliWhenAnEngineAnswers) {
  // No Docker engine runs here: a stand-in `docker` on the task's PATH records
  // the arguments the agent gives it (their exact list is checked in
  // docker_args_test).
  RestartEngine([](EngineOptions& options) { options.docker_available = true; });
  const std::string bin = dir_ + "/bin";
  ASSERT_EQ(::mkdir(bin.c_str(), 0755), 0);
  ASSERT_TRUE(
      WriteFileAtomically(bin + "/docker", "#!/bin/sh\necho \"$@\" > " + dir_ + "/docker-args\nexec sleep 60\n").ok());
  ASSERT_EQ(::chmod((bin + "/docker").c_str(), 0755), 0);
  v1::AppDefinition app;
  app.set_id("boxed.main.git1.config1");
  app.set_instances(1);
  app.set_cmd("python3 server.py");
  app.set_mem(512);
  (*app.mutable_env())["PATH"] = bin + ":/usr/bin:/bin";
  app.mutable_container()->mutable_docker()->set_image("registry.local/services-boxed:paasta-abc");
  app.mutable_container()->mutable_docker()->set_network(v1::NETWORK_MODE_BRIDGE);
  v1::PortMapping* mapping = app.mutable_container()->mutable_docker()->add_port_mappings();
  mapping->set_container_port(8888);
  ASSERT_TRUE(engine_->PutApp(app).ok());
  ASSERT_TRUE(paasta::testing::WaitUntil([&] { return ReadFile(dir_ + "/docker-args").ok(); }));
  const v1::Task task = App(app.id()).tasks(0);
  const std::string args = *ReadFile(dir_ + "/docker-args");
  EXPECT_TRUE(absl::StartsWith(args, absl::StrCat("run --rm --name=paasta-", task.id()))) << args;
  EXPECT_TRUE(absl::StrContains(args, absl::StrCat("--publish=", task.ports(0), ":8888"))) << args;
  EXPECT_TRUE(absl::StrContains(args, "--memory=512m")) << args;
  EXPECT_TRUE(absl::StrContains(args, absl::StrCat("--env=MESOS_TASK_ID=", task.id()))) << args;
  EXPECT_TRUE(absl::StrContains(args, "registry.local/services-boxed:paasta-abc /bin/sh -c python3 server.py")) << args;
}

TEST_F(EngineTest, BadDefinitionsAreRefusedNamingTheField) {
  v1::AppDefinition app = ServerApp("Bad_Id", 1);
  EXPECT_EQ(engine_->PutApp(app).status().code(), absl::StatusCode::kInvalidArgument);
  app = ServerApp("ok.id", 1);
  app.add_args("x");
  EXPECT_EQ(engine_->PutApp(app).status().message(), "app.cmd and app.args are exclusive");
}

}  // namespace
}  // namespace paasta::agent
