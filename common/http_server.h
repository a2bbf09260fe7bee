// A small embedded HTTP server over civetweb, for the HTTP endpoints paasta
// serves (the hacheck-compatible spool API) and for in-test peers that follow a
// documented API (Marathon, Chronos, hacheck).
//
// Example:
//
//   HttpServer server([](const HttpServerRequest& request) {
//     return HttpServerResponse{200, "text/plain", "pong"};
//   });
//   RETURN_IF_ERROR(server.Start("127.0.0.1:0"));
//   int port = server.port();
//
// The handler runs on the server's worker threads and must be thread-safe.
#ifndef PAASTA_COMMON_HTTP_SERVER_H_
#define PAASTA_COMMON_HTTP_SERVER_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

struct mg_context;
struct mg_connection;

namespace paasta {

struct HttpServerRequest {
  // "GET", "POST", ...
  std::string method;
  // The decoded path, e.g. "/v2/apps/foo".
  std::string path;
  // The raw query string without "?", e.g. "embed=apps.tasks&force=true".
  std::string query;
  // Headers with lowercase names.
  std::vector<std::pair<std::string, std::string>> headers;
  // The request body.
  std::string body;
  // The peer's address.
  std::string remote_address;

  // The first value of query parameter `name` (decoded), or "" if absent.
  std::string QueryParam(absl::string_view name) const;
  // The values of every query parameter `name` (decoded), in order.
  std::vector<std::string> QueryParams(absl::string_view name) const;
  // The value of the first header `name` (case-insensitive), or "".
  std::string Header(absl::string_view name) const;
};

struct HttpServerResponse {
  int status_code = 200;
  std::string content_type = "text/plain";
  std::string body;
  // Extra headers.
  std::vector<std::pair<std::string, std::string>> headers;
};

class HttpServer {
 public:
  using Handler = std::function<HttpServerResponse(const HttpServerRequest&)>;

  explicit HttpServer(Handler handler, int num_threads = 4);
  ~HttpServer();  // Stops the server.

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Listens on `listen` ("127.0.0.1:0" picks a free port) and serves every path
  // with the handler. UNAVAILABLE with the address when it cannot bind.
  absl::Status Start(const std::string& listen);

  // Stops accepting, waits for in-flight requests. Idempotent.
  void Stop();

  // The bound port; 0 before Start.
  int port() const { return port_; }

 private:
  static int HandleRequest(mg_connection* connection, void* self);

  Handler handler_;
  int num_threads_;
  mg_context* context_ = nullptr;
  int port_ = 0;
  bool listens_on_ipv6_ = false;
};

// Decodes %XX escapes (and '+' as a space when `form` is true).
std::string UrlDecode(absl::string_view value, bool form);

// Parses an application/x-www-form-urlencoded body or a query string into
// name/value pairs, decoded, in order.
std::vector<std::pair<std::string, std::string>> ParseFormEncoded(absl::string_view text);

}  // namespace paasta

#endif  // PAASTA_COMMON_HTTP_SERVER_H_
