// The HTTP listener over real sockets on 127.0.0.1 and an ephemeral port. Clients are Beast's
// synchronous ones, or raw bytes written to a socket when the request must be malformed.
#include "api/http_server.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <stdlib.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace svault::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

using Response = http::response<http::string_body>;

HttpResponse Text(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.content_type = "text/plain";
  response.body = std::move(body);
  return response;
}

HttpResponse Echo(const HttpRequest& request) { return Text(200, request.target); }
HttpResponse TooLarge(const HttpRequest&) { return Text(413, "too large"); }

HttpServerOptions LocalOptions(int threads = 2) {
  HttpServerOptions options;
  options.listen_address = "127.0.0.1";
  options.port = 0;
  options.threads = threads;
  return options;
}

// A server serving on a thread of its own until Stop().
class RunningServer {
 public:
  explicit RunningServer(std::unique_ptr<HttpServer> server) : server_(std::move(server)) {
    thread_ = std::thread([this] {
      server_->Run();
      returned_.set_value();
    });
  }
  ~RunningServer() { Stop(2000); }

  uint16_t port() const { return server_->port(); }
  void Stop(int drain_ms) {
    server_->Stop(drain_ms);
    if (thread_.joinable()) thread_.join();
  }
  // Stop() without waiting; the caller then checks that Run() returns in time.
  void RequestStop(int drain_ms) { server_->Stop(drain_ms); }
  bool RunReturnedWithin(std::chrono::milliseconds timeout) {
    return done_.wait_for(timeout) == std::future_status::ready;
  }

 private:
  std::unique_ptr<HttpServer> server_;
  std::promise<void> returned_;
  std::future<void> done_ = returned_.get_future();
  std::thread thread_;
};

std::unique_ptr<RunningServer> Start(const HttpServerOptions& options,
                                     std::function<HttpResponse(const HttpRequest&)> handler,
                                     OversizeHandler oversize = TooLarge) {
  auto server = HttpServer::Create(options, Immediate(std::move(handler)), std::move(oversize));
  if (!server.ok()) {
    ADD_FAILURE() << server.status().ToString();
    return nullptr;
  }
  return std::make_unique<RunningServer>(std::move(server).value());
}

tcp::endpoint Local(uint16_t port) { return {asio::ip::make_address("127.0.0.1"), port}; }

// A synchronous keep-alive client.
class Client {
 public:
  explicit Client(uint16_t port) { stream_.connect(Local(port)); }

  Response Send(http::request<http::string_body> request) {
    request.version(11);
    request.set(http::field::host, "127.0.0.1");
    request.prepare_payload();
    http::write(stream_, request);
    return Read();
  }
  Response Get(std::string target) { return Send({http::verb::get, target, 11}); }
  Response Read() {
    Response response;
    http::read(stream_, buffer_, response);
    return response;
  }
  // The answer to HEAD has a Content-Length but no body.
  Response ReadAnswerToHead() {
    http::response_parser<http::string_body> parser;
    parser.skip(true);
    http::read(stream_, buffer_, parser);
    return parser.release();
  }
  void WriteRaw(std::string_view bytes) { asio::write(stream_.socket(), asio::buffer(bytes)); }
  // True when the server has closed the connection (the next read finds the end of stream).
  bool ClosedByServer() {
    beast::error_code ec;
    Response response;
    http::read(stream_, buffer_, response, ec);
    return ec == http::error::end_of_stream || ec == asio::error::connection_reset;
  }
  tcp::endpoint local_endpoint() const { return stream_.socket().local_endpoint(); }

 private:
  asio::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
};

std::string Post(std::string_view target, std::string_view body_or_headers) {
  return std::string("POST ") + std::string(target) + " HTTP/1.1\r\nHost: x\r\n" +
         std::string(body_or_headers);
}

