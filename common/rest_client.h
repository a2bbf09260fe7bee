// A JSON REST client for the cluster peers the daemons talk to (Marathon,
// Chronos): base URLs tried in order (any of them may answer), basic auth, a
// timeout per request, retries with exponential backoff on transport errors and
// 5xx answers, redirects followed, and errors that name the peer, the method,
// the URL, the HTTP status and the peer's own message.
//
//   RestClient chronos("Chronos", {"http://chronos:4400"}, "user", "secret", options);
//   ASSIGN_OR_RETURN(nlohmann::json jobs, chronos.Call("GET", "/scheduler/jobs"));
#ifndef PAASTA_COMMON_REST_CLIENT_H_
#define PAASTA_COMMON_REST_CLIENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace paasta {

struct RestOptions {
  // Each request must finish within this.
  absl::Duration timeout = absl::Seconds(30);
  // Attempts after the first on a transport error or a 5xx answer.
  int retries = 3;
  // The first retry waits this long; each next one twice as long.
  absl::Duration backoff = absl::Milliseconds(500);
};

class RestClient {
 public:
  // `peer` names the service in errors ("Marathon"); `client` goes in the
  // User-Agent. `base_urls` must not be empty.
  RestClient(std::string peer, std::vector<std::string> base_urls, std::string user, std::string password,
             RestOptions options, std::string client);

  // Sends `method` `path_and_query` (with `body` as JSON when given) and
  // returns the parsed body of a 2xx answer ({} when empty; with `keep`, only
  // what the callback keeps). `raw_body`, when given, receives the body as text
  // instead (for non-JSON answers). Errors: 404 NOT_FOUND, 409 ALREADY_EXISTS
  // when the message says "already exists" else FAILED_PRECONDITION, 400/422
  // INVALID_ARGUMENT, 401/403 PERMISSION_DENIED, 5xx and no answer UNAVAILABLE,
  // a timeout DEADLINE_EXCEEDED.
  absl::StatusOr<nlohmann::json> Call(const std::string& method, const std::string& path_and_query,
                                      const nlohmann::json* body = nullptr,
                                      const nlohmann::json::parser_callback_t& keep = nullptr,
                                      std::string* raw_body = nullptr) const;

  const std::vector<std::string>& base_urls() const { return base_urls_; }

 private:
  const std::string peer_;
  std::vector<std::string> base_urls_;
  const std::string user_;
  const std::string password_;
  const RestOptions options_;
  const std::string client_;
};

}  // namespace paasta

#endif  // PAASTA_COMMON_REST_CLIENT_H_
