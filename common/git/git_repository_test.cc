// libgit2 against real repositories made with the git command line: plain paths
// (opened directly), file:// URLs (the remote route: ls-remote, mirror, push)
// and a real `git daemon` on 127.0.0.1 whose hook refuses pushes.
#include "common/git/git_repository.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "common/testing/git_repo.h"
#include "gtest/gtest.h"

namespace paasta::git {
namespace {

using ::paasta::testing::CommitFiles;
using ::paasta::testing::Git;
using ::paasta::testing::InitRepo;
using ::paasta::testing::NewTempDir;
using ::paasta::testing::Tag;

class GitRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = NewTempDir("git");
    repo_ = dir_ + "/service";
    cache_ = dir_ + "/cache";
    InitRepo(repo_);
    first_ = CommitFiles(repo_, {{"server.py", "v1"}}, "first");
    second_ = CommitFiles(repo_, {{"server.py", "v2"}, {"lib/util.py", "u"}}, "second");
    Tag(repo_, "paasta-local.everything-20161107T101010-deploy", first_);
    Tag(repo_, "paasta-local.main-20161108T000000-stop", second_, /*annotated=*/true);
    Tag(repo_, "v1.0", second_);
  }
  std::string dir_, repo_, cache_, first_, second_;
};

TEST_F(GitRepositoryTest, ListsPaastaTagsPeeledAndSorted) {
  for (const std::string& url : {repo_, "file://" + repo_}) {
    const absl::StatusOr<std::vector<Ref>> refs = ListTags(url);
    ASSERT_TRUE(refs.ok()) << url << ": " << refs.status();
    ASSERT_EQ(refs->size(), 2u) << url;
    EXPECT_EQ((*refs)[0].name, "refs/tags/paasta-local.everything-20161107T101010-deploy");
    EXPECT_EQ((*refs)[0].sha, first_);
    EXPECT_EQ((*refs)[1].name, "refs/tags/paasta-local.main-20161108T000000-stop");
    EXPECT_EQ((*refs)[1].sha, second_) << "the annotated tag is peeled to its commit";
  }
  // A bare repository too.
  Git(dir_, {"clone", "-q", "--bare", repo_, dir_ + "/bare.git"});
  const absl::StatusOr<std::vector<Ref>> bare = ListTags(dir_ + "/bare.git");
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(bare->size(), 2u);
}

TEST_F(GitRepositoryTest, UnusableRepositoriesAreClearErrors) {
  auto refs = ListTags(dir_ + "/missing");
  EXPECT_EQ(refs.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(refs.status().message(), absl::StrCat("git repository ", dir_, "/missing does not exist"));
  ::mkdir((dir_ + "/empty").c_str(), 0755);
  refs = ListTags(dir_ + "/empty");
  EXPECT_EQ(refs.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(refs.status().message(), dir_ + "/empty is not a usable git repository"));
  refs = ListTags("file://" + dir_ + "/missing");
  EXPECT_FALSE(refs.ok());
  EXPECT_TRUE(absl::StrContains(refs.status().message(), "file://" + dir_ + "/missing"));
}

TEST_F(GitRepositoryTest, ResolvesShasAndRefNames) {
  for (const std::string& url : {repo_, "file://" + repo_}) {
    EXPECT_EQ(*ResolveCommit(url, "HEAD", cache_), second_) << url;
    EXPECT_EQ(*ResolveCommit(url, first_.substr(0, 7), cache_), first_) << url;
    EXPECT_EQ(*ResolveCommit(url, first_, cache_), first_) << url;
    EXPECT_EQ(*ResolveCommit(url, "main", cache_), second_) << url;
    EXPECT_EQ(*ResolveCommit(url, "v1.0", cache_), second_) << url;
    EXPECT_EQ(ResolveCommit(url, "no-such-ref", cache_).status().code(), absl::StatusCode::kNotFound);
  }
}

TEST_F(GitRepositoryTest, CreatesTagsAndNeverMovesOne) {
  const std::string name = "paasta-local.everything-20161109T000000-deploy";
  ASSERT_TRUE(CreateTag(repo_, name, second_, cache_).ok());
  EXPECT_EQ(Git(repo_, {"rev-parse", name}), second_);
  const absl::Status again = CreateTag(repo_, name, first_, cache_);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists) << again;
  EXPECT_EQ(Git(repo_, {"rev-parse", name}), second_) << "the tag did not move";
  EXPECT_EQ(CreateTag(repo_, "bad name", second_, cache_).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateTag(repo_, "paasta-x", std::string(40, 'a'), cache_).code(), absl::StatusCode::kNotFound);
}

