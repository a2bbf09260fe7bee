#include "common/file_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace paasta {
namespace {

int CountEntries(const std::string& dir) {
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return -1;
  int count = 0;
  while (const dirent* entry = ::readdir(handle)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") ++count;
  }
  ::closedir(handle);
  return count;
}

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

TEST(FileUtilTest, WritesAndReadsBack) {
  const std::string path = TempDir() + "/write_read.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  EXPECT_EQ(*ReadFile(path), "first");
  ASSERT_TRUE(WriteFileAtomically(path, "second, longer").ok());
  EXPECT_EQ(*ReadFile(path), "second, longer");
}

TEST(FileUtilTest, ModeFollowsUmask) {
  const std::string path = TempDir() + "/mode.txt";
  const mode_t old_mask = ::umask(022);
  ASSERT_TRUE(WriteFileAtomically(path, "x").ok());
  ::umask(old_mask);
  struct stat info;
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);
}

TEST(FileUtilTest, MissingFileIsNotFoundAndNamesThePath) {
  const std::string path = TempDir() + "/does-not-exist";
  const auto content = ReadFile(path);
  ASSERT_FALSE(content.ok());
  EXPECT_EQ(content.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(content.status().message().find(path), std::string::npos);
}

TEST(FileUtilTest, FailedWriteLeavesThePreviousContentAndNoTemporaryFiles) {
  // The rename fails because the target is a non-empty folder (a failure that
  // root cannot bypass, unlike permissions).
  const std::string dir = TempDir() + "/failing";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  const std::string target = dir + "/target";
  ASSERT_EQ(::mkdir(target.c_str(), 0755), 0);
  ASSERT_TRUE(WriteFileAtomically(target + "/keep", "old").ok());

  const absl::Status status = WriteFileAtomically(target, "new");
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find(target), std::string::npos) << status;
  EXPECT_EQ(*ReadFile(target + "/keep"), "old");

  // Only the target folder is left: the temporary file was removed.
  EXPECT_EQ(CountEntries(dir), 1);
}

TEST(FileUtilTest, MissingFolderIsAnErrorNamingIt) {
  const std::string path = TempDir() + "/no/such/folder/file";
  const absl::Status status = WriteFileAtomically(path, "x");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(status.message().find(TempDir() + "/no/such/folder"), std::string::npos) << status;
}

TEST(FileUtilTest, ConcurrentWritersNeverLeaveATornFile) {
  const std::string path = TempDir() + "/race.txt";
  const std::string a(200000, 'a');
  const std::string b(100000, 'b');
  std::vector<std::thread> writers;
  for (int i = 0; i < 4; ++i) {
    writers.emplace_back([&, i] {
      for (int j = 0; j < 25; ++j) {
        ASSERT_TRUE(WriteFileAtomically(path, i % 2 == 0 ? a : b).ok());
      }
    });
  }
  // Meanwhile every read sees one whole version.
  for (int j = 0; j < 200; ++j) {
    const auto content = ReadFile(path);
    if (!content.ok()) continue;  // before the first rename
    EXPECT_TRUE(*content == a || *content == b) << "torn read of " << content->size() << " bytes";
  }
  for (auto& writer : writers) writer.join();
}

TEST(FileUtilTest, RemoveTreeRemovesEverythingButFollowsNoLink) {
  const std::string outside = TempDir() + "/outside";
  ASSERT_EQ(::mkdir(outside.c_str(), 0755), 0);
  ASSERT_TRUE(WriteFileAtomically(outside + "/keep", "x").ok());
  const std::string tree = TempDir() + "/tree";
  ASSERT_EQ(::mkdir(tree.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((tree + "/sub").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFileAtomically(tree + "/sub/file", "x").ok());
  ASSERT_EQ(::symlink(outside.c_str(), (tree + "/link").c_str()), 0);
  ASSERT_TRUE(RemoveTree(tree).ok());
  EXPECT_NE(::access(tree.c_str(), F_OK), 0);
  EXPECT_EQ(*ReadFile(outside + "/keep"), "x");
  EXPECT_TRUE(RemoveTree(tree).ok());  // already gone
}

// Whether another open description of `dir` could take its lock right now.
bool Lockable(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool locked = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  ::close(fd);
  return locked;
}

TEST(FileUtilTest, DirectoryLockHoldsTheFolderUntilDestroyed) {
  const std::string dir = absl::StrCat(TempDir(), "/locked");
  ASSERT_TRUE(MakeDirs(dir).ok());
  {
    DirectoryLock lock(dir);
    EXPECT_TRUE(lock.held());
    EXPECT_FALSE(Lockable(dir));
    EXPECT_EQ(CountEntries(dir), 0);  // nothing is added to the folder
  }
  EXPECT_TRUE(Lockable(dir));
}

TEST(FileUtilTest, DirectoryLockOfAMissingFolderIsNotHeld) {
  DirectoryLock lock(absl::StrCat(TempDir(), "/no-such-folder"));
  EXPECT_FALSE(lock.held());
}

}  // namespace
}  // namespace paasta
