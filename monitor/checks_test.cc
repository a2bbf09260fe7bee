#include "monitor/checks.h"

#include "gtest/gtest.h"

namespace paasta::monitor {
namespace {

TEST(CheckReplicationTest, ThresholdArithmetic) {
  struct Case {
    int expected, available, threshold;
    double ratio;
    bool under;
  };
  const Case cases[] = {
      {2, 2, 50, 100, false},      {2, 1, 50, 50, false},  // exactly the threshold is enough
      {3, 1, 50, 100.0 / 3, true}, {4, 1, 50, 25, true},
      {2, 0, 50, 0, true},         {0, 0, 50, 100, false},  // stopped: nothing expected, never under-replicated
      {0, 3, 50, 100, false},      {10, 9, 100, 90, true},
      {10, 10, 100, 100, false},   {5, 0, 0, 0, false},
  };
  for (const Case& c : cases) {
    const ReplicationCheck check = CheckReplication("svc.main", c.expected, c.available, c.threshold);
    EXPECT_DOUBLE_EQ(check.ratio_percent, c.ratio) << c.expected << " " << c.available;
    EXPECT_EQ(check.under_replicated, c.under) << c.expected << " " << c.available << " " << c.threshold;
  }
  EXPECT_EQ(CheckReplication("svc.main", 4, 1, 50).message,
            "Service svc.main has 1 out of 4 expected instances available! (threshold: 50%)");
}

Condition Replication(const std::string& instance, bool holds, absl::Duration alert_after = absl::Minutes(2)) {
  Condition condition;
  condition.check = "check_marathon_services_replication";
  condition.instance.set_service("svc");
  condition.instance.set_instance(instance);
  condition.holds = holds;
  condition.alert_after = alert_after;
  condition.team = "web";
  return condition;
}

TEST(AlertTrackerTest, PendingThenFiringAfterAlertAfterAndOkAtOnceWhenItStops) {
  const absl::Time t0 = absl::FromUnixSeconds(1461578400);
  struct Step {
    int seconds;
    bool holds;
    v1::AlertState state;
    int since_seconds;
  };
  const Step steps[] = {
      {0, false, v1::ALERT_STATE_OK, 0},         {60, true, v1::ALERT_STATE_PENDING, 60},
      {120, true, v1::ALERT_STATE_PENDING, 60},  {179, true, v1::ALERT_STATE_PENDING, 60},
      {180, true, v1::ALERT_STATE_FIRING, 60},   {240, true, v1::ALERT_STATE_FIRING, 60},
      {300, false, v1::ALERT_STATE_OK, 300},     {360, true, v1::ALERT_STATE_PENDING, 360},
      {400, false, v1::ALERT_STATE_OK, 400},  // a blip shorter than alert_after never fires
      {460, true, v1::ALERT_STATE_PENDING, 460}, {580, true, v1::ALERT_STATE_FIRING, 460},
  };
  AlertTracker tracker;
  for (const Step& step : steps) {
    tracker.Update({Replication("main", step.holds)}, {"check_marathon_services_replication"},
                   t0 + absl::Seconds(step.seconds));
    const std::vector<v1::Alert> alerts = tracker.Alerts();
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0].state(), step.state) << "at " << step.seconds << " s";
    EXPECT_EQ(alerts[0].since().seconds(), absl::ToUnixSeconds(t0) + step.since_seconds) << "at " << step.seconds;
    EXPECT_EQ(alerts[0].team(), "web");
  }
}

TEST(AlertTrackerTest, EachInstanceHasItsOwnAlertAfterAndGoneInstancesAreDropped) {
  const absl::Time t0 = absl::FromUnixSeconds(1461578400);
  AlertTracker tracker;
  const std::vector<std::string> checks = {"check_marathon_services_replication"};
  tracker.Update({Replication("main", true, absl::Seconds(10)), Replication("canary", true)}, checks, t0);
  tracker.Update({Replication("main", true, absl::Seconds(10)), Replication("canary", true)}, checks,
                 t0 + absl::Seconds(10));
  std::vector<v1::Alert> alerts = tracker.Alerts();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].instance().instance(), "canary");
  EXPECT_EQ(alerts[0].state(), v1::ALERT_STATE_PENDING);
  EXPECT_EQ(alerts[1].state(), v1::ALERT_STATE_FIRING);

  // A round of another check leaves these alone; a round of this check without canary drops it.
  tracker.Update({}, {"setup_marathon_job"}, t0 + absl::Seconds(20));
  EXPECT_EQ(tracker.Alerts().size(), 2u);
  tracker.Update({Replication("main", true, absl::Seconds(10))}, checks, t0 + absl::Seconds(30));
  alerts = tracker.Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].instance().instance(), "main");
}

}  // namespace
}  // namespace paasta::monitor
