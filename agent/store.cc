#include "agent/store.h"

#include "absl/strings/str_cat.h"

namespace paasta::agent {
namespace {

// Parses every record of `table` into `out`.
template <typename Record>
absl::Status LoadTable(RecordStore& records, const std::string& table, std::vector<Record>* out) {
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> rows = records.LoadAll(table);
  if (!rows.ok()) return rows.status();
  for (const auto& [id, bytes] : *rows) {
    if (!out->emplace_back().ParseFromString(bytes)) {
      return absl::DataLossError(
          absl::StrCat("the stored ", table, " record ", id, " in ", records.path(), " is corrupt"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<RecordStore>> records = RecordStore::Open(path, {"apps", "tasks", "runs"});
  if (!records.ok()) {
    return absl::Status(records.status().code(), absl::StrCat("the agent's state: ", records.status().message()));
  }
  return std::unique_ptr<Store>(new Store(std::move(*records)));
}

absl::Status Store::PutApp(const AppRecord& app) {
  return records_->Put("apps", app.definition().id(), app.SerializeAsString());
}
absl::Status Store::DeleteApp(const std::string& id) { return records_->Delete("apps", id); }
absl::Status Store::PutTask(const TaskRecord& task) {
  return records_->Put("tasks", task.task().id(), task.SerializeAsString());
}
absl::Status Store::DeleteTask(const std::string& id) { return records_->Delete("tasks", id); }
absl::Status Store::PutRun(const RunRecord& run) {
  return records_->Put("runs", run.run().run_id(), run.SerializeAsString());
}
absl::Status Store::DeleteRun(const std::string& id) { return records_->Delete("runs", id); }

absl::StatusOr<Store::Contents> Store::Load() {
  Contents contents;
  if (absl::Status status = LoadTable(*records_, "apps", &contents.apps); !status.ok()) return status;
  if (absl::Status status = LoadTable(*records_, "tasks", &contents.tasks); !status.ok()) return status;
  if (absl::Status status = LoadTable(*records_, "runs", &contents.runs); !status.ok()) return status;
  return contents;
}

}  // namespace paasta::agent
