// A service's git repository as the platform uses it, through libgit2: list the
// paasta tags (like `git ls-remote`, no clone), resolve a commit, create a tag
// (never moving an existing one), and materialize the tree of a commit.
//
// `url` is service.yaml's git_url: a local path, a file:// URL, or any URL
// libgit2 can fetch from (git://, ssh://, https://). A repository on this
// machine is opened directly (reading packed-refs is the fast path); a remote
// one is listed like `git ls-remote`, mirrored under `cache_dir` when objects
// are needed (checkout, tagging), and tags are pushed back to it.
//
// Example:
//
//   ASSIGN_OR_RETURN(std::vector<git::Ref> tags, git::ListTags(url));
//   ASSIGN_OR_RETURN(std::string sha, git::ResolveCommit(url, "HEAD", cache_dir));
//   RETURN_IF_ERROR(git::CreateTag(url, "paasta-local.everything-20161107T101010-deploy", sha,
//                                  cache_dir));
//   ASSIGN_OR_RETURN(std::string tree, git::Checkout(url, sha, cache_dir));
//
// All functions are thread-safe. Errors name the repository's URL.
#ifndef PAASTA_COMMON_GIT_GIT_REPOSITORY_H_
#define PAASTA_COMMON_GIT_GIT_REPOSITORY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace paasta::git {

// A ref and the commit it points at (annotated tags are peeled).
struct Ref {
  // Full name, e.g. "refs/tags/paasta-local.everything-20161107T101010-deploy".
  std::string name;
  // 40 hex digits.
  std::string sha;
};

// The refs whose names start with `prefix`, sorted by name. Refs that do not
// point at a commit are left out. NOT_FOUND when a local repository does not
// exist; UNAVAILABLE when a remote cannot be reached; INVALID_ARGUMENT for an
// unusable URL.
absl::StatusOr<std::vector<Ref>> ListTags(const std::string& url,
                                          const std::string& prefix = "refs/tags/paasta-");

// Resolves a full or abbreviated sha or a ref name ("HEAD", "main",
// "refs/tags/v1") to a commit's full sha. NOT_FOUND when it names no commit.
absl::StatusOr<std::string> ResolveCommit(const std::string& url, const std::string& rev,
                                          const std::string& cache_dir);

// Creates the lightweight tag refs/tags/<name> at commit `sha`: directly in a
// local repository, by push for a remote one. ALREADY_EXISTS if the tag exists
// (tags are never moved); FAILED_PRECONDITION with the remote's reason when a
// push is refused; NOT_FOUND when `sha` is not a commit of the repository.
absl::Status CreateTag(const std::string& url, const std::string& name, const std::string& sha,
                       const std::string& cache_dir);

// The tree of commit `sha`, materialized once per sha in
// <cache_dir>/checkouts/<sha> (written to a temporary folder, then renamed, so a
// crash never leaves a partial checkout under that name). Returns its path.
absl::StatusOr<std::string> Checkout(const std::string& url, const std::string& sha,
                                     const std::string& cache_dir);

}  // namespace paasta::git

#endif  // PAASTA_COMMON_GIT_GIT_REPOSITORY_H_
