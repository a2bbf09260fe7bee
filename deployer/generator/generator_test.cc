// The generator with real git repositories and a real soa-dir: deploys,
// stop/start/restart, what a new deploy resets, untouched files, errors that
// keep the previous file, and two generators racing.
#include "deployer/generator/generator.h"

#include <sys/stat.h>

#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/config/deployments.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "common/testing/git_repo.h"
#include "gtest/gtest.h"

namespace paasta::generator {
namespace {

using ::paasta::testing::CommitFiles;
using ::paasta::testing::Git;
using ::paasta::testing::NewTempDir;

class GeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = NewTempDir("generator");
    repo_ = dir_ + "/repo";
    soa_ = dir_ + "/soa";
    testing::InitRepo(repo_);
    first_ = CommitFiles(repo_, {{"server.py", "v1"}}, "first");
    second_ = CommitFiles(repo_, {{"server.py", "v2"}}, "second");
    ::mkdir(soa_.c_str(), 0755);
    ::mkdir((soa_ + "/svc").c_str(), 0755);
    Write("svc/service.yaml", absl::StrCat("git_url: ", repo_, "\n"));
    Write("svc/marathon-local.yaml", "main: {deploy_group: local.everything}\ncanary: {deploy_group: local.canary}\n");
    Write("svc/chronos-local.yaml",
          "job:\n  schedule: R/2016-01-01T00:00:00Z/P1D\n  deploy_group: \"{cluster}.everything\"\n");
  }

  void Write(const std::string& path, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomically(absl::StrCat(soa_, "/", path), text).ok());
  }

  GeneratorOptions Options() {
    GeneratorOptions options;
    options.soa_dir = soa_;
    options.git_cache_dir = dir_ + "/cache";
    options.now = [this] { return now_; };
    return options;
  }

  config::Deployments Read() {
    absl::StatusOr<config::Deployments> read = config::ReadDeployments(soa_, "svc");
    EXPECT_TRUE(read.ok()) << read.status();
    return read.ok() ? *read : config::Deployments();
  }

  ino_t Inode() {
    struct stat info = {};
    ::stat((soa_ + "/svc/deployments.json").c_str(), &info);
    return info.st_ino;
  }

  std::string dir_, repo_, soa_, first_, second_;
  absl::Time now_ = absl::FromUnixSeconds(1478513410);  // 2016-11-07T10:10:10Z
};

TEST_F(GeneratorTest, UndeployedInstancesAreLeftOut) {
  Generator generator(Options());
  const GenerationResult result = generator.GenerateService("svc");
  EXPECT_EQ(result.error, "");
  EXPECT_TRUE(result.changed);
  EXPECT_TRUE(Read().v1.empty());
}

TEST_F(GeneratorTest, MarkForDeploymentTagsAndTheNewestDeployWins) {
  Generator generator(Options());
  const absl::StatusOr<WrittenTag> tag =
      generator.MarkForDeployment("svc", "local.everything", first_.substr(0, 7), "alice@host");
  ASSERT_TRUE(tag.ok()) << tag.status();
  EXPECT_EQ(tag->tag, "paasta-local.everything-20161107T101010-deploy");
  EXPECT_EQ(tag->sha, first_);
  EXPECT_EQ(Git(repo_, {"rev-parse", tag->tag}), first_);
  config::Deployments deployments = Read();
  // main and the job share the deploy group ({cluster}.everything); canary does not.
  EXPECT_EQ(deployments.ForBranch("svc", "local.main")->GitSha(), first_);
  EXPECT_EQ(deployments.ForBranch("svc", "local.job")->GitSha(), first_);
  EXPECT_EQ(deployments.ForBranch("svc", "local.canary"), nullptr);

  now_ += absl::Hours(1);
  ASSERT_TRUE(generator.MarkForDeployment("svc", "local.everything", "HEAD", "alice@host").ok());
  deployments = Read();
  EXPECT_EQ(deployments.ForBranch("svc", "local.main")->GitSha(), second_);
  EXPECT_EQ(deployments.deploy_groups.at("local.everything").git_sha, second_);
}

