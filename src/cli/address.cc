#include "cli/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace svault::cli {
namespace {

Status BadAddress(std::string_view address, std::string_view why) {
  return Status(Code::kBadRequest,
                "invalid address \"" + std::string(address) + "\": " + std::string(why));
}

bool IsIpv6(const std::string& host) { return host.find(':') != std::string::npos; }

bool IsNameByte(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
}

bool IsPathByte(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("-._~/").find(c) != std::string_view::npos;
}

// A decimal port 1..65535.
bool IsPort(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const int value = std::stoi(std::string(port));
  return value >= 1 && value <= 65535;
}

// `host[:port]` or `[ipv6][:port]`, with no user info. Written by hand: Boost.URL 1.81 reads
// "127.0.0.1.example" as the IPv4 address 127.0.0.1 (boostorg/url#755) and wraps large ports.
Status ParseAuthority(std::string_view address, std::string_view authority, Endpoint& endpoint) {
  if (authority.find('@') != std::string_view::npos) {
    return BadAddress(address, "user info is not allowed");
  }

  // Split off the port: after "]" for IPv6, after the only ":" otherwise.
  const bool bracketed = authority.starts_with('[');
  const size_t close = bracketed ? authority.find(']') : 0;
  if (close == std::string_view::npos) return BadAddress(address, "unclosed [");
  const size_t colon = authority.find(':', close);
  std::string_view host = authority.substr(0, colon);
  endpoint.explicit_port = colon != std::string_view::npos;
  if (endpoint.explicit_port && !IsPort(authority.substr(colon + 1))) {
    return BadAddress(address, "bad port");
  }

  if (bracketed) {
    if (host.size() != close + 1) return BadAddress(address, "junk after ]");
    host = host.substr(1, close - 1);
    in6_addr ipv6{};
    if (inet_pton(AF_INET6, std::string(host).c_str(), &ipv6) != 1) {
      return BadAddress(address, "not an IPv6 address in []");
    }
  } else if (host.empty() || !std::all_of(host.begin(), host.end(), IsNameByte)) {
    return BadAddress(address, "bad host");
  }
  endpoint.host = std::string(host);
  if (endpoint.explicit_port) endpoint.port = std::string(authority.substr(colon + 1));
  return Status::Ok();
}

}  // namespace

std::string Endpoint::HostHeader() const {
  std::string out = IsIpv6(host) ? "[" + host + "]" : host;
  if (explicit_port) out += ":" + port;
  return out;
}

std::string Endpoint::ToString() const {
  return std::string(tls ? "https" : "http") + "://" + HostHeader() + base_path;
}

Result<Endpoint> ParseAddress(std::string_view address) {
  Endpoint endpoint;
  std::string_view rest = address;
  if (rest.starts_with("https://")) {
    endpoint.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return BadAddress(address, "it must start with http:// or https://");
  }

  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  SVAULT_RETURN_IF_ERROR(ParseAuthority(address, authority, endpoint));
  if (!endpoint.explicit_port) endpoint.port = endpoint.tls ? "443" : "80";

  std::string_view path = rest.substr(authority.size());
  if (!std::all_of(path.begin(), path.end(), IsPathByte)) {
    return BadAddress(address, "the path may hold only A-Z a-z 0-9 - . _ ~ / (no query)");
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  endpoint.base_path = std::string(path);
  return endpoint;
}

bool IsLoopback(const Endpoint& endpoint) {
  const std::string& host = endpoint.host;
  if (host == "localhost" || host == "::1") return true;
  in_addr ipv4{};
  if (inet_pton(AF_INET, host.c_str(), &ipv4) != 1) return false;
  return (ntohl(ipv4.s_addr) >> 24) == 127;
}

}  // namespace svault::cli
