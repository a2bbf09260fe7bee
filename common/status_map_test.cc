#include "common/status_map.h"

#include "gtest/gtest.h"

namespace paasta {
namespace {

TEST(StatusMapTest, RoundTripsCodeAndMessage) {
  const absl::Status original = absl::NotFoundError("no app /x");
  const grpc::Status wire = ToGrpcStatus(original);
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(wire.error_message(), "no app /x");
  EXPECT_EQ(FromGrpcStatus(wire), original);
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST(StatusMapTest, ExitCodes) {
  // Each row: a status and the CLI exit code the table in status_map.h promises.
  struct Row {
    absl::Status status;
    int exit_code;
  };
  const Row rows[] = {
      {absl::OkStatus(), 0},
      {absl::InvalidArgumentError("bad"), 1},
      {absl::NotFoundError("missing"), 1},
      {absl::FailedPreconditionError("not deployed"), 1},
      {absl::UnavailableError("connection refused"), 2},
      {absl::DeadlineExceededError("slow"), 2},
      {absl::UnimplementedError("later"), 3},
      {absl::PermissionDeniedError("no"), 4},
      {absl::InternalError("bug"), 5},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(ExitCodeFor(row.status), row.exit_code) << row.status;
  }
}

}  // namespace
}  // namespace paasta
