#include "deployer/generator/change_notifier.h"

#include "absl/time/clock.h"
#include "common/grpc_channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "spdlog/spdlog.h"

namespace paasta::generator {
namespace {

// A reconcile pass may take a while (it can drain tasks); the answer is only logged.
constexpr absl::Duration kDeadline = absl::Seconds(60);

template <typename Request, typename Response>
struct Call {
  grpc::ClientContext context;
  Request request;
  Response response;
};

}  // namespace

ChangeNotifier::ChangeNotifier(std::string deployer_address, std::string bridge_address)
    : deployer_address_(std::move(deployer_address)), bridge_address_(std::move(bridge_address)) {
  if (!deployer_address_.empty()) {
    deployer_ = v1::Deployer::NewStub(paasta::DaemonChannel(deployer_address_));
  }
  if (!bridge_address_.empty()) {
    bridge_ = v1::SchedulerBridge::NewStub(paasta::DaemonChannel(bridge_address_));
  }
}

ChangeNotifier::~ChangeNotifier() {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](int* in_flight) { return *in_flight == 0; }, &in_flight_),
                       absl::Seconds(5));
}

void ChangeNotifier::Done(const std::string& daemon, const std::string& address, const std::string& request,
                          const grpc::Status& status) {
  if (status.ok()) {
    spdlog::info("{} did {}", daemon, request);
  } else {
    spdlog::warn("could not ask {} at {} to {} ({}); its own pass will pick the change up", daemon, address, request,
                 status.error_message());
  }
  absl::MutexLock lock(&mu_);
  --in_flight_;
}

void ChangeNotifier::Changed(const std::string& service) {
  if (deployer_ != nullptr) {
    auto* call = new Call<v1::ReconcileRequest, v1::ReconcileResponse>;
    call->request.set_service(service);
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + kDeadline));
    {
      absl::MutexLock lock(&mu_);
      ++in_flight_;
    }
    deployer_->async()->Reconcile(&call->context, &call->request, &call->response,
                                  [this, call, service](grpc::Status status) {
                                    Done("the deployer", deployer_address_, "reconcile " + service, status);
                                    delete call;
                                  });
  }
  if (bridge_ != nullptr) {
    auto* call = new Call<v1::SyncRequest, v1::SyncResponse>;
    call->request.set_service(service);
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + kDeadline));
    {
      absl::MutexLock lock(&mu_);
      ++in_flight_;
    }
    bridge_->async()->Sync(&call->context, &call->request, &call->response, [this, call, service](grpc::Status status) {
      Done("the scheduler bridge", bridge_address_, "sync " + service, status);
      delete call;
    });
  }
}

}  // namespace paasta::generator
