// Helpers for tests that run the real paasta-agent: its tasks, and an orderly
// end (every app deleted, its tasks gone, then the agent stopped, so no task
// and no cgroup outlives the test).
#ifndef PAASTA_COMMON_TESTING_AGENT_HELPERS_H_
#define PAASTA_COMMON_TESTING_AGENT_HELPERS_H_

#include <string>
#include <vector>

#include "common/testing/child_process.h"
#include "protos/agent.grpc.pb.h"

namespace paasta::testing {

// Every task the agent has (none if it cannot be asked).
std::vector<v1::Task> AgentTasks(v1::Agent::Stub& agent);

// Deletes every app, waits (up to 15 s) for their tasks to end, then stops the
// agent with SIGTERM.
void StopAgentCleanly(v1::Agent::Stub* agent, Daemon& daemon);

}  // namespace paasta::testing

#endif  // PAASTA_COMMON_TESTING_AGENT_HELPERS_H_
