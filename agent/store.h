// The agent's durable state in SQLite: apps, tasks and runs, each a protobuf
// record under its id. Writes are transactions in WAL mode, so a crash (even
// kill -9) at any moment leaves the last committed state, which the next start
// reads back.
#ifndef PAASTA_AGENT_STORE_H_
#define PAASTA_AGENT_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/agent_state.pb.h"

struct sqlite3;

namespace paasta::agent {

class Store {
 public:
  // Opens (creating if needed) the database at `path`. Errors name the path.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path);
  ~Store();

  absl::Status PutApp(const AppRecord& app);
  absl::Status DeleteApp(const std::string& id);
  absl::Status PutTask(const TaskRecord& task);
  absl::Status DeleteTask(const std::string& id);
  absl::Status PutRun(const RunRecord& run);
  absl::Status DeleteRun(const std::string& id);

  struct Contents {
    std::vector<AppRecord> apps;
    std::vector<TaskRecord> tasks;
    std::vector<RunRecord> runs;
  };
  // Everything stored. DATA_LOSS naming the record for one that does not parse.
  absl::StatusOr<Contents> Load();

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  absl::Status Put(const char* table, const std::string& id, const std::string& bytes);
  absl::Status Delete(const char* table, const std::string& id);
  absl::Status Exec(const std::string& sql);

  sqlite3* db_;
};

}  // namespace paasta::agent

#endif  // PAASTA_AGENT_STORE_H_