TEST(HttpServerTest, GetRoundTrip) {
  auto server = Start(LocalOptions(), [](const HttpRequest&) {
    HttpResponse response = Text(200, "hello");
    response.headers.push_back({"Cache-Control", "no-store"});
    return response;
  });
  ASSERT_NE(server, nullptr);

  Response response = Client(server->port()).Get("/api/v1/sys/health");
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "hello");
  EXPECT_EQ(response[http::field::content_type], "text/plain");
  EXPECT_EQ(response[http::field::cache_control], "no-store");
  EXPECT_TRUE(response["X-Request-Id"].starts_with("req_"));
}

TEST(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  std::mutex mu;
  std::set<std::string> clients;
  auto server = Start(LocalOptions(), [&](const HttpRequest& request) {
    std::lock_guard lock(mu);
    clients.insert(request.client_address);
    return Echo(request);
  });
  ASSERT_NE(server, nullptr);

  Client client(server->port());
  for (int i = 0; i < 5; ++i) {
    Response response = client.Get("/n/" + std::to_string(i));
    EXPECT_EQ(response.body(), "/n/" + std::to_string(i));
    EXPECT_TRUE(response.keep_alive());
  }
  EXPECT_EQ(clients.size(), 1u);  // one connection throughout
}

TEST(HttpServerTest, HandlerSeesRequestFields) {
  std::mutex mu;
  std::vector<HttpRequest> seen;
  auto server = Start(LocalOptions(), [&](const HttpRequest& request) {
    std::lock_guard lock(mu);
    seen.push_back(request);
    return Text(201, "");
  });
  ASSERT_NE(server, nullptr);

  Client client(server->port());
  http::request<http::string_body> request{http::verb::post, "/api/v1/x?limit=10&cursor=a", 11};
  request.set(http::field::authorization, "Bearer tok");
  request.set(http::field::content_type, "application/json");
  request.body() = R"({"value":"v"})";
  EXPECT_EQ(client.Send(request).result_int(), 201);
  EXPECT_EQ(client.Get("/plain").result_int(), 201);

  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/api/v1/x?limit=10&cursor=a");
  EXPECT_EQ(seen[0].path, "/api/v1/x");
  EXPECT_EQ(seen[0].query, "limit=10&cursor=a");
  EXPECT_EQ(seen[0].authorization, "Bearer tok");
  EXPECT_EQ(seen[0].content_type, "application/json");
  EXPECT_EQ(seen[0].body, R"({"value":"v"})");
  EXPECT_EQ(seen[0].client_address, "127.0.0.1:" + std::to_string(client.local_endpoint().port()));
  EXPECT_TRUE(seen[0].request_id.starts_with("req_"));
  EXPECT_NE(seen[0].request_id, seen[1].request_id);
  EXPECT_EQ(seen[1].path, "/plain");
  EXPECT_EQ(seen[1].query, "");
  EXPECT_EQ(seen[1].authorization, "");
}

TEST(HttpServerTest, ResponseCarriesTheRequestIdTheHandlerSaw) {
  std::string id;
  auto server = Start(LocalOptions(1), [&](const HttpRequest& request) {
    id = request.request_id;
    return Text(200, "");
  });
  ASSERT_NE(server, nullptr);
  Response response = Client(server->port()).Get("/");
  EXPECT_EQ(response["X-Request-Id"], id);
}

// An oversize request: OversizeHandler answers, Handler never runs, the connection closes.
struct OversizeProbe {
  std::atomic<int> handled{0};
  std::mutex mu;
  std::vector<HttpRequest> oversize;

  std::unique_ptr<RunningServer> Start(size_t limit) {
    HttpServerOptions options = LocalOptions();
    options.max_body_bytes = limit;
    return svault::api::Start(
        options,
        [this](const HttpRequest& request) {
          ++handled;
          return Echo(request);
        },
        [this](const HttpRequest& request) {
          std::lock_guard lock(mu);
          oversize.push_back(request);
          return Text(503, "sealed");  // the oversize handler chooses the status
        });
  }
};

