#include "agent/store.h"

#include "common/testing/child_process.h"
#include "gtest/gtest.h"

namespace paasta::agent {
namespace {

TEST(StoreTest, WritesSurviveReopeningAndDeletesStick) {
  const std::string path = testing::NewTempDir("store") + "/agent.db";
  {
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    AppRecord app;
    app.mutable_definition()->set_id("svc.main.git1.config2");
    app.mutable_definition()->set_instances(3);
    app.set_failures(2);
    ASSERT_TRUE((*store)->PutApp(app).ok());
    app.mutable_definition()->set_instances(4);  // replaced, not duplicated
    ASSERT_TRUE((*store)->PutApp(app).ok());
    TaskRecord task;
    task.mutable_task()->set_id("svc.main.git1.config2.a");
    task.set_task_pid(1234);
    task.set_task_start_ticks(99);
    ASSERT_TRUE((*store)->PutTask(task).ok());
    task.mutable_task()->set_id("svc.main.git1.config2.b");
    ASSERT_TRUE((*store)->PutTask(task).ok());
    ASSERT_TRUE((*store)->DeleteTask("svc.main.git1.config2.a").ok());
    RunRecord run;
    run.mutable_run()->set_run_id("r1");
    run.mutable_run()->set_job_name("svc job");
    ASSERT_TRUE((*store)->PutRun(run).ok());
  }
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok());
  auto contents = (*store)->Load();
  ASSERT_TRUE(contents.ok()) << contents.status();
  ASSERT_EQ(contents->apps.size(), 1u);
  EXPECT_EQ(contents->apps[0].definition().instances(), 4);
  EXPECT_EQ(contents->apps[0].failures(), 2);
  ASSERT_EQ(contents->tasks.size(), 1u);
  EXPECT_EQ(contents->tasks[0].task().id(), "svc.main.git1.config2.b");
  EXPECT_EQ(contents->tasks[0].task_start_ticks(), 99u);
  ASSERT_EQ(contents->runs.size(), 1u);
  EXPECT_EQ(contents->runs[0].run().job_name(), "svc job");
}

TEST(StoreTest, AnUnusablePathIsAnErrorNamingIt) {
  auto store = Store::Open("/nonexistent/folder/agent.db");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("/nonexistent/folder/agent.db"), std::string::npos);
}

}  // namespace
}  // namespace paasta::agent
