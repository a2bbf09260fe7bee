#include "common/event_log.h"

#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace paasta {
namespace {

using google::protobuf::util::TimeUtil;

TEST(EventLogTest, ListsAServicesEventsOldestFirstFilteredByInstanceAndTime) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  EventLog events("deployer", &clock);
  events.Record("web", "main", "created app");
  clock.Advance(absl::Seconds(1));
  events.Record("other", "main", "not ours");
  events.Record("web", "canary", "killed 1 task");
  clock.Advance(absl::Seconds(1));
  events.Record("web", "main", "deleted old app");

  v1::ListEventsRequest request;
  request.set_service("web");
  v1::ListEventsResponse listed = *events.List(request);
  ASSERT_EQ(listed.events_size(), 3);
  EXPECT_EQ(listed.events(0).message(), "created app");
  EXPECT_EQ(listed.events(0).source(), "deployer");
  EXPECT_EQ(TimeUtil::TimestampToSeconds(listed.events(0).time()), 1000);
  EXPECT_EQ(listed.events(2).message(), "deleted old app");

  request.add_instances("main");
  *request.mutable_since() = TimeUtil::SecondsToTimestamp(1000);
  listed = *events.List(request);
  ASSERT_EQ(listed.events_size(), 1) << "after 1000 s, main only";
  EXPECT_EQ(listed.events(0).message(), "deleted old app");

  EXPECT_FALSE(events.List(v1::ListEventsRequest()).ok());
}

TEST(EventLogTest, RecordChangeTellsARepeatedStateOnceAndKeepsOnlyTheNewest) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  EventLog events("deployer", &clock, /*capacity=*/3);
  for (int i = 0; i < 5; ++i) events.RecordChange("web", "main", "cannot deploy: no image");
  events.RecordChange("web", "main", "deployed");
  events.RecordChange("web", "main", "");  // over: nothing recorded
  events.RecordChange("web", "main", "cannot deploy: no image");
  v1::ListEventsRequest request;
  request.set_service("web");
  v1::ListEventsResponse listed = *events.List(request);
  ASSERT_EQ(listed.events_size(), 3);
  EXPECT_EQ(listed.events(1).message(), "deployed");

  events.Record("web", "main", "four");
  listed = *events.List(request);
  ASSERT_EQ(listed.events_size(), 3) << "capacity 3";
  EXPECT_EQ(listed.events(0).message(), "deployed");
  EXPECT_EQ(listed.events(2).message(), "four");
}

}  // namespace
}  // namespace paasta
