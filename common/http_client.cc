#include "common/http_client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace paasta {
namespace {

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// What the header callback collects.
struct HeaderSink {
  std::vector<std::pair<std::string, std::string>>* headers;
  // The blank line that ends the header block was seen. curl takes an answer
  // cut off inside its headers for a complete one with an empty body; this
  // tells them apart.
  bool complete = false;
};

size_t AppendHeader(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<HeaderSink*>(user);
  auto* headers = sink->headers;
  absl::string_view line(data, size * count);
  // A new status line (after a redirect or "100 Continue") starts a new header set.
  if (absl::StartsWith(line, "HTTP/")) {
    headers->clear();
    sink->complete = false;
    return size * count;
  }
  if (line == "\r\n" || line == "\n") {
    sink->complete = true;
    return size * count;
  }
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    headers->emplace_back(absl::AsciiStrToLower(line.substr(0, colon)),
                          std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return size * count;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

std::string HttpResponse::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

absl::StatusOr<HttpResponse> HttpFetch(const HttpRequest& request) {
  static constexpr const char* kMethods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};
  bool known_method = false;
  for (const char* method : kMethods) known_method |= request.method == method;
  if (!known_method) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported HTTP method \"", request.method, "\" for ", request.url));
  }
  InitCurlOnce();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");

  HttpResponse response;
  std::unique_ptr<curl_slist, SlistDeleter> header_list;
  for (const auto& [name, value] : request.headers) {
    header_list.reset(curl_slist_append(header_list.release(), absl::StrCat(name, ": ", value).c_str()));
  }
  // Never send "Expect: 100-continue"; peers in tests and hacheck do not need it.
  header_list.reset(curl_slist_append(header_list.release(), "Expect:"));

  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "HEAD") curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(request.timeout)));
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(request.connect_timeout)));
  // Signals must not be used for timeouts in a multi-threaded daemon.
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  if (request.follow_redirects) {
    // As `curl -L`, keeping the method and body on 301/302/303 (CUSTOMREQUEST
    // is kept by curl; POSTREDIR keeps the body).
    curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(handle, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(handle, CURLOPT_POSTREDIR, static_cast<long>(CURL_REDIR_POST_ALL));
  }
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, AppendHeader);
  HeaderSink header_sink{&response.headers};
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &header_sink);

  const CURLcode code = curl_easy_perform(handle);
  if (code != CURLE_OK) {
    const std::string message =
        absl::StrFormat("%s %s failed: %s", request.method, request.url, curl_easy_strerror(code));
    switch (code) {
      case CURLE_OPERATION_TIMEDOUT:
        return absl::DeadlineExceededError(message);
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return absl::InvalidArgumentError(message);
      default:
        return absl::UnavailableError(message);
    }
  }
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status_code);
  if (!header_sink.complete) {
    return absl::UnavailableError(
        absl::StrFormat("%s %s failed: the connection closed in the middle of the answer's "
                        "headers",
                        request.method, request.url));
  }
  return response;
}

std::string UrlEncode(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const unsigned char c : value) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

}  // namespace paasta
