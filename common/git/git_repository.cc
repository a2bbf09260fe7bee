#include "common/git/git_repository.h"

#include <git2.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"

namespace paasta::git {
namespace {

void InitOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_libgit2_init();
    // Daemons run as one user and read repositories owned by others (the
    // safe.directory check would refuse them even for root).
    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
  });
}

// Remote mirrors are fetched and pushed under one lock.
std::mutex& MirrorMutex() {
  static auto* mutex = new std::mutex;
  return *mutex;
}

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const {
    if (p != nullptr) Free(p);
  }
};
using RepositoryPtr = std::unique_ptr<git_repository, Deleter<git_repository, git_repository_free>>;
using RemotePtr = std::unique_ptr<git_remote, Deleter<git_remote, git_remote_free>>;
using ObjectPtr = std::unique_ptr<git_object, Deleter<git_object, git_object_free>>;
using ReferencePtr = std::unique_ptr<git_reference, Deleter<git_reference, git_reference_free>>;
using IteratorPtr =
    std::unique_ptr<git_reference_iterator, Deleter<git_reference_iterator, git_reference_iterator_free>>;

std::string LastError() {
  const git_error* error = git_error_last();
  return error != nullptr && error->message != nullptr ? error->message : "unknown libgit2 error";
}

absl::Status GitError(int code, const std::string& what) {
  const std::string message = absl::StrCat(what, ": ", LastError());
  switch (code) {
    case GIT_ENOTFOUND:
      return absl::NotFoundError(message);
    case GIT_EEXISTS:
      return absl::AlreadyExistsError(message);
    case GIT_EAMBIGUOUS:
    case GIT_EINVALIDSPEC:
      return absl::InvalidArgumentError(message);
    default:
      return absl::UnavailableError(message);
  }
}

// The path of a repository on this machine (a plain path or a file:// URL), or
// false for a remote URL. Local repositories are opened directly: fastest, and
// libgit2's local transport cannot push into a repository with a work tree.
bool LocalPath(const std::string& url, std::string* path) {
  absl::string_view view = url;
  if (absl::ConsumePrefix(&view, "file://")) {
    *path = std::string(view);
    return true;
  }
  if (absl::StrContains(url, "://") || (absl::StrContains(url, ":") && !absl::StartsWith(url, "/") &&
                                        !absl::StartsWith(url, "."))) {
    return false;  // a URL, or scp-like user@host:path
  }
  *path = url;
  return true;
}

absl::StatusOr<RepositoryPtr> OpenLocal(const std::string& url, const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    return absl::NotFoundError(absl::StrCat("git repository ", url, " does not exist"));
  }
  git_repository* repo = nullptr;
  const int code = git_repository_open_ext(&repo, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
  if (code != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(url, " is not a usable git repository: ", LastError()));
  }
  return RepositoryPtr(repo);
}

absl::StatusOr<std::string> OidOf(const git_object* object) {
  char hex[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(hex, sizeof(hex), git_object_id(object));
  return std::string(hex);
}

// The bare mirror of a remote repository under cache_dir, fetched now. Call
// with MirrorMutex() held.
absl::StatusOr<RepositoryPtr> FetchMirror(const std::string& url, const std::string& cache_dir) {
  if (cache_dir.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("a cache folder is needed to work with the remote repository ", url));
  }
  const std::string path = absl::StrFormat("%s/mirrors/%016x.git", cache_dir, absl::Hash<std::string>()(url));
  ::mkdir(cache_dir.c_str(), 0755);
  ::mkdir(absl::StrCat(cache_dir, "/mirrors").c_str(), 0755);
  git_repository* repo = nullptr;
  if (git_repository_open_bare(&repo, path.c_str()) != 0) {
    if (const int code = git_repository_init(&repo, path.c_str(), /*is_bare=*/1); code != 0) {
      return GitError(code, absl::StrCat("cannot create a mirror of ", url, " in ", path));
    }
  }
  RepositoryPtr mirror(repo);
  git_remote* remote = nullptr;
  if (const int code = git_remote_create_anonymous(&remote, mirror.get(), url.c_str()); code != 0) {
    return GitError(code, absl::StrCat("cannot use ", url));
  }
  RemotePtr remote_ptr(remote);
  const char* refspecs[] = {"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"};
  const git_strarray specs = {const_cast<char**>(refspecs), 2};
  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  if (const int code = git_remote_connect(remote, GIT_DIRECTION_FETCH, &options.callbacks, nullptr,
                                          nullptr);
      code != 0) {
    return absl::UnavailableError(absl::StrCat("cannot reach ", url, ": ", LastError()));
  }
  // The mirror's HEAD follows the remote's default branch, so "HEAD" resolves
  // as it would in a clone.
  std::string default_branch;
  git_buf branch = GIT_BUF_INIT;
  if (git_remote_default_branch(&branch, remote) == 0) default_branch = branch.ptr;
  git_buf_dispose(&branch);
  if (const int code = git_remote_download(remote, &specs, &options); code != 0) {
    return GitError(code, absl::StrCat("cannot fetch from ", url));
  }
  if (const int code = git_remote_update_tips(remote, &options.callbacks, 0,
                                              GIT_REMOTE_DOWNLOAD_TAGS_UNSPECIFIED, nullptr);
      code != 0) {
    return GitError(code, absl::StrCat("cannot update the mirror of ", url));
  }
  git_remote_disconnect(remote);
  if (!default_branch.empty()) {
    git_repository_set_head(mirror.get(), default_branch.c_str());
  }
  return mirror;
}

