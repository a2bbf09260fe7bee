// Lists a server's services through gRPC server reflection (v1alpha), as a
// generic client would. Test-only: see protos/grpc/reflection.proto.
#ifndef PAASTA_COMMON_TESTING_REFLECTION_H_
#define PAASTA_COMMON_TESTING_REFLECTION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"

namespace paasta::testing {

// The fully qualified names of every service the server exposes, sorted.
absl::StatusOr<std::vector<std::string>> ListServicesByReflection(
    const std::shared_ptr<grpc::Channel>& channel);

}  // namespace paasta::testing

#endif  // PAASTA_COMMON_TESTING_REFLECTION_H_
