// Real git repositories for tests, made with the git command line.
#ifndef PAASTA_COMMON_TESTING_GIT_REPO_H_
#define PAASTA_COMMON_TESTING_GIT_REPO_H_

#include <map>
#include <string>
#include <vector>

namespace paasta::testing {

// Runs `git <args>` in `dir`; returns its stdout (trimmed). Fails the current
// test (ADD_FAILURE) when git exits non-zero.
std::string Git(const std::string& dir, const std::vector<std::string>& args);

// Creates a repository with a work tree at `path` (made if missing).
void InitRepo(const std::string& path);

// Writes `files` (path -> content) into the work tree, commits them, and returns
// the new commit's sha.
std::string CommitFiles(const std::string& repo, const std::map<std::string, std::string>& files,
                        const std::string& message);

// Creates tag `name` at `sha` (annotated when `annotated`).
void Tag(const std::string& repo, const std::string& name, const std::string& sha,
         bool annotated = false);

}  // namespace paasta::testing

#endif  // PAASTA_COMMON_TESTING_GIT_REPO_H_
