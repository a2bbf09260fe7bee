// The bootstrap in-process: graceful shutdown lets an in-flight call finish,
// turns health to NOT_SERVING for watchers, refuses new calls; the ports file
// names the bound ports; bad addresses are clear errors.
#include "common/server/daemon.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "protos/drainer.grpc.pb.h"
#include "protos/grpc/health.grpc.pb.h"

namespace paasta {
namespace {

// A drainer whose Drain blocks until released, to have a call in flight.
class BlockingDrainer : public v1::Drainer::Service {
 public:
  grpc::Status Drain(grpc::ServerContext*, const v1::DrainRequest*, v1::DrainResponse*) override {
    entered.Notify();
    release.WaitForNotificationWithTimeout(absl::Seconds(20));
    return grpc::Status::OK;
  }
  absl::Notification entered;
  absl::Notification release;
};

DaemonOptions TestOptions(const std::string& dir) {
  DaemonOptions options;
  options.name = "paasta-test";
  options.ports_file = dir + "/ports.json";
  options.shutdown_grace = absl::Seconds(15);
  return options;
}

TEST(DaemonTest, GracefulShutdownFinishesInFlightCallsAndTellsHealthWatchers) {
  const std::string dir = testing::NewTempDir("graceful");
  Daemon daemon(TestOptions(dir));
  BlockingDrainer drainer;
  daemon.AddService(&drainer);
  ASSERT_TRUE(daemon.Start().ok());

  // The ports file names what was bound.
  const auto ports = nlohmann::json::parse(*ReadFile(dir + "/ports.json"));
  EXPECT_EQ(ports.at("grpc"), absl::StrCat("127.0.0.1:", daemon.grpc_port()));
  EXPECT_EQ(ports.at("metrics"), absl::StrCat("127.0.0.1:", daemon.metrics_port()));

  auto channel = grpc::CreateChannel(daemon.grpc_address(), grpc::InsecureChannelCredentials());

  // A health watcher sees SERVING now.
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext watch_context;
  watch_context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  auto watch = health->Watch(&watch_context, grpc::health::v1::HealthCheckRequest());
  grpc::health::v1::HealthCheckResponse seen;
  ASSERT_TRUE(watch->Read(&seen));
  EXPECT_EQ(seen.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  // A call in flight.
  grpc::Status drain_status(grpc::StatusCode::UNKNOWN, "not finished");
  std::thread caller([&] {
    auto stub = v1::Drainer::NewStub(channel);
    grpc::ClientContext context;
    v1::DrainResponse response;
    drain_status = stub->Drain(&context, v1::DrainRequest(), &response);
  });
  ASSERT_TRUE(drainer.entered.WaitForNotificationWithTimeout(absl::Seconds(10)));

  int exit_code = -1;
  std::thread shutdown([&] {
    daemon.RequestShutdown();
    exit_code = daemon.WaitForShutdown();
  });

  // The watcher learns the server is going away.
  ASSERT_TRUE(watch->Read(&seen));
  EXPECT_EQ(seen.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  // A watch is a call in flight too: end it, or shutdown waits out the grace.
  watch_context.TryCancel();

  // New calls are refused while the in-flight one still runs.
  bool refused = false;
  for (int attempt = 0; attempt < 100 && !refused; ++attempt) {
    auto stub = v1::Drainer::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    v1::IsDrainingResponse response;
    refused = !stub->IsDraining(&context, v1::DrainRequest(), &response).ok();
    if (!refused) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(refused);
  EXPECT_FALSE(drainer.release.HasBeenNotified());

  // The in-flight call completes normally, then the daemon stops with 0.
  drainer.release.Notify();
  caller.join();
  shutdown.join();
  EXPECT_TRUE(drain_status.ok()) << drain_status.error_message();
  EXPECT_EQ(exit_code, 0);
}

TEST(DaemonTest, MalformedListenAddressesNameTheFlag) {
  DaemonOptions options;
  options.name = "paasta-test";
  options.grpc_listen = "localhost";
  Daemon daemon(options);
  const absl::Status status = daemon.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "--grpc_listen: address \"localhost\" is not host:port (e.g. 127.0.0.1:7701)");

  DaemonOptions metrics_options;
  metrics_options.name = "paasta-test";
  metrics_options.metrics_listen = "127.0.0.1:99999";
  Daemon metrics_daemon(metrics_options);
  EXPECT_EQ(metrics_daemon.Start().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DaemonTest, UnwritablePortsFileIsAnError) {
  DaemonOptions options;
  options.name = "paasta-test";
  options.ports_file = testing::NewTempDir("ports") + "/missing/ports.json";
  Daemon daemon(options);
  const absl::Status status = daemon.Start();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("--ports_file"), std::string::npos) << status;
}

}  // namespace
}  // namespace paasta
