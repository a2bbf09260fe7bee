#include "common/testing/reflection.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "common/status_map.h"
#include "grpcpp/client_context.h"
#include "protos/grpc/reflection.grpc.pb.h"

namespace paasta::testing {

absl::StatusOr<std::vector<std::string>> ListServicesByReflection(
    const std::shared_ptr<grpc::Channel>& channel) {
  using grpc::reflection::v1alpha::ServerReflection;
  using grpc::reflection::v1alpha::ServerReflectionRequest;
  using grpc::reflection::v1alpha::ServerReflectionResponse;

  auto stub = ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  auto stream = stub->ServerReflectionInfo(&context);
  ServerReflectionRequest request;
  request.set_list_services("*");
  if (!stream->Write(request)) return FromGrpcStatus(stream->Finish());
  stream->WritesDone();
  ServerReflectionResponse response;
  if (!stream->Read(&response)) return FromGrpcStatus(stream->Finish());
  const grpc::Status status = stream->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  if (response.has_error_response()) {
    return absl::Status(static_cast<absl::StatusCode>(response.error_response().error_code()),
                        response.error_response().error_message());
  }
  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace paasta::testing
