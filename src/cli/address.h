// The vault's address: `--address`, else SVAULT_ADDR, else http://127.0.0.1:8200.
#ifndef SVAULT_CLI_ADDRESS_H_
#define SVAULT_CLI_ADDRESS_H_

#include <string>
#include <string_view>

#include "common/status.h"

namespace svault::cli {

inline constexpr std::string_view kDefaultAddress = "http://127.0.0.1:8200";

struct Endpoint {
  bool tls = false;  // https
  std::string host;  // a name or an IP address, without IPv6 brackets
  std::string port;  // always set: the given port, else 80 or 443
  bool explicit_port = false;
  std::string base_path;  // "" or a prefix such as "/vault" (no trailing slash)

  // The Host header value: the host (bracketed when IPv6) and the port when one was given.
  std::string HostHeader() const;
  // "https://host:port/base", for messages.
  std::string ToString() const;
};

// Parses `http[s]://host[:port][/prefix]`. No user info, query or fragment. kBadRequest when the
// address is anything else.
Result<Endpoint> ParseAddress(std::string_view address);

// True for localhost, 127.0.0.0/8 and ::1: plain HTTP to those does not cross a network.
bool IsLoopback(const Endpoint& endpoint);

}  // namespace svault::cli

#endif  // SVAULT_CLI_ADDRESS_H_
