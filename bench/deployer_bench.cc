// Deployer passes at scale.
//
//  1. 10,000 marathon instances (1,000 services of 10) against the in-test
//     Marathon (deployer/testing/fake_marathon) holding every app in memory:
//     the first pass (creates all), a pass with nothing to change, and a pass
//     after 1,000 instances got a new force_bounce (each starts a crossover).
//  2. 200 instances (20 services of 10, one task each) of real processes on the
//     real paasta-agent: the first pass, until all 200 tasks are healthy, and a
//     pass with nothing to change.
//
//   bazel run -c opt //bench:deployer_bench
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "common/testing/git_repo.h"
#include "deployer/agent_orchestrator.h"
#include "deployer/deployer.h"
#include "deployer/marathon_orchestrator.h"
#include "deployer/testing/fake_marathon.h"
#include "deployer/testing/instant_drainer.h"
#include "nlohmann/json.hpp"

namespace {

const std::string kSha = "3f596a503944b7ef7b534e00087d9c7f2f1c511a";

void Check(const absl::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    std::abort();
  }
}

// A soa dir of `services` services with `instances` instances each, deployed.
void WriteSoa(const std::string& dir, int services, int instances, const std::string& instance_yaml,
              const std::string& service_yaml) {
  ::mkdir((dir + "/soa").c_str(), 0755);
  ::mkdir((dir + "/etc").c_str(), 0755);
  Check(paasta::WriteFileAtomically(dir + "/etc/cluster.json", R"({"cluster": "local", "volumes": []})"));
  for (int s = 0; s < services; ++s) {
    const std::string service = absl::StrCat(dir, "/soa/svc", s);
    ::mkdir(service.c_str(), 0755);
    std::string marathon;
    for (int i = 0; i < instances; ++i) absl::StrAppend(&marathon, "i", i, ":\n", instance_yaml);
    Check(paasta::WriteFileAtomically(service + "/marathon-local.yaml", marathon));
    Check(paasta::WriteFileAtomically(service + "/service.yaml", service_yaml));
  }
}

void Deploy(const std::string& dir, int service, int instances, const std::string& force_bounce) {
  nlohmann::json v1 = nlohmann::json::object();
  for (int i = 0; i < instances; ++i) {
    v1[absl::StrCat("svc", service, ":paasta-local.i", i)] = {
        {"desired_state", "start"},
        {"docker_image", absl::StrCat("services-svc", service, ":paasta-", kSha)},
        {"force_bounce", force_bounce.empty() ? nlohmann::json() : nlohmann::json(force_bounce)}};
  }
  Check(paasta::WriteFileAtomically(absl::StrCat(dir, "/soa/svc", service, "/deployments.json"),
                                    nlohmann::json({{"v1", v1}}).dump()));
}

double Pass(paasta::deployer::Deployer& deployer, int* errors) {
  const absl::Time start = absl::Now();
  const auto statuses = deployer.Reconcile("", "");
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  *errors = 0;
  for (const auto& status : statuses) *errors += status.last_error().empty() ? 0 : 1;
  return seconds;
}

