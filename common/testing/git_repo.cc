#include "common/testing/git_repo.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "gtest/gtest.h"

namespace paasta::testing {

std::string Git(const std::string& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/git", "-C", dir, "-c", "user.name=PaaSTA Test",
                                   "-c", "user.email=test@example.com", "-c",
                                   "init.defaultBranch=main", "-c", "tag.gpgSign=false",
                                   "-c", "commit.gpgSign=false"};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string output = NewTempDir("git-output") + "/out";
  auto child = ChildProcess::Start(argv, output, {"GIT_CONFIG_NOSYSTEM=1", "HOME=/nonexistent"});
  if (!child.ok()) {
    ADD_FAILURE() << "cannot run git: " << child.status();
    return "";
  }
  auto status = (*child)->Wait(absl::Seconds(60));
  const std::string text = (*child)->Output();
  if (!status.ok() || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    ADD_FAILURE() << "git " << args.front() << " failed in " << dir << ":\n" << text;
  }
  return std::string(absl::StripAsciiWhitespace(text));
}

void InitRepo(const std::string& path) {
  ::mkdir(path.c_str(), 0755);
  Git(path, {"init", "-q"});
}

std::string CommitFiles(const std::string& repo, const std::map<std::string, std::string>& files,
                        const std::string& message) {
  for (const auto& [name, content] : files) {
    const std::string path = absl::StrCat(repo, "/", name);
    const size_t slash = path.rfind('/');
    ::mkdir(path.substr(0, slash).c_str(), 0755);
    EXPECT_TRUE(WriteFileAtomically(path, content).ok());
    Git(repo, {"add", name});
  }
  Git(repo, {"commit", "-q", "--allow-empty", "-m", message});
  return Git(repo, {"rev-parse", "HEAD"});
}

void Tag(const std::string& repo, const std::string& name, const std::string& sha, bool annotated) {
  if (annotated) {
    Git(repo, {"tag", "-a", "-m", "annotated", name, sha});
  } else {
    Git(repo, {"tag", name, sha});
  }
}

}  // namespace paasta::testing
