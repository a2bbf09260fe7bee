// The agent's durable state: apps, tasks and runs, each a protobuf record under
// its id, in a RecordStore (SQLite, WAL). A crash (even kill -9) at any moment
// leaves the last committed state, which the next start reads back.
#ifndef PAASTA_AGENT_STORE_H_
#define PAASTA_AGENT_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/agent_state.pb.h"
#include "common/record_store.h"

namespace paasta::agent {

class Store {
 public:
  // Opens (creating if needed) the database at `path`. Errors name the path.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path);

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

  // The state file cannot be written (see RecordStore::read_only).
  bool read_only() const { return records_->read_only(); }
  const std::string& path() const { return records_->path(); }

 private:
  explicit Store(std::unique_ptr<RecordStore> records) : records_(std::move(records)) {}

  std::unique_ptr<RecordStore> records_;
};

}  // namespace paasta::agent

#endif  // PAASTA_AGENT_STORE_H_
