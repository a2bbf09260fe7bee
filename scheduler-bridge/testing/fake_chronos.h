// An in-test Chronos: an HTTP server that follows the documented REST API of
// Chronos 2.x (../shared/reference/external-apis.md §2; 3.x with the
// "/v1/scheduler" prefix) for the calls a bridge makes, holding jobs in memory.
// No real Chronos can run here, so the Chronos engine is tested against this,
// and this follows the document, not the client:
//
//   POST|PUT /iso8601      create or replace a scheduled job; 204. 400 (empty
//                          body, 3.x: {"status","message"}) for a bad name, a
//                          schedule that does not match (R[0-9]*)/(.*)/(P.*),
//                          or uris and fetch both set. A former dependent job
//                          loses its parents.
//   POST|PUT /dependency   create or replace a dependent job: non-empty
//                          parents, all known; 204, else 400.
//   GET /jobs              200, every job in the serialized form (defaults
//                          filled, lastSuccess/lastError, counts).
//   DELETE /job/<name>     204; 400 if unknown.
//   PUT /job/<name>        start now; 204; 400 if unknown.
//   DELETE /task/kill/<n>  kill the job's tasks; 204; 400 if unknown.
//   GET /graph/csv         text/plain "node,<name>,<fresh|success|failure>,<idle|running>".
#ifndef PAASTA_SCHEDULER_BRIDGE_TESTING_FAKE_CHRONOS_H_
#define PAASTA_SCHEDULER_BRIDGE_TESTING_FAKE_CHRONOS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/http_server.h"
#include "nlohmann/json.hpp"

namespace paasta::scheduler::testing {

class FakeChronos {
 public:
  // `prefix` is "/scheduler" (2.x) or "/v1/scheduler" (3.x).
  explicit FakeChronos(std::string prefix = "/scheduler");
  ~FakeChronos();

  // Listens on 127.0.0.1 (a free port).
  absl::Status Start();
  std::string url() const;

  // The job as stored (serialized form), or null.
  nlohmann::json Job(const std::string& name);
  std::vector<std::string> JobNames();
  // Marks the job as having a task running now (until killed).
  void SetRunning(const std::string& name, bool running);
  // Sets lastSuccess / lastError (ISO-8601 strings, "" = never).
  void SetLastRuns(const std::string& name, const std::string& last_success, const std::string& last_error);
  // How many times PUT /job/<name> started it.
  int ManualStarts(const std::string& name);
  // "METHOD path" of every request, in order.
  std::vector<std::string> Requests();
  // Answers the next `count` requests with 503.
  void FailNext(int count);

 private:
  struct Stored {
    nlohmann::json job;
    bool running = false;
    int manual_starts = 0;
  };
  HttpServerResponse Handle(const HttpServerRequest& request);
  HttpServerResponse Put(const HttpServerRequest& request, bool dependent);
  HttpServerResponse BadRequest(const std::string& message) const;

  const std::string prefix_;
  const bool v3_;
  absl::Mutex mu_;
  std::map<std::string, Stored> jobs_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> requests_ ABSL_GUARDED_BY(mu_);
  int fail_next_ ABSL_GUARDED_BY(mu_) = 0;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace paasta::scheduler::testing

#endif  // PAASTA_SCHEDULER_BRIDGE_TESTING_FAKE_CHRONOS_H_
