// The API front door: routes a request and runs the checks of DESIGN.md §8 in their fixed order
// (sealed, [body size: HandleOversize], token, capability and scope, then the handler's own
// validation, existence and check-and-set), writing the two audit records of DESIGN.md §7
// around everything that executes.
#ifndef SVAULT_API_API_H_
#define SVAULT_API_API_H_

#include "api/http_types.h"
#include "vault/vault.h"

namespace svault::api {

class Api {
 public:
  // `vault` must outlive the Api.
  explicit Api(vault::Vault& vault) : vault_(vault) {}

  // Answers one request. Thread-safe.
  HttpResponse Handle(const HttpRequest& request);
  // Answers a request whose body was over the limit: 503 when sealed, else 413.
  HttpResponse HandleOversize(const HttpRequest& request);

 private:
  vault::Vault& vault_;
};

}  // namespace svault::api

#endif  // SVAULT_API_API_H_
