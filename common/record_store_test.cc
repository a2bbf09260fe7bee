#include "common/record_store.h"

#include <sys/wait.h>
#include <unistd.h>

#include "common/testing/child_process.h"
#include "gtest/gtest.h"

namespace paasta {
namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

TEST(RecordStoreTest, RecordsSurviveReopeningOrderedById) {
  const std::string path = testing::NewTempDir("records") + "/state.sqlite";
  {
    auto store = RecordStore::Open(path, {"jobs", "runs"});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Put("jobs", "b", "two").ok());
    ASSERT_TRUE((*store)->Put("jobs", "a", std::string("one\0bytes", 9)).ok());
    ASSERT_TRUE((*store)->Put("jobs", "b", "two again").ok());
    ASSERT_TRUE((*store)->Put("runs", "r", "run").ok());
    ASSERT_TRUE((*store)->Delete("runs", "r").ok());
    ASSERT_TRUE((*store)->Delete("runs", "never-there").ok());
  }
  auto store = RecordStore::Open(path, {"jobs", "runs"});
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->LoadAll("jobs"), (Rows{{"a", std::string("one\0bytes", 9)}, {"b", "two again"}}));
  EXPECT_TRUE((*store)->LoadAll("runs")->empty());
}

TEST(RecordStoreTest, AFailedTransactionWritesNothing) {
  auto store = RecordStore::Open(testing::NewTempDir("records") + "/state.sqlite", {"jobs"});
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("jobs", "kept", "1").ok());
  const absl::Status failed = (*store)->InTransaction([&] {
    EXPECT_TRUE((*store)->Put("jobs", "new", "2").ok());
    EXPECT_TRUE((*store)->Delete("jobs", "kept").ok());
    return absl::AbortedError("changed my mind");
  });
  EXPECT_EQ(failed.message(), "changed my mind");
  EXPECT_EQ(*(*store)->LoadAll("jobs"), (Rows{{"kept", "1"}}));
  ASSERT_TRUE((*store)
                  ->InTransaction([&] {
                    if (absl::Status s = (*store)->Put("jobs", "new", "2"); !s.ok()) return s;
                    return (*store)->Delete("jobs", "kept");
                  })
                  .ok());
  EXPECT_EQ(*(*store)->LoadAll("jobs"), (Rows{{"new", "2"}}));
}

TEST(RecordStoreTest, AProcessKilledMidTransactionLeavesTheLastCommit) {
  const std::string path = testing::NewTempDir("records") + "/state.sqlite";
  {
    auto store = RecordStore::Open(path, {"jobs"});
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Put("jobs", "committed", "yes").ok());
  }
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = RecordStore::Open(path, {"jobs"});
    if (!store.ok()) _exit(3);
    (*store)
        ->InTransaction([&] {
          (*store)->Put("jobs", "uncommitted", "no").IgnoreError();
          (*store)->Delete("jobs", "committed").IgnoreError();
          _exit(0);  // dies inside the transaction, as kill -9 would
          return absl::OkStatus();
        })
        .IgnoreError();
    _exit(4);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto store = RecordStore::Open(path, {"jobs"});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*(*store)->LoadAll("jobs"), (Rows{{"committed", "yes"}}));
}

TEST(RecordStoreTest, AnUnusablePathIsAnErrorNamingIt) {
  auto store = RecordStore::Open("/nonexistent/folder/state.sqlite", {"jobs"});
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("/nonexistent/folder/state.sqlite"), std::string::npos);
}

}  // namespace
}  // namespace paasta
