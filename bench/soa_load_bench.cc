// Loads and validates a generated soa-configs folder of 1,000 services with 10
// instances each (6 marathon, 2 chronos, 2 adhoc), as `paasta validate` does.
//
//   bazel run -c opt //bench:soa_load_bench
//
// Prints Google Benchmark's timing and the process's peak resident memory.
#include <sys/resource.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "common/config/validate.h"
#include "common/file_util.h"

namespace {

constexpr int kServices = 1000;

std::string Generate() {
  const char* tmp = std::getenv("TMPDIR");
  std::string root = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/paasta-bench-soa.XXXXXX");
  if (::mkdtemp(root.data()) == nullptr) std::abort();
  // The generated tree (tens of MB) goes when the benchmark ends.
  static const std::string* const removed_at_exit = new std::string(root);
  std::atexit([] { paasta::RemoveTree(*removed_at_exit).IgnoreError(); });
  for (int s = 0; s < kServices; ++s) {
    const std::string service = absl::StrCat("service_", s);
    const std::string dir = absl::StrCat(root, "/", service);
    ::mkdir(dir.c_str(), 0755);
    auto write = [&](const std::string& name, const std::string& text) {
      if (!paasta::WriteFileAtomically(absl::StrCat(dir, "/", name), text).ok()) std::abort();
    };
    write("service.yaml",
          absl::StrCat("description: generated service ", s, "\ngit_url: /srv/git/", service, "\ncpus: 0.5\n"));
    write("monitoring.yaml", "team: bench\nrunbook: y/bench\n");
    write("smartstack.yaml",
          absl::StrCat("main:\n  proxy_port: ", 20000 + s, "\n  mode: http\n  healthcheck_uri: /status\n"));
    std::string marathon;
    for (int i = 0; i < 6; ++i) {
      absl::StrAppend(&marathon, i == 0 ? "main" : absl::StrCat("worker", i), ":\n", "  instances: ", 1 + i % 3,
                      "\n  mem: 256\n  cmd: ./run --port $PORT\n", "  env: {MODE: production, SHARD: \"", i, "\"}\n",
                      i == 0 ? "" : "  healthcheck_mode: tcp\n", "  deploy_group: \"{cluster}.everything\"\n");
    }
    write("marathon-prod.yaml", marathon);
    write("chronos-prod.yaml", absl::StrCat("nightly:\n  schedule: R/2016-01-01T00:00:00Z/P1D\n"
                                            "  cmd: ./nightly --date %(shortdate-1)s\n"
                                            "report:\n  parents: [",
                                            service, ".nightly]\n  cmd: ./report\n"));
    write("adhoc-prod.yaml", "interactive: {cpus: 1}\nmigrate: {cmd: ./migrate}\n");
  }
  return root;
}

const std::string& Root() {
  static const std::string* root = new std::string(Generate());
  return *root;
}

void BM_ValidateSoaDir(benchmark::State& state) {
  const paasta::config::SoaDir soa(Root());
  int instances = 0;
  size_t problems = 0;
  for (auto _ : state) {
    auto result = paasta::config::Validate(soa, {});
    if (!result.ok()) {
      state.SkipWithError(std::string(result.status().message()).c_str());
      return;
    }
    instances = result->instances;
    problems = result->problems.size();
    benchmark::DoNotOptimize(result);
  }
  state.counters["services"] = kServices;
  state.counters["instances"] = instances;
  state.counters["problems"] = static_cast<double>(problems);
}
BENCHMARK(BM_ValidateSoaDir)->Unit(benchmark::kMillisecond)->MinTime(5);

void BM_LoadOneService(benchmark::State& state) {
  const paasta::config::SoaDir soa(Root());
  for (auto _ : state) {
    std::vector<paasta::config::Problem> problems;
    auto service = soa.LoadService("service_500", &problems);
    benchmark::DoNotOptimize(service);
  }
}
BENCHMARK(BM_LoadOneService)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  Root();  // generate before timing
  benchmark::RunSpecifiedBenchmarks();
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  std::printf("peak resident memory: %.1f MiB\n", usage.ru_maxrss / 1024.0);
  return 0;
}
