#include "agent/store.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"

namespace paasta::agent {
namespace {

absl::Status SqliteError(sqlite3* db, const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", db != nullptr ? sqlite3_errmsg(db) : "?"));
}

struct StatementDeleter {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    const absl::Status error = SqliteError(db, absl::StrCat("cannot open the agent's state ", path));
    sqlite3_close(db);
    return error;
  }
  std::unique_ptr<Store> store(new Store(db));
  sqlite3_busy_timeout(db, 5000);
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                          "CREATE TABLE IF NOT EXISTS apps (id TEXT PRIMARY KEY, record BLOB NOT NULL)",
                          "CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, record BLOB NOT NULL)",
                          "CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, record BLOB NOT NULL)"}) {
    if (absl::Status status = store->Exec(sql); !status.ok()) {
      return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
    }
  }
  return store;
}

Store::~Store() { sqlite3_close(db_); }

absl::Status Store::Exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error != nullptr ? error : "?";
    sqlite3_free(error);
    return absl::InternalError(absl::StrCat(sql, ": ", message));
  }
  return absl::OkStatus();
}

absl::Status Store::Put(const char* table, const std::string& id, const std::string& bytes) {
  sqlite3_stmt* raw = nullptr;
  const std::string sql = absl::StrCat("INSERT OR REPLACE INTO ", table, " (id, record) VALUES (?, ?)");
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    return SqliteError(db_, sql);
  }
  Statement statement(raw);
  sqlite3_bind_text(raw, 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
  sqlite3_bind_blob(raw, 2, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(raw) != SQLITE_DONE) return SqliteError(db_, absl::StrCat("cannot store ", table, " ", id));
  return absl::OkStatus();
}

absl::Status Store::Delete(const char* table, const std::string& id) {
  sqlite3_stmt* raw = nullptr;
  const std::string sql = absl::StrCat("DELETE FROM ", table, " WHERE id = ?");
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) return SqliteError(db_, sql);
  Statement statement(raw);
  sqlite3_bind_text(raw, 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(raw) != SQLITE_DONE) return SqliteError(db_, absl::StrCat("cannot delete ", table, " ", id));
  return absl::OkStatus();
}

absl::Status Store::PutApp(const AppRecord& app) {
  return Put("apps", app.definition().id(), app.SerializeAsString());
}
absl::Status Store::DeleteApp(const std::string& id) { return Delete("apps", id); }
absl::Status Store::PutTask(const TaskRecord& task) {
  return Put("tasks", task.task().id(), task.SerializeAsString());
}
absl::Status Store::DeleteTask(const std::string& id) { return Delete("tasks", id); }
absl::Status Store::PutRun(const RunRecord& run) { return Put("runs", run.run().run_id(), run.SerializeAsString()); }
absl::Status Store::DeleteRun(const std::string& id) { return Delete("runs", id); }

absl::StatusOr<Store::Contents> Store::Load() {
  Contents contents;
  for (const char* table : {"apps", "tasks", "runs"}) {
    sqlite3_stmt* raw = nullptr;
    const std::string sql = absl::StrCat("SELECT id, record FROM ", table, " ORDER BY id");
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) return SqliteError(db_, sql);
    Statement statement(raw);
    while (sqlite3_step(raw) == SQLITE_ROW) {
      const std::string id(reinterpret_cast<const char*>(sqlite3_column_text(raw, 0)));
      const std::string bytes(static_cast<const char*>(sqlite3_column_blob(raw, 1)),
                              static_cast<size_t>(sqlite3_column_bytes(raw, 1)));
      bool parsed = false;
      if (std::string(table) == "apps") {
        parsed = contents.apps.emplace_back().ParseFromString(bytes);
      } else if (std::string(table) == "tasks") {
        parsed = contents.tasks.emplace_back().ParseFromString(bytes);
      } else {
        parsed = contents.runs.emplace_back().ParseFromString(bytes);
      }
      if (!parsed) return absl::DataLossError(absl::StrCat("the stored ", table, " record ", id, " is corrupt"));
    }
  }
  return contents;
}

}  // namespace paasta::agent