TEST(HttpServerTest, OversizeBodyCallsOversizeHandler) {
  OversizeProbe probe;
  auto server = probe.Start(1024);
  ASSERT_NE(server, nullptr);

  Client client(server->port());
  http::request<http::string_body> request{http::verb::put, "/api/v1/values/k", 11};
  request.set(http::field::authorization, "Bearer tok");
  request.body() = std::string(4096, 'x');
  Response response = client.Send(request);
  EXPECT_EQ(response.result_int(), 503);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.ClosedByServer());

  EXPECT_EQ(probe.handled, 0);
  std::lock_guard lock(probe.mu);
  ASSERT_EQ(probe.oversize.size(), 1u);
  EXPECT_EQ(probe.oversize[0].method, "PUT");
  EXPECT_EQ(probe.oversize[0].path, "/api/v1/values/k");
  EXPECT_EQ(probe.oversize[0].authorization, "Bearer tok");
  EXPECT_EQ(probe.oversize[0].body, "");
  EXPECT_EQ(response["X-Request-Id"], probe.oversize[0].request_id);
}

TEST(HttpServerTest, BodyAtTheLimitIsServed) {
  OversizeProbe probe;
  auto server = probe.Start(1024);
  ASSERT_NE(server, nullptr);
  http::request<http::string_body> request{http::verb::post, "/", 11};
  request.body() = std::string(1024, 'x');
  EXPECT_EQ(Client(server->port()).Send(request).result_int(), 200);
  EXPECT_EQ(probe.handled, 1);
}

TEST(HttpServerTest, ContentLengthOverLimitWithoutBodyGetsOversizeAnswer) {
  OversizeProbe probe;
  auto server = probe.Start(1024);
  ASSERT_NE(server, nullptr);

  Client client(server->port());
  client.WriteRaw(Post("/big", "Content-Length: 1000000000\r\n\r\n"));  // and no body at all
  Response response = client.Read();
  EXPECT_EQ(response.result_int(), 503);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(probe.handled, 0);
}

TEST(HttpServerTest, ChunkedBodyOverLimitCallsOversizeHandler) {
  OversizeProbe probe;
  auto server = probe.Start(1024);
  ASSERT_NE(server, nullptr);

  Client client(server->port());
  std::string chunk = "320\r\n" + std::string(800, 'x') + "\r\n";  // 0x320 = 800 bytes
  client.WriteRaw(Post("/chunked", "Transfer-Encoding: chunked\r\n\r\n") + chunk + chunk +
                  "0\r\n\r\n");
  Response response = client.Read();
  EXPECT_EQ(response.result_int(), 503);
  EXPECT_EQ(probe.handled, 0);
  std::lock_guard lock(probe.mu);
  ASSERT_EQ(probe.oversize.size(), 1u);
  EXPECT_EQ(probe.oversize[0].path, "/chunked");
}

