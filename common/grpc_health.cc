#include "common/grpc_health.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_map.h"
#include "grpcpp/client_context.h"
#include "protos/grpc/health.grpc.pb.h"

namespace paasta {

absl::StatusOr<std::string> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                        const std::string& service, absl::Duration timeout) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
}

absl::Status WaitForServing(const std::shared_ptr<grpc::Channel>& channel,
                            const std::string& service, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last = "no answer yet";
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    const auto answer = CheckHealth(channel, service, std::min(left, absl::Seconds(1)));
    if (answer.ok() && *answer == "SERVING") return absl::OkStatus();
    last = answer.ok() ? *answer : answer.status().ToString();
    absl::SleepFor(std::min(deadline - absl::Now(), absl::Milliseconds(50)));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("not SERVING after ", absl::FormatDuration(timeout), ": ", last));
}

}  // namespace paasta
