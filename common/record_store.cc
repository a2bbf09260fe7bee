#include "common/record_store.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"

namespace paasta {
namespace {

absl::Status SqliteError(sqlite3* db, const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", db != nullptr ? sqlite3_errmsg(db) : "?"));
}

struct StatementDeleter {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// Whether the calling thread is inside InTransaction (nested Put/Delete must not
// take the lock again).
thread_local const RecordStore* in_transaction = nullptr;

}  // namespace

absl::StatusOr<std::unique_ptr<RecordStore>> RecordStore::Open(const std::string& path,
                                                               const std::vector<std::string>& tables) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    const absl::Status error = SqliteError(db, absl::StrCat("cannot open ", path));
    sqlite3_close(db);
    return error;
  }
  std::unique_ptr<RecordStore> store(new RecordStore(db, path));
  sqlite3_busy_timeout(db, 5000);
  std::vector<std::string> statements = {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"};
  for (const std::string& table : tables) {
    statements.push_back(
        absl::StrCat("CREATE TABLE IF NOT EXISTS ", table, " (id TEXT PRIMARY KEY, record BLOB NOT NULL)"));
  }
  for (const std::string& sql : statements) {
    if (absl::Status status = store->Exec(sql); !status.ok()) {
      return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
    }
  }
  return store;
}

RecordStore::~RecordStore() { sqlite3_close(db_); }

bool RecordStore::read_only() const { return sqlite3_db_readonly(db_, "main") == 1; }

absl::Status RecordStore::Exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error != nullptr ? error : "?";
    sqlite3_free(error);
    return absl::InternalError(absl::StrCat(sql, ": ", message));
  }
  return absl::OkStatus();
}

absl::Status RecordStore::Put(const std::string& table, const std::string& id, const std::string& bytes) {
  if (in_transaction == this) return PutNow(table, id, bytes);
  absl::MutexLock lock(&transaction_mu_);
  return PutNow(table, id, bytes);
}

absl::Status RecordStore::Delete(const std::string& table, const std::string& id) {
  if (in_transaction == this) return DeleteNow(table, id);
  absl::MutexLock lock(&transaction_mu_);
  return DeleteNow(table, id);
}

absl::Status RecordStore::PutNow(const std::string& table, const std::string& id, const std::string& bytes) {
  const std::string sql = absl::StrCat("INSERT OR REPLACE INTO ", table, " (id, record) VALUES (?, ?)");
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) return SqliteError(db_, sql);
  Statement statement(raw);
  sqlite3_bind_text(raw, 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
  sqlite3_bind_blob(raw, 2, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(raw) != SQLITE_DONE) {
    return SqliteError(db_, absl::StrCat("cannot store ", table, " ", id, " in ", path_));
  }
  return absl::OkStatus();
}

absl::Status RecordStore::DeleteNow(const std::string& table, const std::string& id) {
  const std::string sql = absl::StrCat("DELETE FROM ", table, " WHERE id = ?");
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) return SqliteError(db_, sql);
  Statement statement(raw);
  sqlite3_bind_text(raw, 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(raw) != SQLITE_DONE) {
    return SqliteError(db_, absl::StrCat("cannot delete ", table, " ", id, " in ", path_));
  }
  return absl::OkStatus();
}

absl::Status RecordStore::InTransaction(const std::function<absl::Status()>& body) {
  if (in_transaction == this) return body();  // already inside one
  absl::MutexLock lock(&transaction_mu_);
  if (absl::Status begun = Exec("BEGIN IMMEDIATE"); !begun.ok()) return begun;
  in_transaction = this;
  absl::Status status = body();
  in_transaction = nullptr;
  if (!status.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return status;
  }
  if (absl::Status committed = Exec("COMMIT"); !committed.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return absl::Status(committed.code(), absl::StrCat(path_, ": ", committed.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> RecordStore::LoadAll(const std::string& table) {
  std::vector<std::pair<std::string, std::string>> records;
  const std::string sql = absl::StrCat("SELECT id, record FROM ", table, " ORDER BY id");
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) return SqliteError(db_, sql);
  Statement statement(raw);
  int step = SQLITE_ROW;
  while ((step = sqlite3_step(raw)) == SQLITE_ROW) {
    records.emplace_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(raw, 0))),
                         std::string(static_cast<const char*>(sqlite3_column_blob(raw, 1)),
                                     static_cast<size_t>(sqlite3_column_bytes(raw, 1))));
  }
  if (step != SQLITE_DONE) return SqliteError(db_, absl::StrCat("cannot read ", table, " in ", path_));
  return records;
}

}  // namespace paasta
