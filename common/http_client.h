// A small blocking HTTP client over libcurl, for the daemons' calls to Marathon,
// Chronos, hacheck and drain endpoints, and for tests that scrape /metrics.
//
// Example:
//
//   HttpRequest request;
//   request.url = "http://127.0.0.1:7801/metrics";
//   ASSIGN_OR_RETURN(HttpResponse response, HttpFetch(request));
//   if (response.status_code != 200) ...
//
// Every request has a timeout, so no caller ever hangs on a slow peer.
#ifndef PAASTA_COMMON_HTTP_CLIENT_H_
#define PAASTA_COMMON_HTTP_CLIENT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace paasta {

struct HttpRequest {
  // GET, POST, PUT, DELETE, PATCH, HEAD or OPTIONS.
  std::string method = "GET";
  // Absolute URL, e.g. "http://127.0.0.1:8080/v2/apps?embed=apps.tasks".
  std::string url;
  // Extra request headers, as name/value pairs.
  std::vector<std::pair<std::string, std::string>> headers;
  // Request body (sent when not empty, and always for POST/PUT/PATCH).
  std::string body;
  // The whole exchange (connect, send, receive) must end within this.
  absl::Duration timeout = absl::Seconds(10);
  // Connecting must succeed within this (and within timeout).
  absl::Duration connect_timeout = absl::Seconds(3);
  // Follow redirects (at most 5) with the same method and body, as `curl -L`
  // (a Chronos that is not the leader redirects to the leader).
  bool follow_redirects = false;
};

struct HttpResponse {
  // The HTTP status code, e.g. 200.
  long status_code = 0;
  // Response headers with lowercase names, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
  // The response body.
  std::string body;

  // The value of the first header named `name` (case-insensitive), or "".
  std::string Header(absl::string_view name) const;
};

// Performs `request`. Any HTTP status is a successful exchange: check
// status_code. Errors: DEADLINE_EXCEEDED on timeout, UNAVAILABLE when the peer
// cannot be reached or drops the connection, INVALID_ARGUMENT for a malformed
// URL or method. Messages name the method and the URL. Thread-safe.
absl::StatusOr<HttpResponse> HttpFetch(const HttpRequest& request);

// Encodes `value` for a URL path segment or a form field (RFC 3986 unreserved
// characters stay, everything else becomes %XX).
std::string UrlEncode(absl::string_view value);

}  // namespace paasta

#endif  // PAASTA_COMMON_HTTP_CLIENT_H_