TEST_F(GeneratorTest, StopStartRestartAndANewDeployResetsStop) {
  Generator generator(Options());
  ASSERT_TRUE(generator.MarkForDeployment("svc", "local.everything", first_, "").ok());
  now_ += absl::Minutes(1);
  auto stopped = generator.SetDesiredState("svc", {"main"}, {"local"}, StateChange::kStop, "bob");
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  ASSERT_EQ(stopped->size(), 1u);
  EXPECT_EQ((*stopped)[0].tag, "paasta-local.main-20161107T101110-stop");
  EXPECT_EQ((*stopped)[0].sha, first_);
  EXPECT_EQ(Read().ForBranch("svc", "local.main")->desired_state, config::DesiredState::kStop);
  EXPECT_EQ(Read().ForBranch("svc", "local.main")->force_bounce, "20161107T101110");
  EXPECT_EQ(Read().ForBranch("svc", "local.job")->desired_state, config::DesiredState::kStart);

  // restart: start with a new timestamp, so the force_bounce (and so the config
  // hash) changes.
  now_ += absl::Minutes(1);
  ASSERT_TRUE(generator.SetDesiredState("svc", {"main"}, {"local"}, StateChange::kRestart, "").ok());
  EXPECT_EQ(Read().ForBranch("svc", "local.main")->desired_state, config::DesiredState::kStart);
  EXPECT_EQ(Read().ForBranch("svc", "local.main")->force_bounce, "20161107T101210");
  // Twice in the same second: the next free second is taken.
  ASSERT_TRUE(generator.SetDesiredState("svc", {"main"}, {"local"}, StateChange::kRestart, "").ok());
  EXPECT_EQ(Read().ForBranch("svc", "local.main")->force_bounce, "20161107T101211");

  // Stop, then deploy a new commit: the stop was at the old sha, so it is gone.
  now_ += absl::Minutes(1);
  ASSERT_TRUE(generator.SetDesiredState("svc", {}, {"local"}, StateChange::kStop, "").status().code() ==
              absl::StatusCode::kFailedPrecondition)
      << "canary was never deployed: nothing is written";
  ASSERT_TRUE(generator.SetDesiredState("svc", {"main", "job"}, {"local"}, StateChange::kStop, "").ok());
  EXPECT_EQ(Read().ForBranch("svc", "local.job")->desired_state, config::DesiredState::kStop);
  now_ += absl::Minutes(1);
  ASSERT_TRUE(generator.MarkForDeployment("svc", "local.everything", second_, "").ok());
  EXPECT_EQ(Read().ForBranch("svc", "local.main")->desired_state, config::DesiredState::kStart);
  EXPECT_FALSE(Read().ForBranch("svc", "local.main")->force_bounce.has_value());
}

