// The real HTTP client against a fake server on 127.0.0.1: plain HTTP, TLS with --ca-cert and the
// host name check, failures, and one command end to end.
#include "cli/client.h"

#include <gtest/gtest.h>

#include <chrono>

#include "cli/cli.h"
#include "cli_harness.h"
#include "fake_http_server.h"
#include "temp_dir.h"

namespace svault::cli::testing {
namespace {

ClientOptions Options(const std::string& address, std::string ca = "") {
  auto endpoint = ParseAddress(address);
  EXPECT_TRUE(endpoint.ok()) << address;
  ClientOptions options;
  options.endpoint = *endpoint;
  options.ca_cert_file = std::move(ca);
  options.timeout = std::chrono::milliseconds(3000);
  return options;
}

Request PutRequest() {
  Request request = MakeRequest("PUT", "/api/v1/environments/acme/secrets/K");
  request.content_type = "application/json";
  request.body = SecretBytes(std::string_view(R"({"value":"v"})"));
  return request;
}

TEST(HttpClient, PlainRoundTrip) {
  FakeHttpServer server(FakeHttpServer::JsonAnswer(201, R"({"key":"K"})", "req_42"));
  ClientOptions options = Options("http://127.0.0.1:" + std::to_string(server.port()) + "/base");
  options.token = SecretBytes(std::string_view("svt_abc"));
  auto client = NewHttpClient(std::move(options));
  ASSERT_TRUE(client.ok()) << client.status().ToString();

  auto response = (*client)->Send(PutRequest());
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->request_id, "req_42");
  EXPECT_EQ(response->content_type, "application/json");
  EXPECT_EQ(response->body, R"({"key":"K"})");

