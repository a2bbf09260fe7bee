// Small file helpers: reading a whole file, and writing one atomically so that a
// crash at any moment leaves either the old content or the new one, never a torn
// file.
//
// Example:
//
//   RETURN_IF_ERROR(WriteFileAtomically("/nail/etc/services/svc/deployments.json",
//                                       json_text));
#ifndef PAASTA_COMMON_FILE_UTIL_H_
#define PAASTA_COMMON_FILE_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace paasta {

// Returns the content of `path`. NOT_FOUND if it does not exist, PERMISSION_DENIED
// if it cannot be read, INTERNAL for other I/O errors; the message names the path.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Replaces `path` with `content` atomically: writes a temporary file in the same
// folder, fsyncs it, renames it over `path` and fsyncs the folder. The file gets
// mode 0666 & ~umask. On error the previous file (if any) is untouched and the
// temporary file is removed. Safe to call concurrently for the same path: each
// writer uses its own temporary file and the last rename wins whole.
absl::Status WriteFileAtomically(const std::string& path, const std::string& content);

// Creates the folder `path` and any missing parents (as mkdir -p). OK if it
// exists; an error naming the path otherwise.
absl::Status MakeDirs(const std::string& path);

// Removes `path` and everything under it (symbolic links are removed, not
// followed). OK if it does not exist.
absl::Status RemoveTree(const std::string& path);

// Holds an exclusive advisory lock (flock) on the folder `path` from
// construction to destruction, waiting while another process, or another
// DirectoryLock in this one, holds it. The folder itself is locked rather than a
// lock file so that nothing is added to folders users keep in git. If the folder
// cannot be opened no lock is held (held() is false): callers go on, and the
// work they guard then fails on its own with an error naming the folder.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& path);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace paasta

#endif  // PAASTA_COMMON_FILE_UTIL_H_
