// kill -9 at random: the whole platform (as the main job runs it) driven
// through a few hundred deploy / stop / start / rerun steps while a random
// daemon is killed with SIGKILL about every fourth step (the supervisor
// restarts it). Bounded in count and time. Afterwards every invariant holds:
//
//  - no app over its allowance: sampled every 50 ms throughout, no app of
//    example_service.main ever has more live tasks than its instances (or,
//    for 5 s after a scale-down, than it had before: the extra ones are
//    being stopped);
//  - no lost run: every rerun the CLI accepted ran (its date is in the ledger
//    the job's command appends to);
//  - no double run: no date is in the ledger twice, and none that was never
//    asked for;
//  - the platform converges: every daemon runs, a last deploy completes, and
//    one app with its two tasks serves.
//
// The random seed is printed; PAASTA_CHAOS_SEED replays a run.
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "common/testing/git_repo.h"
#include "gtest/gtest.h"
#include "protos/agent.grpc.pb.h"
#include "tests/platform_fixture.h"

namespace paasta {
namespace {

using testing::WaitUntil;

constexpr int kSteps = 300;
constexpr absl::Duration kBudget = absl::Minutes(4);
const char* const kDaemons[] = {"paasta-agent",     "paasta-drainer",          "paasta-smartstack", "paasta-deployer",
                                "paasta-generator", "paasta-scheduler-bridge", "paasta-monitor"};

class ChaosTest : public PlatformTest {
 protected:
  // Live tasks (staging, starting, running) of each example_service.main app
  // above the app's allowance, described; "" when every app is within. The
  // allowance is its instances; for 5 s after they went down (a stop scales
  // to zero) it is the count before: the agent stops the extra tasks on its
  // next pass, or when it is back if it was killed meanwhile. Tasks launched
  // beyond that are what this catches. Called from the sampler thread only.
  std::string OverAllowance() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    v1::ListAppsRequest request;
    request.set_app_id_prefix("example--service.main.");
    request.set_embed_tasks(true);
    v1::ListAppsResponse response;
    if (!Agent()->ListApps(&context, request, &response).ok()) return "";  // the agent is down this moment
    const absl::Time now = absl::Now();
    for (const v1::App& app : response.apps()) {
      const int instances = app.definition().instances();
      auto [seen, first] = seen_.try_emplace(app.definition().id(), Seen{instances, instances, now});
      if (!first && seen->second.instances != instances) {
        seen->second = Seen{instances, seen->second.instances, now};
      }
      const int allowance =
          now - seen->second.changed < absl::Seconds(5) ? std::max(instances, seen->second.before) : instances;
      int live = 0;
      for (const v1::Task& task : app.tasks()) {
        live += task.state() == v1::TASK_STATE_STAGING || task.state() == v1::TASK_STATE_STARTING ||
                task.state() == v1::TASK_STATE_RUNNING;
      }
      if (live > allowance) {
        return absl::StrCat(app.definition().id(), " had ", live, " live tasks for ", instances, " instances (",
                            seen->second.before, " before)");
      }
    }
    return "";
  }

