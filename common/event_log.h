// The events a daemon recorded about services (bounce steps, deploy errors,
// jobs set up or removed, reruns), kept in memory for `paasta logs`: the last
// `capacity` events since the daemon started, oldest first. Thread-safe.
//
// Example:
//
//   EventLog events("deployer", &clock);
//   events.Record("example_service", "main", "crossover bounce: created app ...");
//   events.RecordChange("example_service", "main", "cannot deploy: ...");  // once while it repeats
//   v1::ListEventsResponse listed = events.List(request);
#ifndef PAASTA_COMMON_EVENT_LOG_H_
#define PAASTA_COMMON_EVENT_LOG_H_

#include <deque>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "protos/types.pb.h"

namespace paasta {

class EventLog {
 public:
  EventLog(std::string source, Clock* clock, size_t capacity = 10000);

  // Records an event now.
  void Record(const std::string& service, const std::string& instance, const std::string& message);

  // Records an event unless the last one recorded through RecordChange for
  // this service.instance said the same (a state that lasts over many passes
  // is told once, and again after it changed). An empty message records
  // nothing and forgets the last one (the state is over).
  void RecordChange(const std::string& service, const std::string& instance, const std::string& message);

  // The service's events matching the request, oldest first. INVALID_ARGUMENT
  // without a service.
  absl::StatusOr<v1::ListEventsResponse> List(const v1::ListEventsRequest& request) const;

 private:
  const std::string source_;
  Clock* const clock_;
  const size_t capacity_;

  mutable absl::Mutex mu_;
  std::deque<v1::ServiceEvent> events_ ABSL_GUARDED_BY(mu_);
  // The last RecordChange message by "service.instance".
  std::map<std::string, std::string> last_change_ ABSL_GUARDED_BY(mu_);
};

}  // namespace paasta

#endif  // PAASTA_COMMON_EVENT_LOG_H_
