#include "cli/commands.h"

#include <sstream>

#include "cli/daemon_client.h"
#include "gtest/gtest.h"

namespace paasta::cli {
namespace {

TEST(ParseExecutionDateTest, AcceptsTheOriginalFormatOnly) {
  absl::Time date;
  ASSERT_TRUE(ParseExecutionDate("2016-04-25T00:00:00", &date));
  EXPECT_EQ(absl::ToUnixSeconds(date), 1461542400);  // 2016-04-25T00:00:00Z
  // Each row would have been an argparse error in the original.
  for (const char* bad :
       {"2016-04-25", "2016-04-25 00:00:00", "yesterday", "2016-13-01T00:00:00", "2016-04-25T00:00:00Z", ""}) {
    EXPECT_FALSE(ParseExecutionDate(bad, &date)) << bad;
  }
}

TEST(ReportRpcFailureTest, UnimplementedSaysTheDaemonCannotDoItYet) {
  const DaemonEndpoint endpoint{"paasta-monitor", "--monitor", "127.0.0.1:7706"};
  std::ostringstream err;
  const int code = ReportRpcFailure(
      endpoint, grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "/paasta.v1.Monitor/ListAlerts is not implemented"), err);
  EXPECT_EQ(code, 3);
  EXPECT_NE(err.str().find("paasta-monitor at 127.0.0.1:7706 cannot do this yet"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace paasta::cli
