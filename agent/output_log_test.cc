#include "agent/output_log.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "gtest/gtest.h"

namespace paasta::agent {
namespace {

void Append(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
}

std::vector<std::string> Texts(const std::vector<OutputLine>& lines) {
  std::vector<std::string> texts;
  for (const OutputLine& line : lines) texts.push_back(line.stream + ":" + line.text);
  return texts;
}

TEST(OutputLogTest, EachLineGetsThePassThatFirstSawIt) {
  const std::string sandbox = paasta::testing::NewTempDir("sandbox");
  int64_t sizes[2] = {0, 0};
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  Append(sandbox + "/stdout", "one\ntw");
  IndexOutput(sandbox, sizes, t0);
  Append(sandbox + "/stdout", "o\nthree\n");
  Append(sandbox + "/stderr", "oops\n");
  IndexOutput(sandbox, sizes, t0 + absl::Seconds(1));
  IndexOutput(sandbox, sizes, t0 + absl::Seconds(2));  // nothing new: no record
  Append(sandbox + "/stdout", "not indexed yet\n");

  std::vector<OutputLine> lines = ReadTaskOutput("t1", sandbox, absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_EQ(Texts(lines), (std::vector<std::string>{"stdout:one", "stdout:two", "stdout:three", "stderr:oops"}));
  EXPECT_EQ(lines[0].time, t0);
  EXPECT_EQ(lines[1].time, t0) << "its first byte was seen at t0";
  EXPECT_EQ(lines[2].time, t0 + absl::Seconds(1));
  EXPECT_EQ(lines[3].time, t0 + absl::Seconds(1));
  EXPECT_EQ(lines[3].task_id, "t1");
  EXPECT_EQ(*ReadFile(sandbox + "/stdout.times"), "1000000000 6\n1001000000 14\n") << "no record without growth";

  // (since, until] selects by time.
  EXPECT_EQ(Texts(ReadTaskOutput("t1", sandbox, t0, t0 + absl::Seconds(1))),
            (std::vector<std::string>{"stdout:three", "stderr:oops"}));
  EXPECT_TRUE(ReadTaskOutput("t1", sandbox, t0 + absl::Seconds(1), absl::InfiniteFuture()).empty());
}

TEST(OutputLogTest, PartialLastLineWaitsUntilTheTaskEnds) {
  const std::string sandbox = paasta::testing::NewTempDir("sandbox");
  int64_t sizes[2] = {0, 0};
  Append(sandbox + "/stdout", "done\nprompt> ");
  IndexOutput(sandbox, sizes, absl::FromUnixSeconds(1000));
  EXPECT_EQ(Texts(ReadTaskOutput("t", sandbox, absl::InfinitePast(), absl::InfiniteFuture())),
            (std::vector<std::string>{"stdout:done"}));
  ASSERT_TRUE(WriteFileAtomically(sandbox + "/exit_status", "exited 0\n").ok());
  EXPECT_EQ(Texts(ReadTaskOutput("t", sandbox, absl::InfinitePast(), absl::InfiniteFuture())),
            (std::vector<std::string>{"stdout:done", "stdout:prompt> "}));
}

TEST(OutputLogTest, RotationMovesTheIndexWithTheFile) {
  const std::string sandbox = paasta::testing::NewTempDir("sandbox");
  int64_t sizes[2] = {0, 0};
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  Append(sandbox + "/stdout", "old line 1\nold line 2\n");
  IndexOutput(sandbox, sizes, t0);
  RotateOutput(sandbox, /*limit=*/10, sizes);
  EXPECT_EQ(sizes[0], 0);
  EXPECT_EQ(*ReadFile(sandbox + "/stdout"), "");
  Append(sandbox + "/stdout", "new line\n");
  IndexOutput(sandbox, sizes, t0 + absl::Seconds(5));
  const std::vector<OutputLine> lines = ReadTaskOutput("t", sandbox, absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_EQ(Texts(lines), (std::vector<std::string>{"stdout:old line 1", "stdout:old line 2", "stdout:new line"}));
  EXPECT_EQ(lines[1].time, t0);
  EXPECT_EQ(lines[2].time, t0 + absl::Seconds(5));
  EXPECT_LT(lines[1].sequence, lines[2].sequence);
}

}  // namespace
}  // namespace paasta::agent