TEST(HttpServerTest, ChunkedBodyWithinLimitIsServed) {
  std::string body;
  auto server = Start(LocalOptions(1), [&](const HttpRequest& request) {
    body = request.body;
    return Text(200, "");
  });
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  client.WriteRaw(Post("/", "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  EXPECT_EQ(client.Read().result_int(), 200);
  EXPECT_EQ(body, "abcde");
}

// Bodies of every size, one behind another on a connection (pipelined, so a next request is in
// the read buffer as one is parsed), each arrive whole: the buffer's sizing and wiping between
// requests lose nothing.
TEST(HttpServerTest, PipelinedBodiesOfEverySizeArriveWhole) {
  std::mutex mu;
  std::vector<std::string> bodies;
  auto server = Start(LocalOptions(1), [&](const HttpRequest& request) {
    std::lock_guard lock(mu);
    bodies.push_back(request.body);
    return Text(200, "");
  });
  ASSERT_NE(server, nullptr);
  std::vector<std::string> sent;
  for (size_t size : {size_t{0}, size_t{5}, size_t{70'000}, size_t{700}, size_t{200'000}}) {
    sent.push_back(std::string(size, static_cast<char>('a' + sent.size())));
  }
  std::string wire;
  for (const std::string& body : sent) {
    wire += Post("/", "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  }
  wire += Post("/", "Transfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n");
  sent.push_back("xyz");
  Client client(server->port());
  client.WriteRaw(wire);  // the answers are small: they wait in the socket meanwhile
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(client.Read().result_int(), 200) << i;
  std::lock_guard lock(mu);
  EXPECT_EQ(bodies, sent);
}

void ExpectMalformedAnswer(Client& client) {
  Response response = client.Read();
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(response[http::field::content_type], "application/json");
  std::string id(response["X-Request-Id"]);
  EXPECT_TRUE(id.starts_with("req_"));
  EXPECT_EQ(response.body(), R"({"error":{"code":"bad_request","message":"malformed HTTP request",)"
                             R"("details":[]},"request_id":")" +
                                 id + R"("})");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.ClosedByServer());
}

TEST(HttpServerTest, MalformedRequestLineGets400Json) {
  std::atomic<int> handled{0};
  auto server = Start(LocalOptions(), [&](const HttpRequest& request) {
    ++handled;
    return Echo(request);
  });
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  client.WriteRaw("GARBAGE\r\n\r\n");
  ExpectMalformedAnswer(client);
  EXPECT_EQ(handled, 0);
}

TEST(HttpServerTest, HeaderOverLimitGets400) {
  auto server = Start(LocalOptions(), Echo);
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  client.WriteRaw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20 * 1024, 'a') +
                  "\r\n\r\n");
  ExpectMalformedAnswer(client);
}

TEST(HttpServerTest, BadChunkEncodingGets400) {
  auto server = Start(LocalOptions(), Echo);
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  client.WriteRaw(Post("/", "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n"));
  ExpectMalformedAnswer(client);
}

TEST(HttpServerTest, ThrowingHandlerGets500AndConnectionSurvives) {
  auto server = Start(LocalOptions(1), [](const HttpRequest& request) -> HttpResponse {
    if (request.path == "/throw") throw std::runtime_error("boom");
    return Echo(request);
  });
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  Response response = client.Get("/throw");
  EXPECT_EQ(response.result_int(), 500);
  EXPECT_NE(response.body().find(R"("code":"internal")"), std::string::npos);
  EXPECT_EQ(client.Get("/after").body(), "/after");
}

TEST(HttpServerTest, HandlerCannotBreakFraming) {
  auto server = Start(LocalOptions(1), [](const HttpRequest& request) {
    HttpResponse response = Text(200, "ok");
    response.headers = {{"Content-Length", "999"},
                        {"Connection", "close"},
                        {"X-Injected", "a\r\nSet-Cookie: b"},
                        {"X-Fine", "yes"}};
    return response;
  });
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  Response response = client.Get("/");
  EXPECT_EQ(response.body(), "ok");
  EXPECT_TRUE(response.keep_alive());
  EXPECT_EQ(response.count("X-Injected"), 0u);
  EXPECT_EQ(response.count(http::field::set_cookie), 0u);
  EXPECT_EQ(response["X-Fine"], "yes");
  EXPECT_EQ(client.Get("/again").result_int(), 200);
}

TEST(HttpServerTest, HeadGetsHeaderWithoutBody) {
  auto server = Start(LocalOptions(1), Echo);
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  client.WriteRaw("HEAD /abc HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n");
  Response head = client.ReadAnswerToHead();
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(head[http::field::content_length], "4");
  EXPECT_EQ(client.Read().body(), "/next");  // not swallowed as the HEAD answer's body
}