// Opens the repository for `url`: the local one, or a fetched mirror.
absl::Status WithRepository(const std::string& url, const std::string& cache_dir,
                            const std::function<absl::Status(git_repository*, bool local)>& use) {
  InitOnce();
  std::string path;
  if (LocalPath(url, &path)) {
    absl::StatusOr<RepositoryPtr> repo = OpenLocal(url, path);
    if (!repo.ok()) return repo.status();
    return use(repo->get(), true);
  }
  std::lock_guard<std::mutex> lock(MirrorMutex());
  absl::StatusOr<RepositoryPtr> mirror = FetchMirror(url, cache_dir);
  if (!mirror.ok()) return mirror.status();
  return use(mirror->get(), false);
}

absl::StatusOr<ObjectPtr> LookupCommit(git_repository* repo, const std::string& url,
                                       const std::string& sha) {
  git_oid oid;
  if (sha.size() != GIT_OID_HEXSZ || git_oid_fromstr(&oid, sha.c_str()) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("\"", sha, "\" is not a full 40-hex sha"));
  }
  git_object* object = nullptr;
  if (git_object_lookup(&object, repo, &oid, GIT_OBJECT_COMMIT) != 0) {
    return absl::NotFoundError(absl::StrCat("commit ", sha, " is not in ", url));
  }
  return ObjectPtr(object);
}

}  // namespace

absl::StatusOr<std::vector<Ref>> ListTags(const std::string& url, const std::string& prefix) {
  InitOnce();
  std::vector<Ref> refs;
  std::string path;
  if (LocalPath(url, &path)) {
    absl::StatusOr<RepositoryPtr> repo = OpenLocal(url, path);
    if (!repo.ok()) return repo.status();
    git_reference_iterator* iterator = nullptr;
    const std::string glob = absl::StrCat(prefix, "*");
    if (const int code = git_reference_iterator_glob_new(&iterator, repo->get(), glob.c_str());
        code != 0) {
      return GitError(code, absl::StrCat("cannot list the refs of ", url));
    }
    IteratorPtr iterator_ptr(iterator);
    git_reference* ref = nullptr;
    while (git_reference_next(&ref, iterator) == 0) {
      ReferencePtr ref_ptr(ref);
      git_object* commit = nullptr;
      if (git_reference_peel(&commit, ref, GIT_OBJECT_COMMIT) != 0) continue;
      ObjectPtr commit_ptr(commit);
      refs.push_back({git_reference_name(ref), *OidOf(commit)});
    }
  } else {
    git_remote* remote = nullptr;
    if (const int code = git_remote_create_detached(&remote, url.c_str()); code != 0) {
      return GitError(code, absl::StrCat("cannot use ", url));
    }
    RemotePtr remote_ptr(remote);
    git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
    if (const int code = git_remote_connect(remote, GIT_DIRECTION_FETCH, &callbacks, nullptr, nullptr);
        code != 0) {
      return absl::UnavailableError(absl::StrCat("cannot reach ", url, ": ", LastError()));
    }
    const git_remote_head** heads = nullptr;
    size_t count = 0;
    if (const int code = git_remote_ls(&heads, &count, remote); code != 0) {
      return GitError(code, absl::StrCat("cannot list the refs of ", url));
    }
    // An annotated tag is listed twice: the tag object, then "<name>^{}" with
    // the commit it points at, which wins.
    std::map<std::string, std::string> by_name;
    for (size_t i = 0; i < count; ++i) {
      absl::string_view name = heads[i]->name;
      if (!absl::StartsWith(name, prefix)) continue;
      char hex[GIT_OID_HEXSZ + 1] = {};
      git_oid_tostr(hex, sizeof(hex), &heads[i]->oid);
      const bool peeled = absl::ConsumeSuffix(&name, "^{}");
      if (peeled || by_name.count(std::string(name)) == 0) by_name[std::string(name)] = hex;
    }
    for (const auto& [name, sha] : by_name) refs.push_back({name, sha});
  }
  std::sort(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) { return a.name < b.name; });
  return refs;
}