  struct Seen {
    int instances;
    int before;          // the instances before the last change
    absl::Time changed;  // when the sampler saw that change
  };
  std::map<std::string, Seen> seen_;
};

TEST_F(ChaosTest, RandomKillsDuringDeploysStopsAndRerunsBreakNoInvariant) {
  // The job appends its rendered date to a ledger; it is never due on its own schedule.
  const std::string ledger = root_ + "/ledger";
  Replace(soa_ + "/example_batch/chronos-local.yaml", "schedule: R/2016-01-01T00:00:00Z/PT1M",
          "schedule: R/2099-01-01T00:00:00Z/PT1M");
  Replace(soa_ + "/example_batch/chronos-local.yaml", "cmd: python3 rollup.py --date %(shortdate)s --hour %(hour)s",
          "cmd: echo %(shortdate)s >> " + ledger);
  StartPlatform();
  Deploy("example_batch");
  Deploy("example_service");

  unsigned seed = std::random_device()();
  if (const char* env = std::getenv("PAASTA_CHAOS_SEED"); env != nullptr) absl::SimpleAtoi(env, &seed);
  std::cout << "[ chaos seed " << seed << " (PAASTA_CHAOS_SEED replays it) ]\n";
  std::mt19937 random(seed);

  std::atomic<bool> sampling{true};
  std::atomic<int> samples{0};
  absl::Mutex violations_mu;
  std::vector<std::string> violations;
  std::thread sampler([&] {
    while (sampling) {
      if (std::string over = OverAllowance(); !over.empty()) {
        absl::MutexLock lock(&violations_mu);
        violations.push_back(std::move(over));
      }
      ++samples;
      absl::SleepFor(absl::Milliseconds(50));
    }
  });

  std::map<std::string, int> kills;
  std::set<std::string> asked, accepted;  // rerun dates
  int deploys = 0, state_changes = 0, step = 0;
  const absl::Time started = absl::Now();
  const std::vector<std::string> timeout = {"--rpc-timeout", "10s"};
  for (; step < kSteps && absl::Now() - started < kBudget; ++step) {
    std::vector<std::string> args = timeout;
    if (step % 3 == 1) {
      const std::string date =
          absl::FormatCivilTime(absl::CivilDay(2020, 1, 1) + step).substr(0, 10);  // one date per rerun
      asked.insert(date);
      for (const char* arg : {"rerun", "-s", "example_batch", "-i", "rollup", "-d"}) args.push_back(arg);
      args.push_back(date + "T00:00:00");
      if (Paasta(args).exit_code == 0) accepted.insert(date);
    } else if (step % 15 == 0) {
      const std::string commit = ChangeExampleService(absl::StrCat("v", step));
      for (const char* arg : {"mark-for-deployment", "-s", "example_service", "-l", "local.everything", "-c"}) {
        args.push_back(arg);
      }
      args.push_back(commit);
      deploys += Paasta(args).exit_code == 0;
    } else if (step % 3 == 0) {
      for (const char* arg : {"-s", "example_service", "-i", "main", "-c", "local"}) args.push_back(arg);
      args.insert(args.begin() + 2, state_changes % 2 == 0 ? "stop" : "start");
      state_changes += Paasta(args).exit_code == 0;
    }
    if (random() % 4 == 0) {
      const std::string victim = kDaemons[random() % std::size(kDaemons)];
      const nlohmann::json daemon = Daemon(victim);
      const int pid = daemon.value("pid", 0);
      if (daemon.value("state", "") == "running" && pid > 0 && ::kill(pid, SIGKILL) == 0) ++kills[victim];
    }
    absl::SleepFor(absl::Milliseconds(50 + random() % 100));
  }
  const absl::Duration took = absl::Now() - started;

  // Settle: every daemon back, example_service started and on its newest commit.
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const char* name : kDaemons) {
          if (Daemon(name).value("state", "") != "running") return false;
        }
        return true;
      },
      absl::Seconds(60)));
  const CliResult start = Paasta({"start", "-s", "example_service", "-i", "main", "-c", "local"});
  EXPECT_EQ(start.exit_code, 0) << start.output;
  Deploy("example_service");
  EXPECT_TRUE(WaitUntil([&] { return MainApps().size() == 1 && MainTasks().size() == 2; }, absl::Seconds(60)))
      << MainApps().size() << " apps, " << MainTasks().size() << " tasks";
  EXPECT_FALSE(ThroughProxy().empty());

  // Every accepted rerun ran, exactly once; nothing ran that was not asked for.
  auto ledger_dates = [&] {
    std::map<std::string, int> count;
    const absl::StatusOr<std::string> text = ReadFile(ledger);
    if (text.ok()) {
      for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) ++count[std::string(line)];
    }
    return count;
  };
  EXPECT_TRUE(WaitUntil(
      [&] {
        const std::map<std::string, int> ran = ledger_dates();
        for (const std::string& date : accepted) {
          if (ran.count(date) == 0) return false;
        }
        return true;
      },
      absl::Seconds(90)));
  absl::SleepFor(absl::Seconds(3));  // a run that was asked for but not accepted may still come
  const std::map<std::string, int> ran = ledger_dates();
  for (const std::string& date : accepted) EXPECT_EQ(ran.count(date), 1u) << "accepted rerun " << date << " lost";
  for (const auto& [date, times] : ran) {
    EXPECT_EQ(times, 1) << date << " ran " << times << " times";
    EXPECT_EQ(asked.count(date), 1u) << date << " ran but was never asked for";
  }

  sampling = false;
  sampler.join();
  {
    absl::MutexLock lock(&violations_mu);
    EXPECT_TRUE(violations.empty()) << violations.size() << " samples over the allowance, first: " << violations[0];
  }
  int killed = 0;
  std::string per_daemon;
  for (const auto& [name, count] : kills) {
    killed += count;
    absl::StrAppend(&per_daemon, " ", name, "=", count);
  }
  std::cout << absl::StrFormat(
      "[ %d steps in %s: %d kill -9 (%s ), %d deploys, %d stops/starts, %d of %d reruns accepted and run once, "
      "%d allowance samples ]\n",
      step, absl::FormatDuration(took), killed, per_daemon, deploys, state_changes, accepted.size(), asked.size(),
      samples.load());
  EXPECT_GE(step, 100) << "the budget allowed too few steps to mean much";
  EXPECT_GT(killed, 10);
}

}  // namespace
}  // namespace paasta
