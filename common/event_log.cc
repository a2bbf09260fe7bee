#include "common/event_log.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"

namespace paasta {

using google::protobuf::util::TimeUtil;

EventLog::EventLog(std::string source, Clock* clock, size_t capacity)
    : source_(std::move(source)), clock_(clock), capacity_(std::max<size_t>(capacity, 1)) {}

void EventLog::Record(const std::string& service, const std::string& instance, const std::string& message) {
  v1::ServiceEvent event;
  *event.mutable_time() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(clock_->Now()));
  event.set_service(service);
  event.set_instance(instance);
  event.set_source(source_);
  event.set_message(message);
  absl::MutexLock lock(&mu_);
  events_.push_back(std::move(event));
  while (events_.size() > capacity_) events_.pop_front();
}

void EventLog::RecordChange(const std::string& service, const std::string& instance, const std::string& message) {
  {
    absl::MutexLock lock(&mu_);
    const std::string key = absl::StrCat(service, ".", instance);
    if (message.empty()) {
      last_change_.erase(key);
      return;
    }
    std::string& last = last_change_[key];
    if (last == message) return;
    last = message;
  }
  Record(service, instance, message);
}

absl::StatusOr<v1::ListEventsResponse> EventLog::List(const v1::ListEventsRequest& request) const {
  if (request.service().empty()) return absl::InvalidArgumentError("service is required");
  const bool since = request.has_since();
  v1::ListEventsResponse response;
  absl::MutexLock lock(&mu_);
  for (const v1::ServiceEvent& event : events_) {
    if (event.service() != request.service()) continue;
    if (since && TimeUtil::TimestampToNanoseconds(event.time()) <= TimeUtil::TimestampToNanoseconds(request.since())) {
      continue;
    }
    if (!request.instances().empty() && std::find(request.instances().begin(), request.instances().end(),
                                                  event.instance()) == request.instances().end()) {
      continue;
    }
    *response.add_events() = event;
  }
  return response;
}

}  // namespace paasta
