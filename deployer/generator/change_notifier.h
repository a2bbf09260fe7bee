// Tells the daemons that act on deployments.json that a service's changed: the
// deployer (Reconcile) and the scheduler bridge (Sync), without waiting for
// their answers. If one is down the failure is logged and nothing else
// happens: its own periodic pass catches up.
#ifndef PAASTA_DEPLOYER_GENERATOR_CHANGE_NOTIFIER_H_
#define PAASTA_DEPLOYER_GENERATOR_CHANGE_NOTIFIER_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "protos/deployer.grpc.pb.h"
#include "protos/scheduler_bridge.grpc.pb.h"

namespace paasta::generator {

class ChangeNotifier {
 public:
  // host:port of the deployer and of the scheduler bridge; an empty address
  // disables that notification.
  ChangeNotifier(std::string deployer_address, std::string bridge_address);
  // Waits (at most a few seconds) for calls still in flight.
  ~ChangeNotifier();

  // Asks for Reconcile(service) and Sync(service) in the background. Thread-safe.
  void Changed(const std::string& service);

 private:
  // Logs the outcome of one call and counts it done.
  void Done(const std::string& daemon, const std::string& address, const std::string& request,
            const grpc::Status& status);

  const std::string deployer_address_;
  const std::string bridge_address_;
  std::unique_ptr<v1::Deployer::Stub> deployer_;
  std::unique_ptr<v1::SchedulerBridge::Stub> bridge_;

  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace paasta::generator

#endif  // PAASTA_DEPLOYER_GENERATOR_CHANGE_NOTIFIER_H_
