// Client side of gRPC health checking (grpc.health.v1), for the CLI, the
// supervisor and tests: is a daemon up, and wait until it is.
//
// Example:
//
//   auto channel = grpc::CreateChannel("127.0.0.1:7701", grpc::InsecureChannelCredentials());
//   RETURN_IF_ERROR(WaitForServing(channel, "", absl::Seconds(10)));
#ifndef PAASTA_COMMON_GRPC_HEALTH_H_
#define PAASTA_COMMON_GRPC_HEALTH_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"

namespace paasta {

// The serving status of `service` ("" = the whole server) as the server reports
// it: "SERVING", "NOT_SERVING", "UNKNOWN". Errors are the RPC's status
// (UNAVAILABLE when nothing answers within `timeout`).
absl::StatusOr<std::string> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                        const std::string& service, absl::Duration timeout);

// Polls CheckHealth until it says SERVING. DEADLINE_EXCEEDED after `timeout`,
// with the last answer or error in the message.
absl::Status WaitForServing(const std::shared_ptr<grpc::Channel>& channel,
                            const std::string& service, absl::Duration timeout);

}  // namespace paasta

#endif  // PAASTA_COMMON_GRPC_HEALTH_H_
