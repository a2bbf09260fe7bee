// The HAProxy configuration renderer: fixtures of namespaces and tasks with the
// exact text expected (smartstack/testdata/*.cfg), and every rendered config
// accepted by the real `haproxy -c`.
#include "smartstack/haproxy_config.h"

#include <sys/wait.h>

#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "gtest/gtest.h"

namespace paasta::smartstack {
namespace {

struct Fixture {
  std::string name;
  HaproxyGlobals globals;
  std::vector<ProxiedNamespace> namespaces;
};

std::vector<Fixture> Fixtures() {
  HaproxyGlobals globals;
  globals.stats_socket = "/run/paasta/haproxy.sock";
  std::vector<Fixture> fixtures;

  ProxiedNamespace web;
  web.name = "example_service.main";
  web.proxy_port = 20001;
  web.servers = {{"127.0.0.1", 31002, "t2"}, {"127.0.0.1", 31001, "t1"}};
  ProxiedNamespace db;
  db.name = "example_db.main";
  db.proxy_port = 20002;
  db.mode = "tcp";
  db.healthcheck_mode = "tcp";
  db.timeout_server_ms = 60000;
  db.timeout_client_ms = 60000;
  db.servers = {{"127.0.0.1", 31003, "t3"}};
  fixtures.push_back({"two_namespaces", globals, {web, db}});

  ProxiedNamespace empty;
  empty.name = "example_service.canary";
  empty.proxy_port = 20003;
  empty.healthcheck_uri = "health?deep=1";
  fixtures.push_back({"no_tasks_yet", globals, {empty}});
  fixtures.push_back({"nothing", globals, {}});
  return fixtures;
}

TEST(HaproxyConfigTest, RendersTheFixturesExactly) {
  for (const Fixture& fixture : Fixtures()) {
    const std::string rendered = RenderHaproxyConfig(fixture.globals, fixture.namespaces);
    absl::StatusOr<std::string> expected = ReadFile("smartstack/testdata/" + fixture.name + ".cfg");
    ASSERT_TRUE(expected.ok()) << expected.status();
    EXPECT_EQ(rendered, *expected) << fixture.name;
  }
}

TEST(HaproxyConfigTest, TheSameInputsInAnyOrderGiveTheSameText) {
  std::vector<ProxiedNamespace> namespaces = Fixtures()[0].namespaces;
  const std::string first = RenderHaproxyConfig(Fixtures()[0].globals, namespaces);
  std::reverse(namespaces.begin(), namespaces.end());
  std::reverse(namespaces[1].servers.begin(), namespaces[1].servers.end());
  EXPECT_EQ(RenderHaproxyConfig(Fixtures()[0].globals, namespaces), first);
}

TEST(HaproxyConfigTest, HaproxyAcceptsEveryRenderedConfig) {
  const std::string dir = paasta::testing::NewTempDir("haproxy");
  // (`haproxy -c` parses the stats socket's path but does not bind it.)
  for (const Fixture& fixture : Fixtures()) {
    const std::string path = dir + "/" + fixture.name + ".cfg";
    ASSERT_TRUE(WriteFileAtomically(path, RenderHaproxyConfig(fixture.globals, fixture.namespaces)).ok());
    auto check = paasta::testing::ChildProcess::Start({"/usr/sbin/haproxy", "-c", "-f", path}, path + ".log");
    ASSERT_TRUE(check.ok()) << check.status();
    const absl::StatusOr<int> status = (*check)->Wait(absl::Seconds(30));
    ASSERT_TRUE(status.ok());
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << fixture.name << ": " << (*check)->Output();
  }
}

}  // namespace
}  // namespace paasta::smartstack
