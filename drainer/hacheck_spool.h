// A hacheck-compatible spool: the state "this service (or this service's task on
// this port) is down" that load balancers read before routing, as Yelp's hacheck
// keeps it (../shared/reference/external-apis.md §3.1). The drainer serves it
// over HTTP on the one-machine cluster; the hacheck drain method speaks to it
// unchanged.
//
//   POST /spool/<service>/<port>/status   status=down, reason (required),
//                                         expiration (absolute Unix time, optional),
//                                         creation (optional) -> 200, empty body
//                                         status=up -> 200 (the entry is removed)
//                                         port 0 means the whole service
//   GET  /spool/<service>/<port>/<any>    200 (empty) when up; 503 with
//        "Service <name> in down state since <creation> until <expiration>: <reason>"
//        when down (times as %f), <name> being the level that is down: "all", the
//        service, or the service on that port.
//
// Expiration is lazy, as in hacheck: a read past it removes the entry. A repeated
// down with the same reason keeps the first creation time.
//
// Health checks pass through it, as hacheck's: the spool first (503 with the
// down message while the task is marked down), then the task's own answer:
//
//   GET /http/<service>/<port>/<path>[?query]  the task's status and body for
//                                              http://127.0.0.1:<port>/<path>
//   GET /tcp/<service>/<port>/                 200 when 127.0.0.1:<port> accepts
//
// Port 0 takes the port from HAProxy's "X-Haproxy-Server-State: ...; port=P"
// header (`http-check send-state`), so one check path serves a whole backend.
//
// (503 naming the problem when the task cannot be reached). Results are not
// cached (hacheck cached them 10 s). With a spool folder, entries are kept
// there as hacheck's files, one per key holding {"reason", "expiration",
// "creation"}, written atomically, so a restarted drainer keeps every drained
// task out of service.
#ifndef PAASTA_DRAINER_HACHECK_SPOOL_H_
#define PAASTA_DRAINER_HACHECK_SPOOL_H_

#include <map>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/http_server.h"

namespace paasta::drainer {

struct HacheckOptions {
  // Where entries are kept; empty keeps them in memory only.
  std::string spool_root;
  // A pass-through check must answer within this.
  absl::Duration check_timeout = absl::Seconds(10);
};

class HacheckSpool {
 public:
  // `clock` is not owned and must outlive the spool. Reads the entries kept in
  // options.spool_root (creating the folder); files that do not parse are read
  // as a reason, as hacheck reads its old format.
  explicit HacheckSpool(Clock* clock, HacheckOptions options = {});

  // Answers a request to the spool routes (anything else: 404). Thread-safe.
  HttpServerResponse Handle(const HttpServerRequest& request);

  // Marks `key` ("all", "<service>" or "<service>:<port>") down.
  void MarkDown(const std::string& key, const std::string& reason, std::optional<double> expiration,
                std::optional<double> creation);
  void MarkUp(const std::string& key);

  // The down message for a service (and port), or nothing when it is up.
  std::optional<std::string> DownMessage(const std::string& service, int port);

 private:
  struct Entry {
    std::string reason;
    std::optional<double> expiration;
    double creation = 0;
  };

  // The entry of `key` if it is down now (expired entries are removed).
  std::optional<Entry> Current(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The pass-through checks.
  HttpServerResponse CheckHttp(int port, const std::string& path, const std::string& query);
  HttpServerResponse CheckTcp(int port);
  // Keeps or removes `key`'s file (with a spool root).
  void Save(const std::string& key, const Entry* entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  const HacheckOptions options_;
  absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace paasta::drainer

#endif  // PAASTA_DRAINER_HACHECK_SPOOL_H_