TEST_F(GitRepositoryTest, ChecksOutTheTreeOfACommitOncePerSha) {
  for (const std::string& url : {repo_, "file://" + repo_}) {
    const std::string cache = NewTempDir("checkout-cache");
    const absl::StatusOr<std::string> tree = Checkout(url, first_, cache);
    ASSERT_TRUE(tree.ok()) << url << ": " << tree.status();
    EXPECT_EQ(*tree, absl::StrCat(cache, "/checkouts/", first_));
    EXPECT_EQ(*ReadFile(*tree + "/server.py"), "v1");
    EXPECT_NE(::access((*tree + "/lib/util.py").c_str(), F_OK), 0) << "only the first commit's files";
    const absl::StatusOr<std::string> newer = Checkout(url, second_, cache);
    ASSERT_TRUE(newer.ok());
    EXPECT_EQ(*ReadFile(*newer + "/lib/util.py"), "u");
    // Cached: the same folder, untouched.
    ASSERT_TRUE(WriteFileAtomically(*tree + "/marker", "cached").ok());
    EXPECT_EQ(*Checkout(url, first_, cache), *tree);
    EXPECT_EQ(*ReadFile(*tree + "/marker"), "cached");
  }
  // The work tree of the repository itself is left alone.
  EXPECT_EQ(*ReadFile(repo_ + "/server.py"), "v2");
  EXPECT_EQ(Checkout(repo_, std::string(40, 'b'), NewTempDir("c")).status().code(), absl::StatusCode::kNotFound);
}

// A real git server: `git daemon` on 127.0.0.1 serving bare copies of the
// repository, one of them with a pre-receive hook that refuses every push.
class GitDaemonTest : public GitRepositoryTest {
 protected:
  void SetUp() override {
    GitRepositoryTest::SetUp();
    served_ = dir_ + "/served";
    ::mkdir(served_.c_str(), 0755);
    Git(dir_, {"clone", "-q", "--bare", repo_, served_ + "/svc.git"});
    Git(dir_, {"clone", "-q", "--bare", repo_, served_ + "/frozen.git"});
    const std::string hook = served_ + "/frozen.git/hooks/pre-receive";
    ASSERT_TRUE(WriteFileAtomically(hook, "#!/bin/sh\necho 'tags are frozen' >&2\nexit 1\n").ok());
    ASSERT_EQ(::chmod(hook.c_str(), 0755), 0);
    const int port = testing::ReserveLoopbackPort();
    auto daemon = testing::ChildProcess::Start(
        {"/usr/bin/git", "daemon", "--reuseaddr", "--listen=127.0.0.1", absl::StrCat("--port=", port),
         "--base-path=" + served_, "--export-all", "--enable=receive-pack", served_},
        dir_ + "/daemon.log");
    ASSERT_TRUE(daemon.ok());
    daemon_ = std::move(*daemon);
    base_ = absl::StrCat("git://127.0.0.1:", port, "/");
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (ListTags(base_ + "svc.git").ok()) return;
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "git daemon did not answer:\n" << daemon_->Output();
  }
  void TearDown() override {
    if (daemon_ != nullptr) daemon_->Signal(SIGTERM);
  }
  std::string served_, base_;
  std::unique_ptr<testing::ChildProcess> daemon_;
};

TEST_F(GitDaemonTest, ListsResolvesAndChecksOutOverTheWire) {
  const std::string url = base_ + "svc.git";
  const absl::StatusOr<std::vector<Ref>> refs = ListTags(url);
  ASSERT_TRUE(refs.ok()) << refs.status();
  ASSERT_EQ(refs->size(), 2u);
  EXPECT_EQ((*refs)[1].sha, second_) << "the annotated tag is peeled (its ^{} entry)";
  EXPECT_EQ(*ResolveCommit(url, "HEAD", cache_), second_);
  EXPECT_EQ(*ResolveCommit(url, first_.substr(0, 8), cache_), first_);
  const absl::StatusOr<std::string> tree = Checkout(url, first_, cache_);
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_EQ(*ReadFile(*tree + "/server.py"), "v1");
}

TEST_F(GitDaemonTest, PushesTagsAndNeverMovesOne) {
  const std::string url = base_ + "svc.git";
  const std::string name = "paasta-local.main-20161110T000000-start";
  const absl::Status created = CreateTag(url, name, first_, cache_);
  ASSERT_TRUE(created.ok()) << created;
  EXPECT_EQ(Git(served_ + "/svc.git", {"rev-parse", name}), first_);
  EXPECT_EQ(CreateTag(url, name, second_, cache_).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Git(served_ + "/svc.git", {"rev-parse", name}), first_) << "the tag did not move";
}

TEST_F(GitDaemonTest, ARefusedPushIsReportedWithTheRemotesReason) {
  const std::string url = base_ + "frozen.git";
  const absl::Status pushed = CreateTag(url, "paasta-local.main-20161111T000000-stop", first_, cache_);
  EXPECT_FALSE(pushed.ok());
  EXPECT_TRUE(absl::StrContains(pushed.message(), url)) << pushed;
  EXPECT_TRUE(absl::StrContains(pushed.message(), "paasta-local.main-20161111T000000-stop")) << pushed;
}

}  // namespace
}  // namespace paasta::git
