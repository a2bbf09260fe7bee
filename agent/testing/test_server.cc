// A small HTTP service for the agent's tests, run by the agent as a real task:
//
//   GET /status   200 "ok", or 503 while the file named by $HEALTH_FILE says "fail"
//   GET /         200 "version=$VERSION task=$MESOS_TASK_ID"
//   GET /crash    exits with status 3
//
// It listens on 127.0.0.1:$PORT and exits 0 on SIGTERM.
#include <signal.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/http_server.h"

int main() {
  const char* port = std::getenv("PORT");
  const char* health_file = std::getenv("HEALTH_FILE");
  const char* version = std::getenv("VERSION");
  const char* task_id = std::getenv("MESOS_TASK_ID");
  if (port == nullptr) return 2;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  paasta::HttpServer server([&](const paasta::HttpServerRequest& request) {
    paasta::HttpServerResponse response;
    if (request.path == "/status") {
      const auto state = health_file != nullptr ? paasta::ReadFile(health_file)
                                                : absl::StatusOr<std::string>("");
      const bool failing = state.ok() && absl::StripAsciiWhitespace(*state) == "fail";
      response.status_code = failing ? 503 : 200;
      response.body = failing ? "failing" : "ok";
    } else if (request.path == "/crash") {
      std::_Exit(3);
    } else {
      response.body = absl::StrCat("version=", version != nullptr ? version : "",
                                   " task=", task_id != nullptr ? task_id : "");
    }
    return response;
  });
  if (!server.Start(absl::StrCat("127.0.0.1:", port)).ok()) return 1;
  int signal = 0;
  sigwait(&signals, &signal);
  server.Stop();
  return 0;
}
