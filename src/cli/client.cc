#include "cli/client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace svault::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using HttpMessage = http::request<http::string_body>;

// Large enough for a full page of any list; a bound so a wrong server cannot exhaust memory.
constexpr uint64_t kMaxResponseBytes = 64ull << 20;
constexpr std::chrono::seconds kShutdownTimeout{2};

// Runs one asynchronous step to completion. The step is bounded by the tcp_stream's expiry,
// which makes it fail with beast::error::timeout; that is why the steps are not synchronous.
template <typename Initiate>
beast::error_code RunStep(asio::io_context& ioc, Initiate&& initiate) {
  beast::error_code result = asio::error::operation_aborted;
  initiate([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

bool IsIpAddress(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

class HttpClient final : public Transport {
 public:
  HttpClient(ClientOptions options, std::unique_ptr<ssl::context> tls)
      : options_(std::move(options)), tls_(std::move(tls)) {}

  Result<Response> Send(const Request& request) override;

 private:
  Status Failure(std::string_view step, const beast::error_code& ec) const;
  HttpMessage BuildMessage(const Request& request) const;
  Status Connect(asio::io_context& ioc, beast::tcp_stream& stream) const;
  Status Handshake(asio::io_context& ioc, beast::ssl_stream<beast::tcp_stream>& stream) const;
  template <typename Stream>
  Result<Response> Exchange(asio::io_context& ioc, Stream& stream, HttpMessage& message) const;

  ClientOptions options_;
  std::unique_ptr<ssl::context> tls_;  // null for plain http
};

Status HttpClient::Failure(std::string_view step, const beast::error_code& ec) const {
  return Status(Code::kUnavailable, "cannot reach " + options_.endpoint.ToString() + ": " +
                                        std::string(step) + ": " + ec.message());
}

HttpMessage HttpClient::BuildMessage(const Request& request) const {
  HttpMessage message;
  message.method_string(request.method);
  message.target(options_.endpoint.base_path + request.target);
  message.version(11);
  message.set(http::field::host, options_.endpoint.HostHeader());
  message.set(http::field::user_agent, "svault-cli/0.1");
  message.set(http::field::accept, "application/json");
  message.keep_alive(false);

  if (!options_.token.empty()) {
    std::string authorization = "Bearer " + std::string(options_.token.Reveal());
    message.set(http::field::authorization, authorization);
    WipeString(authorization);
  }
  if (!request.content_type.empty()) message.set(http::field::content_type, request.content_type);
  message.body().assign(request.body.Reveal());
  message.prepare_payload();
  return message;
}

Status HttpClient::Connect(asio::io_context& ioc, beast::tcp_stream& stream) const {
  tcp::resolver resolver(ioc);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(options_.endpoint.host, options_.endpoint.port, ec);
  if (ec) return Failure("resolving the host", ec);

  stream.expires_after(options_.timeout);
  ec = RunStep(ioc, [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
  if (ec) return Failure("connecting", ec);
  return Status::Ok();
}

Status HttpClient::Handshake(asio::io_context& ioc,
                             beast::ssl_stream<beast::tcp_stream>& stream) const {
  // Name checks: SNI and a host name match for names, an address match for IP literals.
  SSL* ssl = stream.native_handle();
  const std::string& host = options_.endpoint.host;
  if (IsIpAddress(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    SSL_set1_host(ssl, host.c_str());
  }

  beast::get_lowest_layer(stream).expires_after(options_.timeout);
  const auto ec = RunStep(ioc, [&](auto handler) {
    stream.async_handshake(ssl::stream_base::client, std::move(handler));
  });
  if (!ec) return Status::Ok();

  const long verify = SSL_get_verify_result(ssl);
  if (verify == X509_V_OK) return Failure("TLS handshake", ec);
  return Status(Code::kUnavailable, "cannot reach " + options_.endpoint.ToString() +
                                        ": TLS handshake: certificate not trusted: " +
                                        X509_verify_cert_error_string(verify));
}

template <typename Stream>
Result<Response> HttpClient::Exchange(asio::io_context& ioc, Stream& stream,
                                      HttpMessage& message) const {
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(options_.timeout);
  auto ec =
      RunStep(ioc, [&](auto handler) { http::async_write(stream, message, std::move(handler)); });
  WipeString(message.body());
  if (ec) return Failure("sending the request", ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  lowest.expires_after(options_.timeout);
  ec = RunStep(ioc,
               [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
  if (ec) return Failure("reading the answer", ec);

  auto& answer = parser.get();
  Response response;
  response.status = static_cast<int>(answer.result_int());
  response.content_type = std::string(answer[http::field::content_type]);
  response.request_id = std::string(answer["X-Request-Id"]);
  response.body = std::move(answer.body());
  return response;
}

Result<Response> HttpClient::Send(const Request& request) {
  asio::io_context ioc;
  HttpMessage message = BuildMessage(request);
  if (!tls_) {
    beast::tcp_stream stream(ioc);
    SVAULT_RETURN_IF_ERROR(Connect(ioc, stream));
    return Exchange(ioc, stream, message);
  }

  beast::ssl_stream<beast::tcp_stream> stream(ioc, *tls_);
  SVAULT_RETURN_IF_ERROR(Connect(ioc, beast::get_lowest_layer(stream)));
  SVAULT_RETURN_IF_ERROR(Handshake(ioc, stream));
  auto response = Exchange(ioc, stream, message);

  // A clean close_notify; the answer is complete already, so a failure here does not matter.
  beast::get_lowest_layer(stream).expires_after(kShutdownTimeout);
  RunStep(ioc, [&](auto handler) { stream.async_shutdown(std::move(handler)); });
  return response;
}

Result<std::unique_ptr<ssl::context>> NewTlsContext(const std::string& ca_cert_file) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_verify_mode(ssl::verify_peer);

  beast::error_code ec;
  if (ca_cert_file.empty()) {
    context->set_default_verify_paths(ec);
  } else {
    context->load_verify_file(ca_cert_file, ec);
  }
  if (ec) {
    const std::string source = ca_cert_file.empty() ? "the system store" : ca_cert_file;
    return Status(Code::kBadRequest,
                  "cannot load CA certificates from " + source + ": " + ec.message());
  }
  return context;
}

}  // namespace

Result<std::unique_ptr<Transport>> NewHttpClient(ClientOptions options) {
  if (!options.endpoint.tls) {
    if (!options.ca_cert_file.empty()) {
      return Status(Code::kBadRequest, "--ca-cert needs an https:// address");
    }
    return std::unique_ptr<Transport>(new HttpClient(std::move(options), nullptr));
  }
  SVAULT_ASSIGN_OR_RETURN(auto tls, NewTlsContext(options.ca_cert_file));
  return std::unique_ptr<Transport>(new HttpClient(std::move(options), std::move(tls)));
}

}  // namespace svault::cli
