// The CLI's HTTP client. Commands talk to a Transport, so their request building and output can
// be tested without a network; NewHttpClient() is the real one (Boost.Beast, HTTP/1.1, one
// connection per request, optional TLS). This is the only file pair of the CLI that uses Beast.
#ifndef SVAULT_CLI_CLIENT_H_
#define SVAULT_CLI_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>

#include "cli/address.h"
#include "cli/request.h"
#include "common/secret.h"
#include "common/status.h"

namespace svault::cli {

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends `request` and returns the server's answer whatever its status. An error only when no
  // answer arrived (kUnavailable: resolve, connect, TLS, timeout, malformed response). Error
  // messages name the address and the failure, never the body or the token.
  virtual Result<Response> Send(const Request& request) = 0;
};

struct ClientOptions {
  Endpoint endpoint;
  // PEM file of the CA(s) to trust for https; empty = the system's default trust store.
  std::string ca_cert_file;
  // Sent as `Authorization: Bearer ...`; empty = no Authorization header.
  SecretBytes token;
  // Bounds each step (connect, handshake, write, read) of a request.
  std::chrono::milliseconds timeout{60'000};
};

// The real client. For https it always verifies the peer's chain and that the certificate
// matches the host (a DNS name or an IP address) and sends SNI for names. kBadRequest when
// `ca_cert_file` is set for plain http or cannot be loaded.
Result<std::unique_ptr<Transport>> NewHttpClient(ClientOptions options);

}  // namespace svault::cli

#endif  // SVAULT_CLI_CLIENT_H_
