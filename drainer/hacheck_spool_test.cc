// The spool against hacheck's documented API (../shared/reference/
// external-apis.md §3.1), over real HTTP on 127.0.0.1.
#include "drainer/hacheck_spool.h"

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/http_client.h"
#include "common/testing/child_process.h"
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
      Call("POST", "/spool/svc.main/31000/status", "status=down&expiration=1795846146.0&reason=Drained+by+Paasta");
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
  EXPECT_EQ(Call("GET", "/spool/svc.main/12345/status").body, "Service svc.main in down state since 1795846142.550000");
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

// A task's own health endpoint, for the pass-through checks.
class Backend {
 public:
  Backend()
      : server_([this](const HttpServerRequest& request) {
          HttpServerResponse response;
          response.status_code = request.path == "/status" ? 200 : 500;
          response.body = absl::StrCat("path=", request.path, " query=", request.query);
          return response;
        }) {
    EXPECT_TRUE(server_.Start("127.0.0.1:0").ok());
  }
  int port() const { return server_.port(); }

 private:
  HttpServer server_;
};

TEST_F(HacheckSpoolTest, HealthChecksPassThroughUnlessTheTaskIsMarkedDown) {
  Backend backend;
  const std::string http = absl::StrCat("/http/svc.main/", backend.port(), "/status?verbose=1");
  HttpResponse answer = Call("GET", http);
  EXPECT_EQ(answer.status_code, 200);
  EXPECT_EQ(answer.body, "path=/status query=verbose=1") << "the task's own answer";
  EXPECT_EQ(Call("GET", absl::StrCat("/http/svc.main/", backend.port(), "/broken")).status_code, 500);
  EXPECT_EQ(Call("GET", absl::StrCat("/tcp/svc.main/", backend.port(), "/")).status_code, 200);

  Call("POST", absl::StrCat("/spool/svc.main/", backend.port(), "/status"), "status=down&reason=Drained+by+Paasta");
  answer = Call("GET", http);
  EXPECT_EQ(answer.status_code, 503);
  EXPECT_EQ(answer.body, "Service svc.main in down state since 1795846142.550000: Drained by Paasta");
  EXPECT_EQ(Call("GET", absl::StrCat("/tcp/svc.main/", backend.port(), "/")).status_code, 503);
  Call("POST", absl::StrCat("/spool/svc.main/", backend.port(), "/status"), "status=up");
  EXPECT_EQ(Call("GET", http).status_code, 200);
}

TEST_F(HacheckSpoolTest, HaproxysServerStateHeaderNamesThePort) {
  Backend backend;
  HttpRequest request;
  request.url = absl::StrCat("http://127.0.0.1:", server_.port(), "/http/svc.main/0/status");
  request.headers = {
      {"X-Haproxy-Server-State",
       absl::StrCat("UP 2/3; name=svc.main/127.0.0.1:", backend.port(),
                    "; node=paasta; weight=1/1; scur=0/1; qcur=0; address=127.0.0.1; port=", backend.port())}};
  absl::StatusOr<HttpResponse> answer = HttpFetch(request);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->status_code, 200);
  EXPECT_EQ(answer->body, "path=/status query=");
  Call("POST", absl::StrCat("/spool/svc.main/", backend.port(), "/status"), "status=down&reason=Drained+by+Paasta");
  answer = HttpFetch(request);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->status_code, 503) << "the drained server of the backend";
  EXPECT_EQ(Call("GET", "/http/svc.main/0/status").status_code, 400) << "no header, no port";
}

TEST_F(HacheckSpoolTest, ATaskThatDoesNotAnswerIsDown) {
  // Nothing listens on port 1 of loopback.
  const HttpResponse http = Call("GET", "/http/svc.main/1/status");
  EXPECT_EQ(http.status_code, 503);
  EXPECT_NE(http.body.find("127.0.0.1:1"), std::string::npos) << http.body;
  const HttpResponse tcp = Call("GET", "/tcp/svc.main/1/");
  EXPECT_EQ(tcp.status_code, 503);
  EXPECT_EQ(tcp.body, "cannot connect to 127.0.0.1:1: Connection refused");
}

TEST(HacheckSpoolFilesTest, EntriesSurviveARestartAsHachecksFiles) {
  FakeClock clock(absl::FromUnixSeconds(1795846142));
  const std::string root = paasta::testing::NewTempDir("spool") + "/hacheck";
  {
    HacheckSpool spool(&clock, {root});
    spool.MarkDown("svc.main:31000", "Drained by Paasta", 1795846742.0, std::nullopt);
    spool.MarkDown("svc.canary", "maintenance", std::nullopt, std::nullopt);
    spool.MarkDown("svc.other:31001", "brief", std::nullopt, std::nullopt);
    spool.MarkUp("svc.other:31001");
  }
  absl::StatusOr<std::string> file = ReadFile(root + "/svc.main:31000");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(*file, R"({"creation":1795846142.0,"expiration":1795846742.0,"reason":"Drained by Paasta"})");
  EXPECT_FALSE(ReadFile(root + "/svc.other:31001").ok());
  ASSERT_TRUE(WriteFileAtomically(root + "/svc.legacy", "old format reason\n").ok());

  HacheckSpool restarted(&clock, {root});
  EXPECT_EQ(restarted.DownMessage("svc.main", 31000),
            "Service svc.main in down state since 1795846142.000000 until 1795846742.000000: Drained by Paasta");
  EXPECT_EQ(restarted.DownMessage("svc.canary", 5),
            "Service svc.canary in down state since 1795846142.000000: maintenance");
  EXPECT_EQ(restarted.DownMessage("svc.legacy", 5),
            "Service svc.legacy in down state since 0.000000: old format reason");
  clock.Advance(absl::Minutes(11));  // past the expiration: up, and the file is gone
  EXPECT_FALSE(restarted.DownMessage("svc.main", 31000).has_value());
  EXPECT_FALSE(ReadFile(root + "/svc.main:31000").ok());
}

}  // namespace
}  // namespace paasta::drainer
