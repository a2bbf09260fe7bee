// The HTTP client (libcurl) against the HTTP server (civetweb), both on 127.0.0.1.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/http_client.h"
#include "common/http_server.h"
#include "gtest/gtest.h"

namespace paasta {
namespace {

TEST(HttpTest, RoundTripsMethodPathQueryHeadersAndBody) {
  HttpServer server([](const HttpServerRequest& request) {
    HttpServerResponse response;
    response.status_code = 201;
    response.content_type = "application/json";
    response.headers.push_back({"X-Seen-Agent", request.Header("user-agent")});
    response.body = absl::StrCat(request.method, " ", request.path, " id=", request.QueryParam("id"),
                                 " embed=", request.QueryParams("embed").size(), " body=",
                                 request.body);
    return response;
  });
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  ASSERT_GT(server.port(), 0);

  HttpRequest request;
  request.method = "PUT";
  request.url = absl::StrCat("http://127.0.0.1:", server.port(),
                             "/v2/apps/a%20b?id=x%2Fy&embed=1&embed=2");
  request.headers.push_back({"User-Agent", "PaaSTA Tools test"});
  request.body = R"({"instances": 2})";
  const auto response = HttpFetch(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status_code, 201);
  EXPECT_EQ(response->Header("content-type"), "application/json");
  EXPECT_EQ(response->Header("X-SEEN-AGENT"), "PaaSTA Tools test");
  EXPECT_EQ(response->body, R"(PUT /v2/apps/a b id=x/y embed=2 body={"instances": 2})");
}

TEST(HttpTest, FormBodiesDecode) {
  const auto fields = ParseFormEncoded("status=down&reason=Drained+by+Paasta&expiration=17.5&x");
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0], std::make_pair(std::string("status"), std::string("down")));
  EXPECT_EQ(fields[1].second, "Drained by Paasta");
  EXPECT_EQ(fields[2].second, "17.5");
  EXPECT_EQ(fields[3], std::make_pair(std::string("x"), std::string("")));
  EXPECT_EQ(UrlEncode("Drained by Paasta/1"), "Drained%20by%20Paasta%2F1");
  EXPECT_EQ(UrlDecode(UrlEncode("a b+c%/é"), false), "a b+c%/é");
  // A truncated escape stays as written.
  EXPECT_EQ(UrlDecode("100%", false), "100%");
  EXPECT_EQ(UrlDecode("%4", false), "%4");
}

TEST(HttpTest, RefusedConnectionIsUnavailableAndNamesTheUrl) {
  // Bind a port, then stop the server so nothing listens there.
  HttpServer server([](const HttpServerRequest&) { return HttpServerResponse{}; });
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  const int port = server.port();
  server.Stop();

  HttpRequest request;
  request.url = absl::StrCat("http://127.0.0.1:", port, "/status");
  const auto response = HttpFetch(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(response.status().message().find(request.url), std::string::npos)
      << response.status();
}

TEST(HttpTest, SlowPeerTimesOut) {
  absl::Notification release;
  HttpServer server([&](const HttpServerRequest&) {
    release.WaitForNotificationWithTimeout(absl::Seconds(10));
    return HttpServerResponse{};
  });
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  HttpRequest request;
  request.url = absl::StrCat("http://127.0.0.1:", server.port(), "/slow");
  request.timeout = absl::Milliseconds(300);
  const absl::Time start = absl::Now();
  const auto response = HttpFetch(request);
  const absl::Duration took = absl::Now() - start;
  release.Notify();
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded) << response.status();
  // Not a wall-clock assertion on speed: only that the call did not wait for
  // the server's 10 s.
  EXPECT_LT(took, absl::Seconds(9));
}

TEST(HttpTest, UnknownMethodIsRejectedBeforeAnyRequest) {
  HttpRequest request;
  request.method = "BREW";
  request.url = "http://127.0.0.1:1/";
  const auto response = HttpFetch(request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HttpTest, BindingATakenPortIsAnError) {
  HttpServer first([](const HttpServerRequest&) { return HttpServerResponse{}; });
  ASSERT_TRUE(first.Start("127.0.0.1:0").ok());
  HttpServer second([](const HttpServerRequest&) { return HttpServerResponse{}; });
  const std::string taken = absl::StrCat("127.0.0.1:", first.port());
  const absl::Status status = second.Start(taken);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find(taken), std::string::npos) << status;
}

}  // namespace
}  // namespace paasta