TEST_F(GeneratorTest, StateChangesOfUndeployedOrUnknownInstancesAreRefused) {
  Generator generator(Options());
  ASSERT_TRUE(generator.MarkForDeployment("svc", "local.everything", first_, "").ok());
  const std::string tags_before = Git(repo_, {"tag", "-l"});
  auto result = generator.SetDesiredState("svc", {"main", "canary"}, {"local"}, StateChange::kStop, "");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(result.status().message(),
            "No deploy tags found for deploy group local.canary of svc. Has svc been deployed "
            "there yet?");
  EXPECT_EQ(Git(repo_, {"tag", "-l"}), tags_before) << "nothing was written";
  result = generator.SetDesiredState("svc", {"nope"}, {"local"}, StateChange::kStop, "");
  EXPECT_EQ(result.status().message(), "svc.nope is not an instance in cluster local");
  result = generator.SetDesiredState("svc", {}, {"prod"}, StateChange::kStop, "");
  EXPECT_EQ(result.status().message(), "svc has no instances in cluster prod");
  result = generator.SetDesiredState("svc", {}, {}, StateChange::kStop, "");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(generator.MarkForDeployment("svc", "Local Everything", first_, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(generator.MarkForDeployment("svc", "local.everything", "nope", "").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(generator.MarkForDeployment("../svc", "local.everything", first_, "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(GeneratorTest, UnchangedContentLeavesTheFileAlone) {
  Generator generator(Options());
  int changes = 0;
  generator.OnChanged([&](const std::string& service) {
    EXPECT_EQ(service, "svc");
    ++changes;
  });
  ASSERT_TRUE(generator.MarkForDeployment("svc", "local.everything", first_, "").ok());
  EXPECT_EQ(changes, 1);
  const ino_t inode = Inode();
  const GenerationResult again = generator.GenerateService("svc");
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.refs_read, 1);
  EXPECT_EQ(Inode(), inode) << "an atomic rewrite would have a new inode";
  EXPECT_EQ(changes, 1);
}

TEST_F(GeneratorTest, ErrorsNameServiceAndUrlAndKeepThePreviousFile) {
  Generator generator(Options());
  ASSERT_TRUE(generator.MarkForDeployment("svc", "local.everything", first_, "").ok());
  const std::string before = *ReadFile(soa_ + "/svc/deployments.json");

  // An unreadable git_url.
  Write("svc/service.yaml", absl::StrCat("git_url: ", dir_, "/missing\n"));
  GenerationResult result = generator.GenerateService("svc");
  EXPECT_EQ(result.error, absl::StrCat("cannot read the tags of svc from ", dir_, "/missing: git repository ", dir_,
                                       "/missing does not exist"));
  EXPECT_EQ(*ReadFile(soa_ + "/svc/deployments.json"), before);

  // A corrupt repository.
  Write("svc/service.yaml", absl::StrCat("git_url: ", repo_, "\n"));
  ASSERT_TRUE(WriteFileAtomically(repo_ + "/.git/HEAD", "garbage").ok());
  ASSERT_TRUE(WriteFileAtomically(repo_ + "/.git/packed-refs", "garbage\n").ok());
  result = generator.GenerateService("svc");
  EXPECT_TRUE(absl::StrContains(result.error, "cannot read the tags of svc from " + repo_)) << result.error;
  EXPECT_EQ(*ReadFile(soa_ + "/svc/deployments.json"), before);

  // A config file that cannot be read: nothing is derived from it. (A bad key
  // of one instance does not stop the service: the deployer leaves that
  // instance as it runs.)
  Write("svc/marathon-local.yaml", "main: {cpus: [unclosed\n");
  result = generator.GenerateService("svc");
  EXPECT_TRUE(absl::StartsWith(result.error, "the soa-configs of svc have errors")) << result.error;
  EXPECT_TRUE(absl::StrContains(result.error, "marathon-local.yaml")) << result.error;
  EXPECT_EQ(*ReadFile(soa_ + "/svc/deployments.json"), before);
}

TEST_F(GeneratorTest, TwoGeneratorsRacingNeverLeaveATornFile) {
  Generator first(Options());
  Generator second(Options());
  ASSERT_TRUE(first.MarkForDeployment("svc", "local.everything", first_, "").ok());
  std::atomic<bool> done{false};
  std::vector<std::thread> racers;
  for (Generator* generator : {&first, &second}) {
    racers.emplace_back([&, generator] {
      while (!done) EXPECT_EQ(generator->GenerateService("svc").error, "");
    });
  }
  // Meanwhile deploys flip the content, and every read parses whole.
  for (int i = 0; i < 10; ++i) {
    now_ += absl::Minutes(1);
    ASSERT_TRUE(first.MarkForDeployment("svc", "local.everything", i % 2 ? first_ : second_, "").ok());
    for (int j = 0; j < 20; ++j) {
      absl::StatusOr<config::Deployments> read = config::ReadDeployments(soa_, "svc");
      ASSERT_TRUE(read.ok()) << read.status();
    }
  }
  done = true;
  for (std::thread& racer : racers) racer.join();
  EXPECT_EQ(Read().ForBranch("svc", "local.main")->GitSha(), first_);
}

TEST_F(GeneratorTest, WorkOnAServiceWaitsWhileAnotherProcessHoldsItsFolder) {
  Generator generator(Options());
  std::atomic<bool> marked{false};
  std::thread deploy;
  {
    DirectoryLock other_generator(soa_ + "/svc");  // as a second generator process holds it
    ASSERT_TRUE(other_generator.held());
    deploy = std::thread([&] {
      EXPECT_TRUE(generator.MarkForDeployment("svc", "local.everything", first_, "").ok());
      marked = true;
    });
    // An unguarded mark takes about 10 ms: it would be done many times over.
    absl::SleepFor(absl::Milliseconds(300));
    EXPECT_FALSE(marked);
    EXPECT_TRUE(absl::IsNotFound(ReadFile(soa_ + "/svc/deployments.json").status()));
  }
  deploy.join();
  EXPECT_TRUE(marked);
  EXPECT_EQ(Read().ForBranch("svc", "local.main")->GitSha(), first_);
}

TEST_F(GeneratorTest, GenerateAllGoesOnPastAFailingService) {
  ::mkdir((soa_ + "/broken").c_str(), 0755);
  Write("broken/service.yaml", absl::StrCat("git_url: ", dir_, "/nowhere\n"));
  Write("broken/marathon-local.yaml", "main: {}\n");
  Generator generator(Options());
  const auto results = generator.GenerateAll();
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(results->size(), 2u);
  EXPECT_NE((*results)[0].error, "");  // broken
  EXPECT_EQ((*results)[1].error, "");  // svc
}

}  // namespace
}  // namespace paasta::generator
