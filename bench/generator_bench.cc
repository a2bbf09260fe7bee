// Generating one service whose repository holds 10,000 deploy tags and 10,000
// control tags (10 instances in 10 deploy groups, 1,000 of each kind per
// instance), first with loose refs, then after `git pack-refs --all`.
//
//   bazel run -c opt //bench:generator_bench
#include <sys/resource.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "common/file_util.h"
#include "common/git/git_repository.h"
#include "common/testing/git_repo.h"
#include "deployer/generator/generator.h"
#include "deployer/generator/tags.h"

namespace {

constexpr int kInstances = 10;
constexpr int kTagsPerInstance = 1000;

struct Setup {
  std::string soa;
  std::string repo;
};

Setup& Fixture() {
  static Setup* setup = [] {
    auto* s = new Setup;
    const char* tmp = std::getenv("TMPDIR");
    std::string root = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/paasta-bench-gen.XXXXXX");
    if (::mkdtemp(root.data()) == nullptr) std::abort();
    // The generated tree (tens of MB) goes when the benchmark ends.
    static const std::string* const removed_at_exit = new std::string(root);
    std::atexit([] { paasta::RemoveTree(*removed_at_exit).IgnoreError(); });
    s->repo = root + "/repo";
    s->soa = root + "/soa";
    paasta::testing::InitRepo(s->repo);
    const std::string sha = paasta::testing::CommitFiles(s->repo, {{"a", "a"}}, "one");
    ::mkdir(s->soa.c_str(), 0755);
    ::mkdir((s->soa + "/svc").c_str(), 0755);
    std::string marathon;
    for (int i = 0; i < kInstances; ++i) {
      absl::StrAppend(&marathon, "i", i, ": {deploy_group: local.g", i, "}\n");
    }
    if (!paasta::WriteFileAtomically(s->soa + "/svc/marathon-local.yaml", marathon).ok() ||
        !paasta::WriteFileAtomically(s->soa + "/svc/service.yaml", "git_url: " + s->repo + "\n").ok()) {
      std::abort();
    }
    const absl::Time start = absl::FromUnixSeconds(1478513410);
    for (int i = 0; i < kInstances; ++i) {
      for (int t = 0; t < kTagsPerInstance; ++t) {
        const absl::Time at = start + absl::Minutes(t);
        if (!paasta::git::CreateTag(s->repo, paasta::generator::DeployTagName(absl::StrCat("local.g", i), at), sha, "")
                 .ok() ||
            !paasta::git::CreateTag(s->repo,
                                    paasta::generator::ControlTagName(absl::StrCat("local.i", i), at,
                                                                      t % 2 ? paasta::config::DesiredState::kStop
                                                                            : paasta::config::DesiredState::kStart),
                                    sha, "")
                 .ok()) {
          std::abort();
        }
      }
    }
    return s;
  }();
  return *setup;
}

void Generate(benchmark::State& state) {
  paasta::generator::GeneratorOptions options;
  options.soa_dir = Fixture().soa;
  paasta::generator::Generator generator(options);
  int refs = 0;
  for (auto _ : state) {
    // Remove the file so every iteration computes and writes it.
    ::unlink((Fixture().soa + "/svc/deployments.json").c_str());
    const paasta::generator::GenerationResult result = generator.GenerateService("svc");
    if (!result.error.empty()) {
      state.SkipWithError(result.error.c_str());
      return;
    }
    refs = result.refs_read;
  }
  state.counters["refs"] = refs;
}

void BM_GenerateLooseRefs(benchmark::State& state) { Generate(state); }
BENCHMARK(BM_GenerateLooseRefs)->Unit(benchmark::kMillisecond);

void BM_GeneratePackedRefs(benchmark::State& state) {
  static bool packed = [] {
    paasta::testing::Git(Fixture().repo, {"pack-refs", "--all"});
    return true;
  }();
  benchmark::DoNotOptimize(packed);
  Generate(state);
}
BENCHMARK(BM_GeneratePackedRefs)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  Fixture();
  benchmark::RunSpecifiedBenchmarks();
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  std::printf("peak resident memory: %.1f MiB\n", usage.ru_maxrss / 1024.0);
  return 0;
}
