// The bounce decision table of §4.3, one row per case, each saying what it proves.
#include "deployer/bounce.h"

#include "gtest/gtest.h"

namespace paasta::deployer {
namespace {

using Tasks = std::set<std::string>;

struct Row {
  const char* proves;
  std::string method;
  BounceInputs inputs;
  bool create_app;
  Tasks drained;
};

BounceInputs Inputs(int64_t instances, bool running, std::vector<std::string> happy_new, TasksByApp happy,
                    TasksByApp unhappy, double margin = 1.0) {
  BounceInputs inputs;
  inputs.instances = instances;
  inputs.new_app_running = running;
  inputs.happy_new_tasks = std::move(happy_new);
  inputs.old_happy = std::move(happy);
  inputs.old_unhappy = std::move(unhappy);
  inputs.margin_factor = margin;
  return inputs;
}

TEST(DecideBounceTest, TheTable) {
  const TasksByApp old3 = {{"old", {"o1", "o2", "o3"}}};
  const TasksByApp sick = {{"old", {"s1"}}};
  const Row rows[] = {
      // brutal
      {"brutal creates the new app and drains everything at once", "brutal",
       Inputs(3, false, {}, old3, sick), true, {"o1", "o2", "o3", "s1"}},
      {"brutal does not create an app that runs", "brutal", Inputs(3, true, {}, old3, {}), false,
       {"o1", "o2", "o3"}},
      // upthendown
      {"upthendown waits while the new app is not fully happy", "upthendown",
       Inputs(3, true, {"n1", "n2"}, old3, sick), false, {}},
      {"upthendown drains all once exactly `instances` are happy", "upthendown",
       Inputs(3, true, {"n1", "n2", "n3"}, old3, sick), false, {"o1", "o2", "o3", "s1"}},
      {"upthendown: more happy tasks than instances does not trigger it (exact equality)",
       "upthendown", Inputs(3, true, {"n1", "n2", "n3", "n4"}, old3, {}), false, {}},
      {"upthendown creates the new app first", "upthendown", Inputs(3, false, {}, old3, {}), true, {}},
      // crossover: 3 instances, margin 1.0
      {"crossover with no happy new task keeps all 3 old happy, drains the unhappy first",
       "crossover", Inputs(3, true, {}, old3, sick), false, {"s1"}},
      {"crossover with 1 happy new task drains 1 old (the header's example)", "crossover",
       Inputs(3, true, {"n1"}, old3, {}), false, {"o3"}},
      {"crossover with 3 happy new tasks drains all old", "crossover",
       Inputs(3, true, {"n1", "n2", "n3"}, old3, sick), false, {"o1", "o2", "o3", "s1"}},
      {"crossover creates the new app when it does not run", "crossover", Inputs(3, false, {}, old3, {}),
       true, {}},
      {"crossover margin 0.5: ceil(3 x 0.5) = 2 must serve, so with none new 1 old goes", "crossover",
       Inputs(3, true, {}, old3, {}, 0.5), false, {"o3"}},
      {"crossover keeps happy tasks across several old apps, app by app", "crossover",
       Inputs(2, true, {}, {{"a", {"a1"}}, {"b", {"b1", "b2"}}}, {}), false, {"b2"}},
      {"crossover to zero instances (paasta stop) drains everything", "crossover",
       Inputs(0, true, {}, old3, sick), false, {"o1", "o2", "o3", "s1"}},
      // downthenup
      {"downthenup drains first and does not create while old apps exist", "downthenup",
       Inputs(3, false, {}, old3, {}), false, {"o1", "o2", "o3"}},
      {"downthenup: an old app with no happy tasks still counts (dict truthiness)", "downthenup",
       Inputs(3, false, {}, {{"old", {}}}, {}), false, {}},
      {"downthenup creates once no old app is left", "downthenup", Inputs(3, false, {}, {}, {}), true, {}},
      // down
      {"down never creates and drains everything", "down", Inputs(3, false, {}, old3, sick), false,
       {"o1", "o2", "o3", "s1"}},
  };
  for (const Row& row : rows) {
    const absl::StatusOr<BounceDecision> decision = DecideBounce(row.method, row.inputs);
    ASSERT_TRUE(decision.ok()) << row.proves;
    EXPECT_EQ(decision->create_app, row.create_app) << row.proves;
    EXPECT_EQ(decision->tasks_to_drain, row.drained) << row.proves;
  }
}

TEST(DecideBounceTest, UnknownMethodsAreNamed) {
  EXPECT_EQ(DecideBounce("sideways", BounceInputs()).status().message(),
            "bounce_method not recognized: sideways. Must be one of (brutal, crossover, down, "
            "downthenup, upthendown)");
}

TEST(IsHappyTest, TheClassificationOfSection45) {
  TaskHealth healthy;
  healthy.started = true;
  healthy.uptime = absl::Seconds(120);
  healthy.results = 1;
  healthy.alive_results = 1;
  EXPECT_TRUE(IsHappy(healthy, true, absl::ZeroDuration(), false));
  TaskHealth unstarted = healthy;
  unstarted.started = false;
  EXPECT_FALSE(IsHappy(unstarted, true, absl::ZeroDuration(), false)) << "not started";
  EXPECT_FALSE(IsHappy(healthy, true, absl::Seconds(300), false)) << "younger than min_task_uptime";
  TaskHealth unchecked = healthy;
  unchecked.results = 0;
  unchecked.alive_results = 0;
  EXPECT_FALSE(IsHappy(unchecked, true, absl::ZeroDuration(), false)) << "checks but no result yet";
  EXPECT_TRUE(IsHappy(unchecked, false, absl::ZeroDuration(), false)) << "no checks: running is enough";
  TaskHealth failing = healthy;
  failing.alive_results = 0;
  EXPECT_FALSE(IsHappy(failing, true, absl::ZeroDuration(), false)) << "no passing result";
  TaskHealth down = healthy;
  down.up_in_haproxy = false;
  EXPECT_FALSE(IsHappy(down, true, absl::ZeroDuration(), true)) << "not UP in HAProxy";
  EXPECT_TRUE(IsHappy(down, true, absl::ZeroDuration(), false)) << "HAProxy only when asked";
}

TEST(OldAppsToDeleteTest, OnlyAppsWhoseTasksAreAllKilled) {
  const std::map<std::string, std::set<std::string>> apps = {
      {"a", {"a1", "a2"}}, {"b", {"b1"}}, {"empty", {}}};
  EXPECT_EQ(OldAppsToDelete(apps, {"a1", "b1"}), (std::vector<std::string>{"b", "empty"}));
  EXPECT_EQ(OldAppsToDelete(apps, {"a1", "a2", "b1"}), (std::vector<std::string>{"a", "b", "empty"}));
}

}  // namespace
}  // namespace paasta::deployer