long PeakRssKiB() {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

void OnMarathon() {
  constexpr int kServices = 1000, kInstances = 10;
  const std::string dir = paasta::testing::NewTempDir("deployer-bench-marathon");
  WriteSoa(dir, kServices, kInstances,
           "  instances: 1\n  cmd: ./run\n  healthcheck_mode: http\n  deploy_group: local.everything\n", "");
  for (int s = 0; s < kServices; ++s) Deploy(dir, s, kInstances, "");
  paasta::deployer::testing::FakeMarathon marathon;
  Check(marathon.Start());
  paasta::deployer::MarathonOrchestrator orchestrator({marathon.url(), "", ""});
  paasta::deployer::testing::InstantDrainer drainer;
  paasta::RealClock clock;
  paasta::deployer::Deployer deployer({dir + "/soa", dir + "/etc", "", 1}, &orchestrator, &drainer, &clock);
  int errors = 0;
  double seconds = Pass(deployer, &errors);
  std::printf("marathon: first pass over %d instances (creates every app): %.2f s, %d errors, %zu apps\n",
              kServices * kInstances, seconds, errors, marathon.AppIds().size());
  seconds = Pass(deployer, &errors);
  std::printf("marathon: pass with nothing to change: %.2f s, %d errors\n", seconds, errors);
  for (int s = 0; s < kServices / kInstances; ++s) Deploy(dir, s, kInstances, "bounce");
  seconds = Pass(deployer, &errors);
  std::printf("marathon: pass with 1,000 instances changed: %.2f s, %d errors, %zu apps\n", seconds, errors,
              marathon.AppIds().size());
  seconds = Pass(deployer, &errors);
  std::printf("marathon: the next pass (1,000 crossovers finish): %.2f s, %d errors, %zu apps\n", seconds, errors,
              marathon.AppIds().size());
  std::printf("marathon: peak RSS of the whole process (deployer + in-memory Marathon): %.1f MiB\n",
              PeakRssKiB() / 1024.0);
}

void OnAgent() {
  constexpr int kServices = 20, kInstances = 10;
  const std::string dir = paasta::testing::NewTempDir("deployer-bench-agent");
  const std::string repo = dir + "/repo";
  paasta::testing::InitRepo(repo);
  const std::string sha = paasta::testing::CommitFiles(repo, {{"README", "bench\n"}}, "one");
  WriteSoa(dir, kServices, kInstances,
           absl::StrCat("  instances: 1\n  cpus: 0.01\n  mem: 64\n  cmd: exec ",
                        paasta::testing::AbsolutePath("agent/testing/test_server"),
                        "\n  healthcheck_mode: http\n  healthcheck_uri: /status\n",
                        "  healthcheck_interval_seconds: 1\n  deploy_group: local.everything\n"),
           "git_url: " + repo + "\n");
  for (int s = 0; s < kServices; ++s) {
    nlohmann::json v1 = nlohmann::json::object();
    for (int i = 0; i < kInstances; ++i) {
      v1[absl::StrCat("svc", s, ":paasta-local.i", i)] = {
          {"desired_state", "start"}, {"docker_image", absl::StrCat("services-svc", s, ":paasta-", sha)}};
    }
    Check(paasta::WriteFileAtomically(absl::StrCat(dir, "/soa/svc", s, "/deployments.json"),
                                      nlohmann::json({{"v1", v1}}).dump()));
  }
  auto agent = paasta::testing::ChildProcess::Start(
      {paasta::testing::AbsolutePath("agent/paasta-agent"), "--grpc_listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
       "--ports_file=" + dir + "/ports.json", "--state_dir=" + dir + "/state", "--cgroup_name=paasta-deployer-bench"},
      dir + "/agent.log");
  if (!agent.ok()) std::abort();
  const auto ports = paasta::testing::WaitForFile(dir + "/ports.json", absl::Seconds(30));
  if (!ports.ok()) std::abort();
  paasta::deployer::AgentOrchestrator orchestrator(nlohmann::json::parse(*ports).at("grpc"));
  paasta::deployer::testing::InstantDrainer drainer;
  paasta::RealClock clock;
  paasta::deployer::Deployer deployer({dir + "/soa", dir + "/etc", "", 1}, &orchestrator, &drainer, &clock);
  int errors = 0;
  const absl::Time start = absl::Now();
  double seconds = Pass(deployer, &errors);
  std::printf("agent: first pass over %d instances (creates 200 apps): %.2f s, %d errors\n", kServices * kInstances,
              seconds, errors);
  int healthy = 0;
  while (absl::Now() - start < absl::Minutes(3)) {
    healthy = 0;
    auto apps = orchestrator.ListApps("svc");
    if (apps.ok()) {
      for (const auto& app : *apps) {
        for (const auto& task : app.tasks)
          healthy += task.health_results > 0 && task.alive_results == task.health_results;
      }
    }
    if (healthy == kServices * kInstances) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  std::printf("agent: %d tasks healthy %.2f s after the first pass began\n", healthy,
              absl::ToDoubleSeconds(absl::Now() - start));
  seconds = Pass(deployer, &errors);
  std::printf("agent: pass with nothing to change: %.3f s, %d errors\n", seconds, errors);
  auto apps = orchestrator.ListApps("svc");
  if (apps.ok()) {
    for (const auto& app : *apps) orchestrator.DeleteApp(app.id).IgnoreError();
  }
  absl::SleepFor(absl::Seconds(3));
  (*agent)->Signal(SIGTERM);
  (*agent)->Wait(absl::Seconds(30)).IgnoreError();
}

}  // namespace

int main() {
  OnMarathon();
  OnAgent();
  return 0;
}
