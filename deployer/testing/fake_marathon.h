// An in-test Marathon: an HTTP server that follows the documented v2 REST API
// of Marathon 1.4 (../shared/reference/external-apis.md §1) for the calls a
// deployer makes, holding apps and tasks in memory. No real Marathon can run
// here, so the Marathon client is tested against this, and this follows the
// document, not the client.
//
// It checks every app it is given against the documented field rules (ids
// without "_", cmd xor args, uppercase enums, constraint operators) and answers
// 422 with details as Marathon does; 409 for an existing id and for a locked app
// without force=true; 404 for unknown apps. Tasks start at once; they pass their
// health checks at once unless set_healthy(false).
#ifndef PAASTA_DEPLOYER_TESTING_FAKE_MARATHON_H_
#define PAASTA_DEPLOYER_TESTING_FAKE_MARATHON_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/http_server.h"
#include "nlohmann/json.hpp"

namespace paasta::deployer::testing {

class FakeMarathon {
 public:
  FakeMarathon();
  ~FakeMarathon();

  // Listens on 127.0.0.1 (a free port).
  absl::Status Start();
  std::string url() const;

  // A deployment holds the app: changes without force=true get 409.
  void Lock(const std::string& app_id);
  // Whether new tasks pass their health checks.
  void set_healthy(bool healthy);
  // Answers the next `count` requests with 503.
  void FailNext(int count);

  // The app as stored ("/"-prefixed id), or null.
  nlohmann::json App(const std::string& app_id);
  std::vector<std::string> AppIds();
  int TaskCount(const std::string& app_id);
  // "METHOD path?query" of every request, in order.
  std::vector<std::string> Requests();
  // Apps created with `instances` tasks each, as if deployed before (bench).
  void Preload(const nlohmann::json& app);

  // Marathon's id rule (§1.3), with or without the leading "/".
  static bool ValidId(const std::string& id);
  // The documented field rules; an empty list when the app is valid, else the
  // 422 "details" entries ({path, errors}).
  static nlohmann::json Validate(const nlohmann::json& app);

 private:
  struct Task {
    std::string id;
    std::string started_at;
    bool healthy = true;
    int port = 0;
  };
  struct StoredApp {
    nlohmann::json definition;
    std::vector<Task> tasks;
    bool locked = false;
  };

  HttpServerResponse Handle(const HttpServerRequest& request);
  HttpServerResponse ListApps(const HttpServerRequest& request);
  HttpServerResponse CreateApp(const nlohmann::json& app, bool force);
  HttpServerResponse UpdateApp(const std::string& id, const HttpServerRequest& request);
  HttpServerResponse DeleteApp(const std::string& id, bool force);
  HttpServerResponse KillTasks(const HttpServerRequest& request);
  nlohmann::json AppJson(const StoredApp& app, bool embed_tasks) const;
  // Adds or removes tasks until the app has `instances`.
  void Converge(const std::string& id, StoredApp& app);
  HttpServerResponse DeploymentResult(int status);

  mutable absl::Mutex mu_;
  std::map<std::string, StoredApp> apps_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> requests_ ABSL_GUARDED_BY(mu_);
  bool healthy_ ABSL_GUARDED_BY(mu_) = true;
  int fail_next_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace paasta::deployer::testing

#endif  // PAASTA_DEPLOYER_TESTING_FAKE_MARATHON_H_