TEST(HttpServerTest, ExpectContinueGets100ThenTheAnswer) {
  auto server =
      Start(LocalOptions(1), [](const HttpRequest& request) { return Text(200, request.body); });
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  client.WriteRaw(Post("/", "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  Response interim = client.Read();
  EXPECT_EQ(interim.result_int(), 100);
  client.WriteRaw("hello");
  Response response = client.Read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "hello");
}

TEST(HttpServerTest, EightClientsTimesTwoHundredRequestsAllAnswered) {
  std::mutex mu;
  std::set<std::string> request_ids;
  auto server = Start(LocalOptions(2), [&](const HttpRequest& request) {
    {
      std::lock_guard lock(mu);
      request_ids.insert(request.request_id);
    }
    return Echo(request);
  });
  ASSERT_NE(server, nullptr);

  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      std::optional<Client> client;
      for (int i = 0; i < 200; ++i) {
        if (i % 50 == 0) client.emplace(server->port());  // new connections along the way too
        std::string target = "/c/" + std::to_string(c) + "/" + std::to_string(i);
        Response response = client->Get(target);
        if (response.result_int() == 200 && response.body() == target) ++answered;
      }
    });
  }
  for (std::thread& thread : clients) thread.join();
  EXPECT_EQ(answered, 1600);
  std::lock_guard lock(mu);
  EXPECT_EQ(request_ids.size(), 1600u);
}

TEST(HttpServerTest, StopLetsInFlightResponseFinishAndClosesIdleConnections) {
  std::promise<void> entered;
  auto server = Start(LocalOptions(2), [&](const HttpRequest& request) {
    if (request.path == "/slow") {
      entered.set_value();
      std::this_thread::sleep_for(300ms);
      return Text(200, "done");
    }
    return Echo(request);
  });
  ASSERT_NE(server, nullptr);
  uint16_t port = server->port();

  Client idle(port);
  EXPECT_EQ(idle.Get("/warm").result_int(), 200);
  auto slow = std::async(std::launch::async, [port] { return Client(port).Get("/slow"); });
  entered.get_future().wait();

  auto started = std::chrono::steady_clock::now();
  server->RequestStop(5000);
  Response response = slow.get();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "done");
  EXPECT_TRUE(idle.ClosedByServer());
  ASSERT_TRUE(server->RunReturnedWithin(3s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);  // well before the drain bound

  asio::io_context ioc;
  tcp::socket socket(ioc);
  beast::error_code ec;
  socket.connect(Local(port), ec);
  EXPECT_EQ(ec, asio::error::connection_refused);
}

TEST(HttpServerTest, DrainDeadlineClosesBusyConnections) {
  auto server = Start(LocalOptions(1), Echo);
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  client.WriteRaw(Post("/", "Content-Length: 100\r\n\r\nonly part of the body"));  // never ends
  std::this_thread::sleep_for(100ms);  // let the server start reading the body
  server->RequestStop(200);
  EXPECT_TRUE(server->RunReturnedWithin(3s));
}

TEST(HttpServerTest, StopBeforeRunMakesRunReturn) {
  auto created = HttpServer::Create(LocalOptions(2), Immediate(Echo), TooLarge);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  created.value()->Stop(100);
  created.value()->Stop(100);  // a second call is harmless
  created.value()->Run();      // returns at once
}

TEST(HttpServerTest, PortZeroBindsEveryWorkerToOnePort) {
  auto server = Start(LocalOptions(4), Echo);
  ASSERT_NE(server, nullptr);
  EXPECT_NE(server->port(), 0);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(Client(server->port()).Get("/").result_int(), 200);
}

TEST(HttpServerTest, CreateFailsWhenPortIsTaken) {
  auto first = Start(LocalOptions(), Echo);
  ASSERT_NE(first, nullptr);
  HttpServerOptions options = LocalOptions();
  options.port = first->port();
  auto second = HttpServer::Create(options, Immediate(Echo), TooLarge);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kUnavailable);
  EXPECT_NE(second.status().message().find("127.0.0.1:" + std::to_string(options.port)),
            std::string::npos);
}

TEST(HttpServerTest, CreateFailsOnAddressThatIsNotAnIp) {
  HttpServerOptions options = LocalOptions();
  options.listen_address = "not-an-address";
  auto created = HttpServer::Create(options, Immediate(Echo), TooLarge);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), Code::kUnavailable);
}

