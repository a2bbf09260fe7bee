// A DrainClient for tests and benchmarks that do not exercise draining: every
// task is safe to kill at once (the `noop` drain method's answers).
#ifndef PAASTA_DEPLOYER_TESTING_INSTANT_DRAINER_H_
#define PAASTA_DEPLOYER_TESTING_INSTANT_DRAINER_H_

#include "deployer/orchestrator.h"

namespace paasta::deployer::testing {

class InstantDrainer : public DrainClient {
 public:
  absl::Status Drain(const DrainTarget&) override { return absl::OkStatus(); }
  absl::Status StopDraining(const DrainTarget&) override { return absl::OkStatus(); }
  absl::StatusOr<bool> IsDraining(const DrainTarget&) override { return false; }
  absl::StatusOr<bool> IsSafeToKill(const DrainTarget&) override { return true; }
};

}  // namespace paasta::deployer::testing

#endif  // PAASTA_DEPLOYER_TESTING_INSTANT_DRAINER_H_