  ASSERT_EQ(server.requests().size(), 1u);
  const std::string raw = server.requests()[0];
  EXPECT_EQ(raw.rfind("PUT /base/api/v1/environments/acme/secrets/K HTTP/1.1\r\n", 0), 0u) << raw;
  EXPECT_NE(raw.find("Authorization: Bearer svt_abc\r\n"), std::string::npos);
  EXPECT_NE(raw.find("Host: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"),
            std::string::npos);
  EXPECT_NE(raw.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_EQ(raw.substr(raw.size() - 13), R"({"value":"v"})");
}

TEST(HttpClient, NoTokenNoAuthorizationHeader) {
  FakeHttpServer server(FakeHttpServer::JsonAnswer(200, "{}"));
  auto client = NewHttpClient(Options("http://127.0.0.1:" + std::to_string(server.port())));
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Send(MakeRequest("GET", "/api/v1/tokens/self")).ok());
  EXPECT_EQ(server.requests()[0].find("Authorization"), std::string::npos);
}

TEST(HttpClient, ConnectionRefusedIsUnavailable) {
  uint16_t port = 0;
  { port = FakeHttpServer("x").port(); }  // a port that was free and now has no listener
  auto client = NewHttpClient(Options("http://127.0.0.1:" + std::to_string(port)));
  ASSERT_TRUE(client.ok());
  auto response = (*client)->Send(MakeRequest("GET", "/"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), Code::kUnavailable);
  EXPECT_NE(response.status().message().find("cannot reach http://127.0.0.1"), std::string::npos);
}

TEST(HttpClient, SilentServerTimesOut) {
  FakeHttpServer server("");
  ClientOptions options = Options("http://127.0.0.1:" + std::to_string(server.port()));
  options.timeout = std::chrono::milliseconds(200);
  auto client = NewHttpClient(std::move(options));
  ASSERT_TRUE(client.ok());
  const auto start = std::chrono::steady_clock::now();
  auto response = (*client)->Send(MakeRequest("GET", "/"));
  EXPECT_FALSE(response.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(HttpClient, CaCertNeedsHttps) {
  TempDir dir;
  auto client = NewHttpClient(Options("http://127.0.0.1:1", dir.Write("ca.pem", "x")));
  EXPECT_EQ(client.status().code(), Code::kBadRequest);
}

TEST(HttpClient, UnreadableCaCertIsRefused) {
  TempDir dir;
  auto client = NewHttpClient(Options("https://127.0.0.1:1", dir.Write("ca.pem", "not pem")));
  EXPECT_EQ(client.status().code(), Code::kBadRequest);
}

TEST(HttpClient, TlsWithCaCertVerifiesIpAndName) {
  TempDir dir;
  TestCertificate cert("IP:127.0.0.1,DNS:localhost");
  const std::string ca = dir.Write("ca.pem", cert.cert_pem);
  FakeHttpServer server(FakeHttpServer::JsonAnswer(200, R"({"ok":true})"), cert.server_context);
  const std::string port = std::to_string(server.port());

  for (const std::string host : {"127.0.0.1", "localhost"}) {
    auto client = NewHttpClient(Options("https://" + host + ":" + port, ca));
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    auto response = (*client)->Send(MakeRequest("GET", "/api/v1/sys/health"));
    ASSERT_TRUE(response.ok()) << host << ": " << response.status().ToString();
    EXPECT_EQ(response->body, R"({"ok":true})");
  }
}

TEST(HttpClient, TlsRejectsAnUntrustedCertificate) {
  TestCertificate cert("IP:127.0.0.1");
  FakeHttpServer server(FakeHttpServer::JsonAnswer(200, "{}"), cert.server_context);
  // The system store does not hold the test certificate.
  auto client = NewHttpClient(Options("https://127.0.0.1:" + std::to_string(server.port())));
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto response = (*client)->Send(MakeRequest("GET", "/"));
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.status().message().find("TLS handshake"), std::string::npos)
      << response.status().message();
  EXPECT_TRUE(server.requests().empty());
}

TEST(HttpClient, TlsRejectsACertificateForAnotherHost) {
  TempDir dir;
  TestCertificate cert("DNS:other.example");
  const std::string ca = dir.Write("ca.pem", cert.cert_pem);
  FakeHttpServer server(FakeHttpServer::JsonAnswer(200, "{}"), cert.server_context);
  const std::string port = std::to_string(server.port());
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    auto client = NewHttpClient(Options("https://" + host + ":" + port, ca));
    ASSERT_TRUE(client.ok());
    auto response = (*client)->Send(MakeRequest("GET", "/"));
    ASSERT_FALSE(response.ok()) << host;
    EXPECT_NE(response.status().message().find("mismatch"), std::string::npos)
        << response.status().message();
  }
  EXPECT_TRUE(server.requests().empty());
}

TEST(CliEndToEnd, ShowsAnEnvironmentOverHttp) {
  FakeHttpServer server(FakeHttpServer::JsonAnswer(200, R"({"id":"acme","description":"d"})"));
  CliHarness cli;
  cli.env["SVAULT_ADDR"] = "http://127.0.0.1:" + std::to_string(server.port());
  cli.env["SVAULT_TOKEN"] = "svt_e2e";
  EXPECT_EQ(RunCliWith({"env", "show", "acme"}, cli.io, NewHttpClient), kExitOk) << cli.err.str();
  EXPECT_EQ(cli.out.str(), "id           acme\ndescription  d\n");
  EXPECT_NE(server.requests()[0].find("Authorization: Bearer svt_e2e"), std::string::npos);
}

TEST(CliEndToEnd, ApiErrorIsExitTwo) {
  FakeHttpServer server(FakeHttpServer::JsonAnswer(
      404, R"({"error":{"code":"not_found","message":"no such environment"},"request_id":"r9"})",
      "r9"));
  CliHarness cli;
  const std::string address = "http://127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(RunCliWith({"--address", address, "env", "show", "nope"}, cli.io, NewHttpClient),
            kExitServer);
  EXPECT_EQ(cli.err.str(), "error: not_found: no such environment (request_id r9)\n");
}

}  // namespace
}  // namespace svault::cli::testing
