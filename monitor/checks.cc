#include "monitor/checks.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"

namespace paasta::monitor {

ReplicationCheck CheckReplication(const std::string& name, int expected, int available, int threshold_percent) {
  ReplicationCheck check;
  check.expected = expected;
  check.available = available;
  check.threshold_percent = threshold_percent;
  check.ratio_percent = expected == 0 ? 100 : 100.0 * available / expected;
  check.under_replicated = check.ratio_percent < threshold_percent;
  check.message = absl::StrCat("Service ", name, " has ", available, " out of ", expected,
                               " expected instances available! (threshold: ", threshold_percent, "%)");
  return check;
}

void AlertTracker::Update(const std::vector<Condition>& conditions, const std::vector<std::string>& checks_run,
                          absl::Time now) {
  std::set<std::string> seen;
  for (const Condition& condition : conditions) {
    const std::string key =
        absl::StrCat(condition.check, " ", condition.instance.service(), ".", condition.instance.instance());
    seen.insert(key);
    auto [it, created] = alerts_.try_emplace(key);
    State& state = it->second;
    if (created) state.since = now;
    const bool was_holding = state.state != v1::ALERT_STATE_OK;
    if (condition.holds && !was_holding) state.since = now;
    if (!condition.holds && was_holding) state.since = now;
    state.condition = condition;
    if (!condition.holds) {
      state.state = v1::ALERT_STATE_OK;
    } else {
      state.state = now - state.since >= condition.alert_after ? v1::ALERT_STATE_FIRING : v1::ALERT_STATE_PENDING;
    }
  }
  const std::set<std::string> run(checks_run.begin(), checks_run.end());
  for (auto it = alerts_.begin(); it != alerts_.end();) {
    const bool dropped = seen.count(it->first) == 0 && run.count(it->second.condition.check) > 0;
    it = dropped ? alerts_.erase(it) : std::next(it);
  }
}

std::vector<v1::Alert> AlertTracker::Alerts() const {
  std::vector<v1::Alert> out;
  for (const auto& [key, state] : alerts_) {
    v1::Alert& alert = out.emplace_back();
    alert.set_check(state.condition.check);
    *alert.mutable_instance() = state.condition.instance;
    alert.set_state(state.state);
    *alert.mutable_since() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(state.since));
    alert.set_message(state.condition.message);
    alert.set_team(state.condition.team);
    alert.set_runbook(state.condition.runbook);
  }
  return out;
}

}  // namespace paasta::monitor
