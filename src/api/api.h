// The API front door: routes a request and runs the checks of DESIGN.md §8 in their fixed order
// (sealed, [body size: HandleOversize], token, capability and scope, then the handler's own
// validation, existence and check-and-set), writing the two audit records of DESIGN.md §7
// around everything that executes.
#ifndef SVAULT_API_API_H_
#define SVAULT_API_API_H_

#include <chrono>
#include <memory>
#include <optional>

#include "api/gate.h"
#include "api/http_types.h"
#include "vault/vault.h"

namespace svault::api {

struct ApiOptions {
  // Where init with auto_unseal writes the unseal key (not owned; nullptr: not configured).
  vault::UnsealKeyFile* key_file = nullptr;
  // How long a seal waits for in-flight requests before it wipes the keys anyway.
  std::chrono::milliseconds seal_drain{10'000};
};

class Api {
 public:
  // `vault` (and options.key_file) must outlive the Api.
  explicit Api(vault::Vault& vault, ApiOptions options = {})
      : vault_(vault), options_(options), gate_(std::make_unique<RequestGate>()) {}

  // Answers one request. Thread-safe.
  HttpResponse Handle(const HttpRequest& request);
  // Answers a request whose body was over the limit: 503 when sealed, else 413.
  HttpResponse HandleOversize(const HttpRequest& request);

 private:
  // The lifecycle endpoints that take no token (seal status, init, unseal), or nullopt.
  std::optional<HttpResponse> HandleLifecycle(const HttpRequest& request);
  // Closes the gate and waits (bounded) for the requests inside; the caller seals and reopens.
  Status DrainForSeal();
  // Records the unseal and what happened while sealed in the audit chain.
  void RecordUnseal();

  vault::Vault& vault_;
  ApiOptions options_;
  std::unique_ptr<RequestGate> gate_;
};

}  // namespace svault::api

#endif  // SVAULT_API_API_H_
