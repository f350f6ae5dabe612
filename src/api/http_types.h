// The project's own plain request and response types. Handlers are pure functions from
// HttpRequest to HttpResponse; only the listener (api/http_server.cc) and the CLI's client touch
// Beast, and they only move bytes.
#ifndef SVAULT_API_HTTP_TYPES_H_
#define SVAULT_API_HTTP_TYPES_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace svault::api {

struct HttpRequest {
  std::string method;         // "GET", "POST", ...
  std::string target;         // raw request target, e.g. "/api/v1/environments?limit=10"
  std::string path;           // target up to '?' (not percent-decoded)
  std::string query;          // after '?', raw
  std::string authorization;  // raw Authorization header value, "" when absent
  std::string content_type;
  std::string body;
  std::string client_address;  // "127.0.0.1:53124"
  std::string request_id;      // assigned by the listener, unique per request
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers, e.g. {"Cache-Control", "no-store"}.
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace svault::api

#endif  // SVAULT_API_HTTP_TYPES_H_
