// Tells the deployer to reconcile a service whose deployments.json changed,
// without waiting for the answer. If the deployer is down the failure is
// logged and nothing else happens: the deployer's own periodic pass catches up.
#ifndef PAASTA_DEPLOYER_GENERATOR_DEPLOYER_NOTIFIER_H_
#define PAASTA_DEPLOYER_GENERATOR_DEPLOYER_NOTIFIER_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "protos/deployer.grpc.pb.h"

namespace paasta::generator {

class DeployerNotifier {
 public:
  // `address` is the deployer's host:port; empty disables notifications.
  explicit DeployerNotifier(std::string address);
  // Waits (at most a few seconds) for calls still in flight.
  ~DeployerNotifier();

  // Asks for Reconcile(service) in the background. Thread-safe.
  void Reconcile(const std::string& service);

 private:
  const std::string address_;
  std::unique_ptr<v1::Deployer::Stub> stub_;

  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace paasta::generator

#endif  // PAASTA_DEPLOYER_GENERATOR_DEPLOYER_NOTIFIER_H_
