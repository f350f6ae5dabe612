#include "fake_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace svault::cli::testing {
namespace {

// Reads from a plain socket or a TLS session; <= 0 at the end.
class Connection {
 public:
  Connection(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  int Read(char* buffer, int size) {
    return ssl_ ? SSL_read(ssl_, buffer, size) : static_cast<int>(read(fd_, buffer, size));
  }
  void Write(const std::string& bytes) {
    if (ssl_) {
      SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
    } else {
      (void)!write(fd_, bytes.data(), bytes.size());
    }
  }

 private:
  int fd_;
  SSL* ssl_;
};

size_t ContentLength(const std::string& head) {
  std::string lower(head);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto at = lower.find("\r\ncontent-length:");
  if (at == std::string::npos) return 0;
  return std::stoul(lower.substr(at + 17));
}

// Reads one request: the head, then Content-Length bytes of body.
std::string ReadRequest(Connection& connection) {
  std::string data;
  char buffer[4096];
  size_t expected = std::string::npos;
  while (data.size() < expected) {
    const int n = connection.Read(buffer, sizeof buffer);
    if (n <= 0) break;
    data.append(buffer, static_cast<size_t>(n));
    const auto head_end = data.find("\r\n\r\n");
    if (expected == std::string::npos && head_end != std::string::npos) {
      expected = head_end + 4 + ContentLength(data.substr(0, head_end + 2));
    }
  }
  return data;
}

}  // namespace

FakeHttpServer::FakeHttpServer(std::string answer, SSL_CTX* tls)
    : answer_(std::move(answer)), tls_(tls) {
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener_, 16) != 0 ||
      getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

FakeHttpServer::~FakeHttpServer() {
  stop_ = true;
  thread_.join();
  close(listener_);
}

std::vector<std::string> FakeHttpServer::requests() {
  std::lock_guard lock(mutex_);
  return requests_;
}

void FakeHttpServer::Serve() {
  while (!stop_) {
    pollfd ready{listener_, POLLIN, 0};
    if (poll(&ready, 1, 50) <= 0) continue;
    const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    HandleConnection(fd);
    close(fd);
  }
}

void FakeHttpServer::HandleConnection(int fd) {
  SSL* ssl = nullptr;
  if (tls_) {
    ssl = SSL_new(tls_);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {
      SSL_free(ssl);
      return;
    }
  }
  Connection connection(fd, ssl);
  const std::string request = ReadRequest(connection);
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }
  if (answer_.empty()) {
    while (!stop_) usleep(10'000);  // a server that never answers
  } else {
    connection.Write(answer_);
  }
  if (ssl) {
    SSL_shutdown(ssl);
    SSL_free(ssl);
  }
}

std::string FakeHttpServer::JsonAnswer(int status, const std::string& body,
                                       const std::string& request_id) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
         "X-Request-Id: " + request_id + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

TestCertificate::TestCertificate(const std::string& subject_alt_names) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("svault test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);

  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* san =
      X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, subject_alt_names.c_str());
  X509_add_ext(cert, san, -1);
  X509_EXTENSION_free(san);
  X509_sign(cert, key, EVP_sha256());

  BIO* pem = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(pem, cert);
  char* data = nullptr;
  const long size = BIO_get_mem_data(pem, &data);
  cert_pem.assign(data, static_cast<size_t>(size));
  BIO_free(pem);

  server_context = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(server_context, cert);
  SSL_CTX_use_PrivateKey(server_context, key);
  X509_free(cert);
  EVP_PKEY_free(key);
}

TestCertificate::~TestCertificate() { SSL_CTX_free(server_context); }

}  // namespace svault::cli::testing
