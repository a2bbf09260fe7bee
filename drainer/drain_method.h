// Drain methods: how a task leaves its load balancer before the deployer kills
// it (../shared/reference/paasta-behaviour.md §5). One interface, four
// implementations chosen per instance by `drain_method` and configured by
// `drain_method_params`:
//
//   noop     never drains; always safe to kill
//   test     remembers drained tasks in memory (as the original's class
//            variables did); safe to kill once drained
//   hacheck  marks the task down on the hacheck of its host; safe to kill once
//            it has been down longer than `delay`
//   http     the generic method: URL templates for each step, success codes
//
// Example:
//
//   DrainContext context{&clock, &test_state};
//   ASSIGN_OR_RETURN(std::unique_ptr<DrainMethod> method,
//                    CreateDrainMethod("hacheck", params, context));
//   RETURN_IF_ERROR(method->Drain(task));
//   ASSIGN_OR_RETURN(bool safe, method->IsSafeToKill(task));
#ifndef PAASTA_DRAINER_DRAIN_METHOD_H_
#define PAASTA_DRAINER_DRAIN_METHOD_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/config/config_value.h"

namespace paasta::drainer {

// The task to drain.
struct DrainTask {
  std::string service;
  std::string instance;
  // The smartstack (nerve) namespace; the hacheck name is "<service>.<nerve_ns>".
  std::string nerve_ns;
  std::string task_id;
  std::string host;
  // The task's main port (ports[0]).
  int port = 0;
};

class DrainMethod {
 public:
  virtual ~DrainMethod() = default;
  // Starts draining (idempotent). An error carries the backend's cause.
  virtual absl::Status Drain(const DrainTask& task) = 0;
  // Puts the task back into service.
  virtual absl::Status StopDraining(const DrainTask& task) = 0;
  // Whether the task is being drained.
  virtual absl::StatusOr<bool> IsDraining(const DrainTask& task) = 0;
  // Whether the task may be killed without dropping traffic.
  virtual absl::StatusOr<bool> IsSafeToKill(const DrainTask& task) = 0;
};

// The `test` method's memory: task ids marked down, and those safe to kill.
// Thread-safe; lives as long as the drainer.
class TestDrainState {
 public:
  void MarkDown(const std::string& task_id);
  void MarkUp(const std::string& task_id);
  bool IsDown(const std::string& task_id);

 private:
  absl::Mutex mu_;
  std::set<std::string> down_ ABSL_GUARDED_BY(mu_);
};

// What methods share across calls.
struct DrainContext {
  // Not owned; outlive the methods created.
  Clock* clock = nullptr;
  TestDrainState* test_state = nullptr;
  // Every HTTP call (hacheck, http) ends within this.
  absl::Duration http_timeout = absl::Seconds(5);
};

// The method names, sorted: hacheck, http, noop, test.
const std::vector<std::string>& DrainMethodNames();

// Creates `name` configured by `params` (a map, or null for none).
// INVALID_ARGUMENT for an unknown method ("drain_method not recognized: X. Must
// be one of (...)") or unusable parameters (naming the parameter).
absl::StatusOr<std::unique_ptr<DrainMethod>> CreateDrainMethod(const std::string& name,
                                                               const config::ConfigValue& params,
                                                               const DrainContext& context);

}  // namespace paasta::drainer

#endif  // PAASTA_DRAINER_DRAIN_METHOD_H_
