// A small HTTP/1.1 server for client tests, on 127.0.0.1 and a free port, optionally TLS. It
// serves one request per connection with a fixed answer and records what it received. Plain
// sockets and OpenSSL, so the test needs no Beast of its own.
#ifndef SVAULT_TESTS_UNIT_CLI_FAKE_HTTP_SERVER_H_
#define SVAULT_TESTS_UNIT_CLI_FAKE_HTTP_SERVER_H_

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace svault::cli::testing {

class FakeHttpServer {
 public:
  // `answer` is written as it is after each request; an empty answer means never answer (the
  // connection stays open until the server stops). `tls` (not owned) switches TLS on.
  explicit FakeHttpServer(std::string answer, SSL_CTX* tls = nullptr);
  ~FakeHttpServer();

  uint16_t port() const { return port_; }
  // The raw requests received so far (head and body).
  std::vector<std::string> requests();

  // An answer with a JSON body and the usual headers.
  static std::string JsonAnswer(int status, const std::string& body,
                                const std::string& request_id = "req_fake");

 private:
  void Serve();
  void HandleConnection(int fd);

  std::string answer_;
  SSL_CTX* tls_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

// A self-signed certificate and key for `subject_alt_names` (e.g. "IP:127.0.0.1,DNS:localhost").
struct TestCertificate {
  std::string cert_pem;
  SSL_CTX* server_context = nullptr;  // serves that certificate; freed by the destructor

  explicit TestCertificate(const std::string& subject_alt_names);
  ~TestCertificate();
  TestCertificate(const TestCertificate&) = delete;
  TestCertificate& operator=(const TestCertificate&) = delete;
};

}  // namespace svault::cli::testing

#endif  // SVAULT_TESTS_UNIT_CLI_FAKE_HTTP_SERVER_H_
