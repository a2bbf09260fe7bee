// Durable records in SQLite: tables of (id, bytes) rows, for daemons that keep
// protobuf records (the agent's apps, tasks and runs; the scheduler's jobs and
// runs). WAL mode, every write a transaction: a crash at any moment (kill -9
// included) leaves the last committed state, which the next Open reads back.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<RecordStore> store,
//                    RecordStore::Open("/var/lib/paasta/agent.sqlite", {"apps", "tasks"}));
//   RETURN_IF_ERROR(store->Put("apps", id, record.SerializeAsString()));
//   RETURN_IF_ERROR(store->InTransaction([&] { ...several Put/Delete... }));
//
// Thread-safe (SQLite's serialized mode).
#ifndef PAASTA_COMMON_RECORD_STORE_H_
#define PAASTA_COMMON_RECORD_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

struct sqlite3;

namespace paasta {

class RecordStore {
 public:
  // Opens (creating if needed) the database at `path` with the given tables.
  // Errors name the path.
  static absl::StatusOr<std::unique_ptr<RecordStore>> Open(const std::string& path,
                                                           const std::vector<std::string>& tables);
  ~RecordStore();

  // Inserts or replaces the record `id` of `table`.
  absl::Status Put(const std::string& table, const std::string& id, const std::string& bytes);
  // Removes the record; no error if there is none.
  absl::Status Delete(const std::string& table, const std::string& id);
  // Runs `body` (its Put and Delete calls) as one transaction: all of them are
  // committed, or, when `body` fails, none.
  absl::Status InTransaction(const std::function<absl::Status()>& body);
  // Every record of `table` as (id, bytes), ordered by id.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> LoadAll(const std::string& table);

  const std::string& path() const { return path_; }
  // SQLite opened the file read-only (the file or its folder cannot be
  // written, e.g. a file system remounted read-only): every Put and Delete
  // fails with "attempt to write a readonly database".
  bool read_only() const;

 private:
  RecordStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  absl::Status Exec(const std::string& sql);
  absl::Status PutNow(const std::string& table, const std::string& id, const std::string& bytes);
  absl::Status DeleteNow(const std::string& table, const std::string& id);

  sqlite3* db_;
  const std::string path_;
  // One transaction at a time; a Put or Delete outside one takes it too, so it
  // never lands in another thread's transaction (they share the connection).
  absl::Mutex transaction_mu_;
};

}  // namespace paasta

#endif  // PAASTA_COMMON_RECORD_STORE_H_
