// The CLI's plain HTTP types and the helpers that build API targets. Nothing here touches the
// network: commands turn their arguments into a Request, a Transport (client.h) sends it.
#ifndef SVAULT_CLI_REQUEST_H_
#define SVAULT_CLI_REQUEST_H_

#include <boost/json/fwd.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/secret.h"

namespace svault::cli {

struct Request {
  std::string method;        // "GET", "PUT", ...
  std::string target;        // path and query under the address, e.g. "/api/v1/environments"
  std::string content_type;  // empty when there is no body
  SecretBytes body;          // may hold a value: wiped when the request goes away
};

struct Response {
  int status = 0;
  std::string content_type;
  std::string request_id;  // the X-Request-Id header, "" when absent
  std::string body;
};

// Percent-encodes every byte outside RFC 3986 "unreserved" (`A-Za-z0-9-._~`) and `/`, for query
// values. `/` stays (RFC 3986 allows it in a query) so that a valid key prefix reaches the server
// without any `%`, which the key grammar refuses.
std::string EncodeQueryValue(std::string_view value);

// Encodes one path segment (an environment or token id): bytes of `A-Za-z0-9-._` stay, anything
// else is percent-encoded, and a segment that is "." or ".." has its dots encoded. A bad name thus
// reaches the server as typed and is rejected there (422), never normalised into another path.
std::string EncodePathSegment(std::string_view segment);

// Encodes a secret key or key prefix: as EncodePathSegment, but `/` stays between segments.
std::string EncodeKeyPath(std::string_view key);

// A query string built in order; values are encoded with EncodeQueryValue.
class Query {
 public:
  Query& Add(std::string_view name, std::string_view value);
  // "?a=1&b=2", or "" when empty.
  std::string ToString() const;

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

// "/api/v1/environments/E" with E encoded.
std::string EnvironmentPath(std::string_view env);
// "/api/v1/environments/E/<collection>/<key>", e.g. collection "secrets", "values", "versions".
std::string KeyPath(std::string_view env, std::string_view collection, std::string_view key);

// A request without a body.
Request MakeRequest(std::string method, std::string target);
// A request whose body is `body` serialised as JSON.
Request MakeJsonRequest(std::string method, std::string target, const boost::json::object& body);

}  // namespace svault::cli

#endif  // SVAULT_CLI_REQUEST_H_
