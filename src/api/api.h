// The API front door: routes a request and runs the checks of DESIGN.md §8 in their fixed order
// (sealed, [body size: HandleOversize], token, capability and scope, then the handler's own
// validation, existence and check-and-set), writing the two audit records of DESIGN.md §7
// around everything that executes.
#ifndef SVAULT_API_API_H_
#define SVAULT_API_API_H_

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
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
  // Threads for the handlers that write: each blocks until its SQLite commit is durable, and
  // commits made meanwhile share one sync, so more threads mean larger groups.
  int write_threads = 32;
};

class Api {
 public:
  // `vault` (and options.key_file) must outlive the Api.
  explicit Api(vault::Vault& vault, ApiOptions options = {});
  ~Api();

  // Answers one request. Thread-safe. Runs on the caller's executor and never blocks it on a
  // disk: it waits for the audit records' group commit asynchronously, and hands the handlers
  // that write to a pool of their own (ApiOptions::write_threads). The request must outlive the
  // returned awaitable.
  boost::asio::awaitable<HttpResponse> Handle(const HttpRequest& request);
  // Answers a request whose body was over the limit: 503 when sealed, else 413.
  HttpResponse HandleOversize(const HttpRequest& request);

 private:
  // The lifecycle endpoints that take no token (seal status, init, unseal), or nullopt.
  std::optional<HttpResponse> HandleLifecycle(const HttpRequest& request);
  // Closes the gate and waits (bounded) for the requests inside; the caller seals and reopens.
  boost::asio::awaitable<Status> DrainForSeal();
  // Records the unseal and what happened while sealed in the audit chain.
  void RecordUnseal();

  vault::Vault& vault_;
  ApiOptions options_;
  std::unique_ptr<RequestGate> gate_;
  boost::asio::thread_pool writers_;
};

}  // namespace svault::api

#endif  // SVAULT_API_API_H_
