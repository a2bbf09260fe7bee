#include "common/http_server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace paasta {
namespace {

void InitCivetwebOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mg_init_library(0); });
}

const char* ReasonPhrase(int status) {
  const char* text = mg_get_response_code_text(nullptr, status);
  return text != nullptr ? text : "";
}

// Opens and closes one TCP connection to the server's own port on loopback.
void WakeListener(int port, bool ipv6) {
  const int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  if (ipv6) {
    sockaddr_in6 address = {};
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(static_cast<uint16_t>(port));
    address.sin6_addr = in6addr_loopback;
    ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  } else {
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  }
  ::close(fd);
}

int HexValue(char c) {
  return absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
}

}  // namespace

std::string UrlDecode(absl::string_view value, bool form) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '%' && i + 2 < value.size() && absl::ascii_isxdigit(value[i + 1]) &&
        absl::ascii_isxdigit(value[i + 2])) {
      out.push_back(static_cast<char>(HexValue(value[i + 1]) * 16 + HexValue(value[i + 2])));
      i += 2;
    } else if (c == '+' && form) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseFormEncoded(absl::string_view text) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (absl::string_view part : absl::StrSplit(text, '&', absl::SkipEmpty())) {
    const size_t equals = part.find('=');
    if (equals == absl::string_view::npos) {
      fields.emplace_back(UrlDecode(part, true), "");
    } else {
      fields.emplace_back(UrlDecode(part.substr(0, equals), true),
                          UrlDecode(part.substr(equals + 1), true));
    }
  }
  return fields;
}

std::string HttpServerRequest::QueryParam(absl::string_view name) const {
  for (const auto& [key, value] : ParseFormEncoded(query)) {
    if (key == name) return value;
  }
  return "";
}

std::vector<std::string> HttpServerRequest::QueryParams(absl::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [key, value] : ParseFormEncoded(query)) {
    if (key == name) values.push_back(value);
  }
  return values;
}

std::string HttpServerRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

HttpServer::HttpServer(Handler handler, int num_threads)
    : handler_(std::move(handler)), num_threads_(num_threads) {}

HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Start(const std::string& listen) {
  InitCivetwebOnce();
  const std::string threads = absl::StrCat(num_threads_);
  const char* options[] = {"listening_ports", listen.c_str(), "num_threads", threads.c_str(),
                           "enable_keep_alive", "yes", nullptr};
  mg_callbacks callbacks = {};
  // civetweb prints errors itself unless told otherwise; they surface as the
  // Status below instead.
  callbacks.log_message = [](const mg_connection*, const char*) { return 1; };
  context_ = mg_start(&callbacks, this, options);
  if (context_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot listen for HTTP on ", listen));
  }
  mg_set_request_handler(context_, "/", &HttpServer::HandleRequest, this);
  mg_server_port ports[4] = {};
  const int count = mg_get_server_ports(context_, 4, ports);
  port_ = count > 0 ? ports[0].port : 0;
  listens_on_ipv6_ = count > 0 && ports[0].protocol == 2;
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (context_ == nullptr) return;
  // civetweb's master thread notices a stop only between polls of its listening
  // socket, which last up to 2 s once it has served a request; a connection to
  // the socket ends the poll at once (stop then takes milliseconds).
  std::atomic<bool> stopped{false};
  std::thread stopper([this, &stopped] {
    mg_stop(context_);
    stopped = true;
  });
  while (!stopped) {
    WakeListener(port_, listens_on_ipv6_);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stopper.join();
  context_ = nullptr;
}

int HttpServer::HandleRequest(mg_connection* connection, void* self) {
  auto* server = static_cast<HttpServer*>(self);
  const mg_request_info* info = mg_get_request_info(connection);
  HttpServerRequest request;
  request.method = info->request_method != nullptr ? info->request_method : "";
  request.path = info->local_uri != nullptr ? info->local_uri : "";
  request.query = info->query_string != nullptr ? info->query_string : "";
  request.remote_address = info->remote_addr;
  for (int i = 0; i < info->num_headers; ++i) {
    request.headers.emplace_back(absl::AsciiStrToLower(info->http_headers[i].name),
                                 info->http_headers[i].value);
  }
  char buffer[16 * 1024];
  while (true) {
    const int n = mg_read(connection, buffer, sizeof(buffer));
    if (n <= 0) break;
    request.body.append(buffer, static_cast<size_t>(n));
  }

  const HttpServerResponse response = server->handler_(request);
  std::string head = absl::StrCat("HTTP/1.1 ", response.status_code, " ",
                                  ReasonPhrase(response.status_code), "\r\n",
                                  "Content-Type: ", response.content_type, "\r\n",
                                  "Content-Length: ", response.body.size(), "\r\n");
  for (const auto& [name, value] : response.headers) {
    absl::StrAppend(&head, name, ": ", value, "\r\n");
  }
  head += "\r\n";
  mg_write(connection, head.data(), head.size());
  if (request.method != "HEAD" && !response.body.empty()) {
    mg_write(connection, response.body.data(), response.body.size());
  }
  return response.status_code;
}

}  // namespace paasta
