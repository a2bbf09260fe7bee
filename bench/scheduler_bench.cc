// The embedded scheduler with 10,000 jobs, on the real clock.
//
// Every job runs every minute; their start times are spread evenly over the
// minute (one job due every 6 ms), so the scheduler fires 10,000 runs a
// minute, each recorded in SQLite before it is launched, followed and
// recorded again when it ends. Runs go to an in-memory launcher that ends
// them at once (the agent's cost is agent_bench's), so what is measured is the
// scheduler itself: its CPU per minute of schedule, how late runs start after
// their time (tick 100 ms, as the daemon can be told with --tick), and the
// time to put 10,000 jobs.
//
//   bazel run -c opt //bench:scheduler_bench [-- minutes]
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/testing/child_process.h"
#include "scheduler-bridge/embedded_scheduler.h"
#include "scheduler-bridge/testing/fake_launcher.h"

namespace {

constexpr int kJobs = 10000;
constexpr absl::Duration kTick = absl::Milliseconds(100);

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

long PeakRssKib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// Resident memory now, in MiB.
double RssMib() {
  long pages = 0, resident = 0;
  if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(statm, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(statm);
  }
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  const int minutes = argc > 1 ? std::atoi(argv[1]) : 3;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string dir = paasta::testing::NewTempDir("scheduler-bench");
  paasta::RealClock clock;
  paasta::scheduler::testing::FakeLauncher launcher;
  launcher.set_auto_finish(0);
  auto opened = paasta::scheduler::EmbeddedScheduler::Open(dir + "/scheduler.sqlite", &launcher, &clock);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  paasta::scheduler::EmbeddedScheduler& scheduler = **opened;

  // Starts spread over the minute after the next one.
  const absl::Time base = absl::FromUnixSeconds((absl::ToUnixSeconds(absl::Now()) / 60 + 1) * 60);
  const absl::Time put_start = absl::Now();
  for (int i = 0; i < kJobs; ++i) {
    paasta::v1::Job job;
    job.set_name(absl::StrCat("svc", i / 10, " job", i % 10));
    const absl::Time start = base + absl::Milliseconds(6) * i;
    job.set_schedule(absl::StrCat("R/", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", start, absl::UTCTimeZone()), "/PT1M"));
    job.set_shell(true);
    job.set_command("true");
    job.mutable_epsilon()->set_seconds(60);
    if (absl::Status put = scheduler.PutJob(job); !put.ok()) {
      std::fprintf(stderr, "%s\n", put.ToString().c_str());
      return 1;
    }
  }
  const absl::Duration put_time = absl::Now() - put_start;
  std::printf("put %d jobs: %.2f s; memory %.1f MiB\n", kJobs, absl::ToDoubleSeconds(put_time), RssMib());

  // Idle until the first job is due: the cost of ticking with nothing to do.
  const double idle_cpu_start = CpuSeconds();
  const absl::Time idle_start = absl::Now();
  while (absl::Now() < base - kTick) {
    scheduler.Tick();
    absl::SleepFor(kTick);
  }
  const double idle_cpu = CpuSeconds() - idle_cpu_start;
  const absl::Duration idle = absl::Now() - idle_start;
  std::printf("idle ticks: %.3f %% of a core\n", 100 * idle_cpu / absl::ToDoubleSeconds(idle));

  for (int minute = 0; minute < minutes; ++minute) {
    const double cpu_start = CpuSeconds();
    const absl::Time end = base + absl::Minutes(minute + 1);
    while (absl::Now() < end) {
      scheduler.Tick();
      absl::SleepFor(std::min(end - absl::Now(), kTick));
    }
    const double cpu = CpuSeconds() - cpu_start;
    std::vector<double> lags;
    int64_t runs = 0;
    const auto jobs = scheduler.ListJobs();
    for (const paasta::scheduler::EngineJob& job : *jobs) {
      if (job.last_lag.has_value()) lags.push_back(absl::ToDoubleMilliseconds(*job.last_lag));
      runs += job.runs;
    }
    launcher.ForgetEnded();
    std::printf(
        "minute %d: CPU %.2f s (%.1f %% of a core); runs ended so far %lld; lateness of each job's last run: "
        "p50 %.1f ms, p99 %.1f ms, max %.1f ms; memory %.1f MiB\n",
        minute + 1, cpu, 100 * cpu / 60, static_cast<long long>(runs), Percentile(lags, 0.5), Percentile(lags, 0.99),
        Percentile(lags, 1.0), RssMib());
  }
  std::printf("peak memory: %.1f MiB (whole process)\n", static_cast<double>(PeakRssKib()) / 1024);
  return 0;
}
