// The spool against hacheck's documented API (../shared/reference/
// external-apis.md §3.1), over real HTTP on 127.0.0.1.
#include "drainer/hacheck_spool.h"

#include "absl/strings/str_cat.h"
#include "common/http_client.h"
#include "gtest/gtest.h"

namespace paasta::drainer {
namespace {

class HacheckSpoolTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start("127.0.0.1:0").ok()); }

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& body = "") {
    HttpRequest request;
    request.method = method;
    request.url = absl::StrCat("http://127.0.0.1:", server_.port(), path);
    request.body = body;
    if (!body.empty()) request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    absl::StatusOr<HttpResponse> response = HttpFetch(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : HttpResponse();
  }

  FakeClock clock_{absl::FromUnixSeconds(1795846142) + absl::Milliseconds(550)};
  HacheckSpool spool_{&clock_};
  HttpServer server_{[this](const HttpServerRequest& request) { return spool_.Handle(request); }};
};

TEST_F(HacheckSpoolTest, DownUpAndTheExactDownMessage) {
  EXPECT_EQ(Call("GET", "/spool/svc.main/31000/status").status_code, 200);
  HttpResponse posted =
      Call("POST", "/spool/svc.main/31000/status",
           "status=down&expiration=1795846146.0&reason=Drained+by+Paasta");
  EXPECT_EQ(posted.status_code, 200);
  EXPECT_EQ(posted.body, "");
  const HttpResponse down = Call("GET", "/spool/svc.main/31000/status");
  EXPECT_EQ(down.status_code, 503);
  EXPECT_EQ(down.body,
            "Service svc.main in down state since 1795846142.550000 until 1795846146.000000: "
            "Drained by Paasta");
  EXPECT_EQ(down.Header("content-type"), "text/html; charset=UTF-8");
  // Another port of the service is up.
  EXPECT_EQ(Call("GET", "/spool/svc.main/31001/status").status_code, 200);
  EXPECT_EQ(Call("POST", "/spool/svc.main/31000/status", "status=up").status_code, 200);
  EXPECT_EQ(Call("GET", "/spool/svc.main/31000/status").status_code, 200);
}

TEST_F(HacheckSpoolTest, ExpirationIsLazyAndRefreshingKeepsTheCreation) {
  Call("POST", "/spool/svc.main/31000/status", "status=down&expiration=1795846150&reason=r");
  clock_.Advance(absl::Seconds(3));
  // The same reason again with a later expiration keeps the first creation.
  Call("POST", "/spool/svc.main/31000/status", "status=down&expiration=1795846160&reason=r");
  EXPECT_EQ(Call("GET", "/spool/svc.main/31000/x").body,
            "Service svc.main in down state since 1795846142.550000 until 1795846160.000000: r");
  // A different reason starts over.
  Call("POST", "/spool/svc.main/31000/status", "status=down&expiration=1795846160&reason=other");
  EXPECT_EQ(Call("GET", "/spool/svc.main/31000/x").body,
            "Service svc.main in down state since 1795846145.550000 until 1795846160.000000: other");
  clock_.Advance(absl::Seconds(20));  // past the expiration: read as up
  EXPECT_EQ(Call("GET", "/spool/svc.main/31000/status").status_code, 200);
}

TEST_F(HacheckSpoolTest, WholeServiceAndAll) {
  // Port 0 marks the whole service down; no expiration and no reason text.
  Call("POST", "/spool/svc.main/0/status", "status=down&reason=");
  EXPECT_EQ(Call("GET", "/spool/svc.main/12345/status").body,
            "Service svc.main in down state since 1795846142.550000");
  spool_.MarkDown("all", "maintenance", std::nullopt, std::nullopt);
  EXPECT_EQ(Call("GET", "/spool/other/1/status").body,
            "Service all in down state since 1795846142.550000: maintenance");
}

TEST_F(HacheckSpoolTest, BadRequests) {
  HttpResponse response = Call("POST", "/spool/svc.main/31000/status", "status=sideways&reason=x");
  EXPECT_EQ(response.status_code, 400);
  EXPECT_EQ(response.body, "status must be up or down");
  EXPECT_EQ(Call("POST", "/spool/svc.main/31000/status", "status=down").status_code, 400);  // no reason
  EXPECT_EQ(Call("GET", "/spool/svc%20main/31000/status").status_code, 404);
  EXPECT_EQ(Call("GET", "/spool/svc/notaport/status").status_code, 404);
  EXPECT_EQ(Call("GET", "/elsewhere").status_code, 404);
}

}  // namespace
}  // namespace paasta::drainer
