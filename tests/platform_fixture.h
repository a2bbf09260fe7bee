// The whole platform for a test, started the way the main job starts it:
// paasta-platform supervising the real daemons, HAProxy and Prometheus, the
// example services as real git repositories, and helpers to act and look from
// the outside (the real CLI, gRPC, HTTP through HAProxy).
//
// Only what a test must change differs from the main job: free ports instead
// of the fixed ones (the drainer's hacheck port and the proxy port written into
// the copied soa-configs) and shorter intervals.
#ifndef PAASTA_TESTS_PLATFORM_FIXTURE_H_
#define PAASTA_TESTS_PLATFORM_FIXTURE_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/testing/child_process.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "protos/agent.grpc.pb.h"
#include "protos/scheduler_bridge.pb.h"

namespace paasta {

struct CliResult {
  int exit_code = -1;
  std::string output;
};

// Replaces every `from` in the file (which must contain it).
void Replace(const std::string& path, const std::string& from, const std::string& to);
// Appends to the file.
void Append(const std::string& path, const std::string& text);

class PlatformTest : public ::testing::Test {
 protected:
  // Copies the examples (code into git repositories, soa-configs pointing at
  // them, free ports written in); the platform is not started yet.
  void SetUp() override;
  // Stops the platform (SIGTERM) and expects a clean exit.
  void TearDown() override;

  std::string Repo(const std::string& service) const { return root_ + "/git/" + service; }

  // Starts paasta-platform as the main job does (with free ports) and waits until it is ready.
  void StartPlatform();

  // The daemon's entry in platform.json (grpc, metrics, pid, restarts, state).
  nlohmann::json Daemon(const std::string& name);

  // Runs the real paasta CLI with the platform's addresses (paasta.conf).
  CliResult Paasta(const std::vector<std::string>& args);

  // Deploys the repository's HEAD of `service` and follows the bounce.
  void Deploy(const std::string& service);

  // Commits a change to example_service's answer.
  std::string ChangeExampleService(const std::string& marker);

  // A new channel each time: one to an agent that was restarted would wait out
  // gRPC's reconnection back-off.
  std::unique_ptr<v1::Agent::Stub> Agent();

  // The running tasks of example_service.main on the agent, over every app.
  std::vector<v1::Task> MainTasks();
  std::set<std::string> MainApps();

  // A job's runs, newest first.
  std::vector<v1::JobRun> Runs(const std::string& service, const std::string& job, bool reruns);
  static int Succeeded(const std::vector<v1::JobRun>& list);

  // GET / through HAProxy.
  std::string ThroughProxy();

  std::string root_, state_, soa_;
  int hacheck_port_ = 0, proxy_port_ = 0, calls_ = 0;
  std::unique_ptr<testing::ChildProcess> platform_;
  nlohmann::json status_;
};

}  // namespace paasta

#endif  // PAASTA_TESTS_PLATFORM_FIXTURE_H_