// A temporary directory with a self-signed P-256 certificate for CN=localhost.
class TlsFiles {
 public:
  TlsFiles() {
    std::string pattern = (std::filesystem::temp_directory_path() / "svault-http-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-days 1 -subj /CN=localhost -keyout " +
        key() + " -out " + cert() + " >/dev/null 2>&1";
    ok_ = std::system(command.c_str()) == 0;
  }
  ~TlsFiles() { std::filesystem::remove_all(dir_); }

  bool ok() const { return ok_; }
  std::string cert() const { return (dir_ / "cert.pem").string(); }
  std::string key() const { return (dir_ / "key.pem").string(); }
  std::string path(const char* name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
  bool ok_ = false;
};

HttpServerOptions TlsOptions(const TlsFiles& files) {
  HttpServerOptions options = LocalOptions();
  options.tls_cert_file = files.cert();
  options.tls_key_file = files.key();
  return options;
}

TEST(HttpServerTest, TlsRoundTripVerifiesServerCertificate) {
  TlsFiles files;
  ASSERT_TRUE(files.ok()) << "openssl could not make a certificate";
  auto server = Start(TlsOptions(files), Echo);
  ASSERT_NE(server, nullptr);

  ssl::context context(ssl::context::tls_client);
  context.load_verify_file(files.cert());
  context.set_verify_mode(ssl::verify_peer);
  asio::io_context ioc;
  beast::ssl_stream<beast::tcp_stream> stream(ioc, context);
  ASSERT_EQ(SSL_set_tlsext_host_name(stream.native_handle(), "localhost"), 1);
  stream.set_verify_callback(ssl::host_name_verification("localhost"));
  beast::get_lowest_layer(stream).connect(Local(server->port()));
  stream.handshake(ssl::stream_base::client);
  EXPECT_GE(SSL_version(stream.native_handle()), TLS1_2_VERSION);

  http::request<http::string_body> request{http::verb::get, "/over/tls", 11};
  request.set(http::field::host, "localhost");
  http::write(stream, request);
  beast::flat_buffer buffer;
  Response response;
  http::read(stream, buffer, response);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "/over/tls");
}

TEST(HttpServerTest, TlsHandshakeFailureClosesQuietly) {
  TlsFiles files;
  ASSERT_TRUE(files.ok());
  auto server = Start(TlsOptions(files), Echo);
  ASSERT_NE(server, nullptr);
  Client plain(server->port());
  plain.WriteRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n");  // plain HTTP to a TLS port
  EXPECT_TRUE(plain.ClosedByServer());
}

TEST(HttpServerTest, CreateFailsWithMissingCertFile) {
  TlsFiles files;
  ASSERT_TRUE(files.ok());
  HttpServerOptions options = TlsOptions(files);
  options.tls_cert_file = files.path("missing.pem");
  auto created = HttpServer::Create(options, Immediate(Echo), TooLarge);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), Code::kUnavailable);
  EXPECT_NE(created.status().message().find("missing.pem"), std::string::npos);
}

TEST(HttpServerTest, CreateFailsOnUnreadableKeyWithoutEchoingIt) {
  TlsFiles files;
  ASSERT_TRUE(files.ok());
  std::ofstream(files.path("bad-key.pem")) << "SECRET-MATERIAL-NOT-A-KEY\n";
  HttpServerOptions options = TlsOptions(files);
  options.tls_key_file = files.path("bad-key.pem");
  auto created = HttpServer::Create(options, Immediate(Echo), TooLarge);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), Code::kUnavailable);
  EXPECT_NE(created.status().message().find("bad-key.pem"), std::string::npos);
  EXPECT_EQ(created.status().message().find("SECRET"), std::string::npos);
}

TEST(HttpServerTest, CreateFailsWithOnlyOneTlsFile) {
  HttpServerOptions options = LocalOptions();
  options.tls_cert_file = "/nonexistent/cert.pem";
  auto created = HttpServer::Create(options, Immediate(Echo), TooLarge);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace svault::api
