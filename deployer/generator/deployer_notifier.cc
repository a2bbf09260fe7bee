#include "deployer/generator/deployer_notifier.h"

#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "spdlog/spdlog.h"

namespace paasta::generator {
namespace {

// A reconcile pass may take a while (it can drain tasks); the answer is only logged.
constexpr absl::Duration kReconcileDeadline = absl::Seconds(60);

struct Call {
  grpc::ClientContext context;
  v1::ReconcileRequest request;
  v1::ReconcileResponse response;
};

}  // namespace

DeployerNotifier::DeployerNotifier(std::string address) : address_(std::move(address)) {
  if (!address_.empty()) {
    stub_ = v1::Deployer::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }
}

DeployerNotifier::~DeployerNotifier() {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](int* in_flight) { return *in_flight == 0; }, &in_flight_),
                       absl::Seconds(5));
}

void DeployerNotifier::Reconcile(const std::string& service) {
  if (stub_ == nullptr) return;
  auto* call = new Call;
  call->request.set_service(service);
  call->context.set_deadline(absl::ToChronoTime(absl::Now() + kReconcileDeadline));
  {
    absl::MutexLock lock(&mu_);
    ++in_flight_;
  }
  stub_->async()->Reconcile(&call->context, &call->request, &call->response,
                            [this, call, service](grpc::Status status) {
                              if (status.ok()) {
                                spdlog::info("the deployer reconciled {}", service);
                              } else {
                                spdlog::warn(
                                    "could not ask the deployer at {} to reconcile {} ({}); its own "
                                    "pass will pick the change up",
                                    address_, service, status.error_message());
                              }
                              delete call;
                              absl::MutexLock lock(&mu_);
                              --in_flight_;
                            });
}

}  // namespace paasta::generator
