// The one table that maps status codes between absl::Status, gRPC and the exit
// codes of the paasta CLI.
//
// Exit codes follow the original CLI where it had a convention (1 = the thing
// asked for failed or is invalid) and add one for "could not reach a daemon":
//
//   0  OK
//   1  the request failed (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, ...)
//   2  a daemon could not be reached (UNAVAILABLE, DEADLINE_EXCEEDED) or bad usage
//   3  the daemon does not implement the request yet (UNIMPLEMENTED)
//   4  refused (PERMISSION_DENIED, UNAUTHENTICATED)
//   5  an internal error (INTERNAL, UNKNOWN, DATA_LOSS)
#ifndef PAASTA_COMMON_STATUS_MAP_H_
#define PAASTA_COMMON_STATUS_MAP_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace paasta {

// Converts an absl::Status to the gRPC status with the same code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Converts a gRPC status to the absl::Status with the same code and message.
absl::Status FromGrpcStatus(const grpc::Status& status);

// FromGrpcStatus with "<what>: " before the message, for a client's errors:
// FromGrpcStatus("cannot list apps on the agent at 127.0.0.1:7701", status).
absl::Status FromGrpcStatus(const std::string& what, const grpc::Status& status);

// Sets the call's deadline `timeout` from now.
void SetDeadlineIn(grpc::ClientContext* context, absl::Duration timeout);

// The paasta CLI's exit code for a status (see the table above).
int ExitCodeFor(const absl::Status& status);

// Exit code for bad command-line usage.
inline constexpr int kExitUsage = 2;

}  // namespace paasta

#endif  // PAASTA_COMMON_STATUS_MAP_H_