absl::StatusOr<std::string> ResolveCommit(const std::string& url, const std::string& rev,
                                          const std::string& cache_dir) {
  if (rev.empty()) return absl::InvalidArgumentError("no commit given");
  std::string sha;
  const absl::Status status = WithRepository(url, cache_dir, [&](git_repository* repo, bool) {
    git_object* object = nullptr;
    if (const int code = git_revparse_single(&object, repo, rev.c_str()); code != 0) {
      if (code == GIT_EAMBIGUOUS) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", rev, "\" is ambiguous in ", url, ": give more of the sha"));
      }
      return absl::NotFoundError(absl::StrCat("\"", rev, "\" names no commit in ", url));
    }
    ObjectPtr object_ptr(object);
    git_object* commit = nullptr;
    if (git_object_peel(&commit, object, GIT_OBJECT_COMMIT) != 0) {
      return absl::NotFoundError(absl::StrCat("\"", rev, "\" is not a commit in ", url));
    }
    ObjectPtr commit_ptr(commit);
    sha = *OidOf(commit);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return sha;
}

absl::Status CreateTag(const std::string& url, const std::string& name, const std::string& sha,
                       const std::string& cache_dir) {
  const std::string ref = absl::StrCat("refs/tags/", name);
  InitOnce();
  int valid = 0;
  if (git_reference_name_is_valid(&valid, ref.c_str()) != 0 || !valid) {
    return absl::InvalidArgumentError(absl::StrCat("\"", name, "\" is not a valid tag name"));
  }
  std::string path;
  const bool local = LocalPath(url, &path);
  if (!local) {
    // Refuse to move a tag: a push would silently overwrite it.
    absl::StatusOr<std::vector<Ref>> existing = ListTags(url, ref);
    if (!existing.ok()) return existing.status();
    for (const Ref& tag : *existing) {
      if (tag.name == ref) {
        return absl::AlreadyExistsError(absl::StrCat("tag ", name, " already exists in ", url));
      }
    }
  }
  return WithRepository(url, cache_dir, [&](git_repository* repo, bool is_local) -> absl::Status {
    absl::StatusOr<ObjectPtr> commit = LookupCommit(repo, url, sha);
    if (!commit.ok()) return commit.status();
    git_oid oid;
    const int code = git_tag_create_lightweight(&oid, repo, name.c_str(), commit->get(), /*force=*/0);
    if (code == GIT_EEXISTS && is_local) {
      return absl::AlreadyExistsError(absl::StrCat("tag ", name, " already exists in ", url));
    }
    if (code != 0 && code != GIT_EEXISTS) {
      return GitError(code, absl::StrCat("cannot create tag ", name, " in ", url));
    }
    if (is_local) return absl::OkStatus();

    git_remote* remote = nullptr;
    if (const int create = git_remote_create_anonymous(&remote, repo, url.c_str()); create != 0) {
      return GitError(create, absl::StrCat("cannot use ", url));
    }
    RemotePtr remote_ptr(remote);
    std::string refused;
    git_push_options options = GIT_PUSH_OPTIONS_INIT;
    options.callbacks.payload = &refused;
    options.callbacks.push_update_reference = [](const char* refname, const char* status,
                                                 void* payload) {
      if (status != nullptr) {
        *static_cast<std::string*>(payload) = absl::StrCat(refname, ": ", status);
      }
      return 0;
    };
    const std::string refspec = absl::StrCat(ref, ":", ref);
    const char* refspecs[] = {refspec.c_str()};
    const git_strarray specs = {const_cast<char**>(refspecs), 1};
    if (const int push = git_remote_push(remote, &specs, &options); push != 0) {
      return absl::UnavailableError(absl::StrCat("cannot push ", name, " to ", url, ": ", LastError()));
    }
    if (!refused.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(url, " refused the push of ", name, ": ", refused));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::string> Checkout(const std::string& url, const std::string& sha,
                                     const std::string& cache_dir) {
  const std::string checkouts = absl::StrCat(cache_dir, "/checkouts");
  const std::string target = absl::StrCat(checkouts, "/", sha);
  struct stat info;
  if (::stat(target.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) return target;
  ::mkdir(cache_dir.c_str(), 0755);
  ::mkdir(checkouts.c_str(), 0755);

  const absl::Status status = WithRepository(url, cache_dir, [&](git_repository* repo, bool) {
    absl::StatusOr<ObjectPtr> commit = LookupCommit(repo, url, sha);
    if (!commit.ok()) return commit.status();
    std::string temp = absl::StrCat(checkouts, "/.tmp-", sha, "-XXXXXX");
    if (::mkdtemp(temp.data()) == nullptr) {
      return absl::InternalError(absl::StrCat("cannot create a folder in ", checkouts, ": ",
                                              std::strerror(errno)));
    }
    git_checkout_options options = GIT_CHECKOUT_OPTIONS_INIT;
    options.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
    options.target_directory = temp.c_str();
    if (const int code = git_checkout_tree(repo, commit->get(), &options); code != 0) {
      const absl::Status error = GitError(code, absl::StrCat("cannot check out ", sha, " of ", url));
      RemoveTree(temp).IgnoreError();
      return error;
    }
    if (::rename(temp.c_str(), target.c_str()) != 0) {
      // Someone else finished the same checkout first: theirs is as good.
      RemoveTree(temp).IgnoreError();
      if (::stat(target.c_str(), &info) != 0) {
        return absl::InternalError(absl::StrCat("cannot rename into ", target, ": ",
                                                std::strerror(errno)));
      }
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return target;
}

}  // namespace paasta::git
