#include "api/api.h"

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <memory>
#include <optional>

#include "api/errors.h"
#include "api/handlers.h"
#include "api/request_parsing.h"
#include "common/log.h"
#include "common/names.h"
#include "fmt/format.h"

// GCC 12 flags asio's coroutine frames, which pair their own operator new and delete, as
// mismatched once it inlines them: a false positive of GCC 12 with coroutines.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace svault::api {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using vault::Capability;

enum class Scope {
  kNone,         // any valid token
  kGlobal,       // the capability itself, no environment (manage, audit)
  kEnvironment,  // the capability on the {env} of the path
};

struct Route {
  std::string_view method;
  std::string_view pattern;  // segments after /api/v1/; {env} {id} one segment, {key} the rest
  std::string_view action;
  Scope scope;
  Capability capability;
  HandlerFn handler;
  PrepareFn prepare = nullptr;  // reads what is asked for, before the request record
};

constexpr std::array kRoutes = {
    Route{"POST", "environments", "env.create", Scope::kGlobal, Capability::kManage,
          CreateEnvironment},
    Route{"GET", "environments", "env.list", Scope::kNone, Capability::kList, ListEnvironments},
    Route{"GET", "environments/{env}", "env.read", Scope::kEnvironment, Capability::kList,
          GetEnvironment},
    Route{"DELETE", "environments/{env}", "env.delete", Scope::kEnvironment, Capability::kManage,
          DeleteEnvironment},
    Route{"GET", "environments/{env}/secrets", "secret.list", Scope::kEnvironment,
          Capability::kList, ListSecrets},
    Route{"PUT", "environments/{env}/secrets/{key}", "secret.put", Scope::kEnvironment,
          Capability::kWrite, PutSecret},
    Route{"PATCH", "environments/{env}/secrets/{key}", "secret.patch", Scope::kEnvironment,
          Capability::kWrite, PatchSecret},
    Route{"GET", "environments/{env}/secrets/{key}", "secret.read", Scope::kEnvironment,
          Capability::kList, GetSecret},
    Route{"DELETE", "environments/{env}/secrets/{key}", "secret.delete", Scope::kEnvironment,
          Capability::kDelete, DeleteSecret},
    Route{"GET", "environments/{env}/values/{key}", "secret.reveal", Scope::kEnvironment,
          Capability::kReveal, RevealSecret},
    Route{"GET", "environments/{env}/versions/{key}", "secret.versions", Scope::kEnvironment,
          Capability::kList, ListVersions},
    Route{"POST", "tokens", "token.create", Scope::kGlobal, Capability::kManage, CreateToken},
    Route{"GET", "tokens", "token.list", Scope::kGlobal, Capability::kManage, ListTokens},
    Route{"GET", "tokens/self", "token.self", Scope::kNone, Capability::kList, GetSelfToken},
    Route{"DELETE", "tokens/{id}", "token.revoke", Scope::kGlobal, Capability::kManage,
          RevokeToken},
    Route{"GET", "audit", "audit.read", Scope::kGlobal, Capability::kAudit, ReadAudit},
    Route{"POST", "audit/verify", "audit.verify", Scope::kGlobal, Capability::kAudit, VerifyAudit},
    Route{"GET", "audit/head", "audit.head", Scope::kGlobal, Capability::kAudit, ReadAuditHead},
    Route{"POST", "references", "refs.list", Scope::kNone, Capability::kList, ListReferences},
    Route{"POST", "environments/{env}/validate", "refs.validate", Scope::kEnvironment,
          Capability::kList, ValidateReferences, PrepareDocument},
    Route{"POST", "environments/{env}/render", "refs.render", Scope::kEnvironment,
          Capability::kResolve, RenderReferences, PrepareDocument},
    Route{"POST", "environments/{env}/resolve", "refs.resolve", Scope::kEnvironment,
          Capability::kResolve, ResolveKeys, PrepareResolve},
    Route{"POST", "environments/{env}/rotate-key", "env.rotate_key", Scope::kGlobal,
          Capability::kManage, RotateDataKey},
    Route{"GET", "environments/{env}/rotate-key", "env.rotate_key.read", Scope::kGlobal,
          Capability::kManage, GetDataKeyRotation},
    Route{"POST", "sys/seal", "sys.seal", Scope::kGlobal, Capability::kManage, SealVault},
    Route{"POST", "sys/rotate", "sys.rotate", Scope::kGlobal, Capability::kManage, RotateKeyring},
    Route{"POST", "sys/rekey/init", "sys.rekey.init", Scope::kGlobal, Capability::kManage,
          StartRekey},
    Route{"POST", "sys/rekey/update", "sys.rekey.update", Scope::kGlobal, Capability::kManage,
          UpdateRekey},
    Route{"POST", "sys/rekey/verify", "sys.rekey.verify", Scope::kGlobal, Capability::kManage,
          VerifyRekey},
    Route{"GET", "sys/rekey", "sys.rekey.read", Scope::kGlobal, Capability::kManage, GetRekey},
    Route{"DELETE", "sys/rekey", "sys.rekey.cancel", Scope::kGlobal, Capability::kManage,
          CancelRekey},
};

constexpr std::string_view kApiPrefix = "/api/v1/";

struct PathParams {
  std::string env;
  std::string key;
  std::string id;
};

// Matches `path` (after /api/v1/) against `pattern`. {key} takes the rest of the path raw.
bool MatchPattern(std::string_view pattern, std::string_view path, PathParams& params) {
  while (!pattern.empty()) {
    const size_t pslash = pattern.find('/');
    const std::string_view pseg = pattern.substr(0, pslash);
    if (pseg == "{key}") {
      params.key = std::string(path);
      return true;
    }
    const size_t slash = path.find('/');
    const std::string_view seg = path.substr(0, slash);
    if (pseg == "{env}") {
      params.env = std::string(seg);
    } else if (pseg == "{id}") {
      params.id = std::string(seg);
    } else if (pseg != seg) {
      return false;
    }
    if ((pslash == std::string_view::npos) != (slash == std::string_view::npos)) return false;
    if (pslash == std::string_view::npos) return true;
    pattern.remove_prefix(pslash + 1);
    path.remove_prefix(slash + 1);
  }
  return path.empty();
}

const Route* FindRoute(const HttpRequest& request, PathParams& params) {
  if (!request.path.starts_with(kApiPrefix)) return nullptr;
  const std::string_view rest = std::string_view(request.path).substr(kApiPrefix.size());
  for (const Route& route : kRoutes) {
    PathParams candidate;
    if (route.method == request.method && MatchPattern(route.pattern, rest, candidate)) {
      params = std::move(candidate);
      return &route;
    }
  }
  return nullptr;
}

// The bearer token of the Authorization header, or "" when there is none. The scheme name is
// case-insensitive (RFC 9110 §11.1).
std::string_view BearerToken(std::string_view header) {
  constexpr std::string_view kBearer = "bearer ";
  if (header.size() < kBearer.size()) return {};
  for (size_t i = 0; i < kBearer.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kBearer[i]) return {};
  }
  return header.substr(kBearer.size());
}

HttpResponse HealthResponse(bool initialized, bool sealed) {
  boost::json::object body{{"initialized", initialized}, {"sealed", sealed}};
  return JsonResponse(initialized && !sealed ? 200 : 503, body);
}

// One request's audit trail: a record before anything executes, one with the outcome after.
class AuditScope {
 public:
  AuditScope(vault::Vault& vault, const HttpRequest& request, std::string_view action)
      : vault_(vault) {
    entry_.request_id = request.request_id;
    entry_.action = std::string(action);
    entry_.client = request.client_address;
  }

  void SetPrincipal(const vault::Principal& p) {
    entry_.token_id = p.token_id;
    entry_.role = std::string(vault::RoleName(p.role));
  }
  void SetTarget(const Route* route, const PathParams& params, const HttpRequest& request);
  void AddRequestedKeys(std::vector<vault::AuditKey> keys) {
    for (vault::AuditKey& k : keys) entry_.keys.push_back(std::move(k));
  }

  // Writes the request record and waits until it is durable; kUnavailable when it cannot be.
  awaitable<Status> Begin() {
    entry_.phase = "request";
    return Append();
  }
  // Writes the outcome record with the keys actually used, and waits until it is durable.
  awaitable<Status> Finish(const HttpResponse& response, std::string_view outcome,
                           std::vector<vault::AuditKey> used,
                           std::optional<std::string> environment,
                           std::optional<std::string> target) {
    entry_.phase = "response";
    if (environment) entry_.environment = std::move(environment);
    if (target) entry_.target = std::move(target);
    entry_.status = response.status;
    entry_.outcome = std::string(outcome);
    entry_.keys = std::move(used);
    return Append();
  }

 private:
  awaitable<Status> Append();

  vault::Vault& vault_;
  vault::AuditEntry entry_;
  std::shared_ptr<vault::AuditLog> log_;  // held from the request record to the outcome
};

// A token id as it may be recorded: ids have one shape (tok_ and 16 hex digits); anything else
// in their place (a token pasted by mistake, in any spelling) is never echoed.
std::string SafeTokenId(std::string_view id) {
  constexpr std::string_view kPrefix = "tok_";
  const bool valid = id.size() == kPrefix.size() + 16 && id.starts_with(kPrefix) &&
                     std::all_of(id.begin() + kPrefix.size(), id.end(), [](char c) {
                       return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                     });
  return valid ? std::string(id) : "[not a token id]";
}

// The environment id a create request names in its body, when it is a valid id.
std::optional<std::string> EnvironmentNamedInBody(const HttpRequest& request) {
  Result<boost::json::object> body = ParseJsonObject(request.body);
  if (!body.ok()) return std::nullopt;
  const boost::json::value* id = body->if_contains("id");
  if (id == nullptr || !id->is_string() || !IsValidEnvironmentId(id->as_string())) {
    return std::nullopt;
  }
  return std::string(id->as_string());
}

void AuditScope::SetTarget(const Route* route, const PathParams& params,
                           const HttpRequest& request) {
  if (!params.env.empty()) entry_.environment = params.env.substr(0, 64);
  // As requested, before anything runs: the environment a create names, the token a revoke
  // names (never a token pasted in its place).
  if (route != nullptr && route->handler == CreateEnvironment) {
    entry_.environment = EnvironmentNamedInBody(request);
  }
  if (!params.id.empty()) entry_.target = SafeTokenId(params.id);
  if (params.key.empty()) return;
  // The key as requested (bounded, so a junk path cannot bloat the trail), version if pinned.
  vault::AuditKey key{params.key.substr(0, 300), std::nullopt};
  QueryReader query(request.query, {"version"});
  if (auto v = query.Get("version")) {
    try {
      key.version = std::stoull(*v);
    } catch (const std::exception&) {
    }
  }
  entry_.keys.push_back(std::move(key));
}

// Waits for an audit record without holding the thread: the log's sync thread hands the answer
// back to the waiting coroutine's own executor.
awaitable<Status> Durable(vault::AuditLog& log, vault::AuditLog::Ticket ticket) {
  auto initiate = [&log, ticket](auto handler) {
    auto executor = asio::prefer(asio::get_associated_executor(handler),
                                 asio::execution::outstanding_work.tracked);
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    log.WhenDurable(ticket, [shared, executor](Status status) {
      asio::post(executor, [handler = std::move(*shared), status = std::move(status)]() mutable {
        handler(std::move(status));
      });
    });
  };
  return asio::async_initiate<decltype(asio::use_awaitable), void(Status)>(initiate,
                                                                           asio::use_awaitable);
}

awaitable<Status> AuditScope::Append() {
  // The log the request record went to takes the outcome too, even if a seal came between.
  if (log_ == nullptr) log_ = vault_.audit_log();
  if (log_ == nullptr) co_return Status{Code::kSealed, "vault is sealed"};
  Result<vault::AuditLog::Ticket> ticket = log_->Write(entry_);
  Status status = ticket.status();
  if (ticket.ok()) status = co_await Durable(*log_, *ticket);
  if (!status.ok()) {
    Log(LogLevel::kError, "audit append failed",
        {{"request_id", entry_.request_id}, {"error", status.message()}});
  }
  co_return status;
}

// Capability and scope (403), before any validation so nothing about the target leaks.
Status CheckAccess(vault::Vault& vault, const Route& route, const vault::Principal& principal,
                   const PathParams& params) {
  switch (route.scope) {
    case Scope::kNone: return Status::Ok();
    case Scope::kEnvironment:
      // Validating a definition needs list or resolve (DESIGN.md §4).
      if (route.handler == ValidateReferences &&
          vault.Authorize(principal, Capability::kResolve, params.env).ok()) {
        return Status::Ok();
      }
      return vault.Authorize(principal, route.capability, params.env);
    case Scope::kGlobal:
      // A token may always revoke itself.
      if (route.handler == RevokeToken && params.id == principal.token_id) return Status::Ok();
      if (principal.role == vault::Role::kAdmin) return Status::Ok();
      if (route.capability == Capability::kManage) return Forbidden();
      return vault::RoleHas(principal.role, route.capability) ? Status::Ok() : Forbidden();
  }
  return Forbidden();
}

// Routes whose handlers write (and so block until their commit is durable) run on the writers'
// pool. A POST that only reads a document or a list of keys runs inline.
bool Writes(const Route& route) {
  if (route.method == "GET") return false;
  return route.prepare == nullptr && route.handler != ListReferences &&
         route.handler != VerifyAudit;
}

std::string_view OutcomeOf(const Status& status) {
  return status.ok() ? "ok" : CodeName(status.code());
}

// Sealed or uninitialised (503), or OK. Unsealed implies initialised, so the store is asked
// only while sealed.
Status ServingState(vault::Vault& vault) {
  if (!vault.IsSealed()) return Status::Ok();
  Result<bool> initialized = vault.IsInitialized();
  if (!initialized.ok()) return initialized.status();
  if (!*initialized) return {Code::kUninitialized, "vault is not initialised"};
  return {Code::kSealed, "vault is sealed"};
}

// What running a request came to, for its answer and its outcome record.
struct Outcome {
  Status status;
  HttpResponse response;
  std::vector<vault::AuditKey> used;
  std::optional<std::string> environment;
  std::optional<std::string> target;
};

// Step 4 of the check order, once `access` (step 3: capability and scope, decided by the caller)
// holds: the handler (validation, existence, check-and-set).
Outcome Execute(vault::Vault& vault, const Route& route, const vault::Principal& principal,
                const PathParams& params, const HttpRequest& request, Status access,
                Prepared& prepared) {
  Outcome out;
  out.status = std::move(access);
  if (!out.status.ok()) return out;
  RequestContext ctx{vault,     request, principal, params.env, params.key,
                     params.id, {},      {},        {},         &prepared};
  Result<HttpResponse> handled = route.handler(ctx);
  out.status = handled.status();
  if (handled.ok()) out.response = std::move(handled).value();
  out.used = std::move(ctx.used);
  out.environment = std::move(ctx.audit_environment);
  out.target = std::move(ctx.audit_target);
  return out;
}

void LogRequest(const HttpRequest& request, const PathParams& params, const Outcome& outcome) {
  const std::string status = std::to_string(outcome.response.status);
  // A token pasted where an id belongs (DELETE /tokens/svt_…) must not reach the log.
  std::string path = request.path;
  if (!params.id.empty()) {
    path = "/api/v1/tokens/" + SafeTokenId(params.id);
  } else if (path.find("svt_") != std::string::npos) {
    path = "[redacted]";
  }
  const LogLevel level = outcome.response.status >= 500 ? LogLevel::kWarn : LogLevel::kDebug;
  Log(level, "request",
      {{"request_id", request.request_id},
       {"method", request.method},
       {"path", path},
       {"status", status},
       {"error", outcome.status.ok() ? "" : CodeName(outcome.status.code())}});
}

}  // namespace

std::optional<HttpResponse> Api::HandleLifecycle(const HttpRequest& request) {
  Result<HttpResponse> answer = NotFound("no such endpoint");
  if (request.method == "GET" && request.path == "/api/v1/sys/seal-status") {
    answer = SealStatus(vault_, request);
  } else if (request.method == "POST" && request.path == "/api/v1/sys/init") {
    answer = InitVault(vault_, request, options_.key_file);
    if (answer.ok() && !vault_.IsSealed()) RecordUnseal();  // auto-unseal: unsealed at once
  } else if (request.method == "POST" && request.path == "/api/v1/sys/unseal") {
    bool unsealed_now = false;
    answer = UnsealVault(vault_, request, &unsealed_now);
    if (unsealed_now) RecordUnseal();
    if (!answer.ok()) {
      // Even a refused share answers in the seal-status shape, beside the error.
      Result<vault::SealStatus> now = vault_.GetSealStatus();
      return ErrorResponse(answer.status(), request.request_id,
                           now.ok() ? SealStatusJson(*now) : boost::json::object());
    }
  } else {
    return std::nullopt;
  }
  if (!answer.ok()) return ErrorResponse(answer.status(), request.request_id);
  return std::move(answer).value();
}

void Api::RecordUnseal() {
  const vault::SealedActivity a = vault_.TakeSealedActivity();
  const std::string summary = fmt::format(
      "shares_accepted={} shares_refused={} resets={} failed_combinations={} "
      "requests_refused={}",
      a.shares_accepted, a.shares_refused, a.resets, a.failed_combinations, a.requests_refused);
  Status recorded = vault_.AppendEvent("sys.unseal", summary);
  Log(recorded.ok() ? LogLevel::kInfo : LogLevel::kError, "vault unsealed",
      {{"while_sealed", summary}, {"audit", recorded.ok() ? "ok" : recorded.message()}});
}

Api::Api(vault::Vault& vault, ApiOptions options)
    : vault_(vault),
      options_(options),
      gate_(std::make_unique<RequestGate>()),
      writers_(static_cast<size_t>(std::max(1, options.write_threads))) {}

Api::~Api() { writers_.join(); }

awaitable<HttpResponse> Api::Handle(const HttpRequest& request) {
  // 1. Sealed or uninitialised: nothing else is looked at. Health reports it with no token;
  // seal status, init and unseal take none.
  const Status serving = ServingState(vault_);
  if (request.method == "GET" && request.path == "/api/v1/sys/health") {
    co_return HealthResponse(serving.code() != Code::kUninitialized, !serving.ok());
  }
  if (std::optional<HttpResponse> lifecycle = HandleLifecycle(request)) co_return *lifecycle;
  if (!serving.ok()) {
    vault_.NoteSealedRequest();
    co_return ErrorResponse(serving, request.request_id);
  }
  const Admission admission(*gate_);
  if (!admission.admitted()) {
    co_return ErrorResponse({Code::kSealed, "vault is sealing"}, request.request_id);
  }

  PathParams params;
  const Route* route = FindRoute(request, params);
  AuditScope audit(vault_, request, route ? route->action : "unknown");
  audit.SetTarget(route, params, request);

  // 2. Token. The request record is durable before anything executes, 401s included.
  // The token, the access check (of a non-admin token) and the handler each open a read
  // transaction, about 2.6 us each (core_bench), 3 % of a reveal's server CPU. One kept across
  // the audit wait would pin a connection, and its page cache, per request in flight.
  Result<vault::Principal> principal = vault_.Authenticate(BearerToken(request.authorization));
  if (principal.ok()) audit.SetPrincipal(*principal);
  // 3. Capability and scope, decided now (it writes nothing) so that only a caller who may run
  // the route gets its document parsed for the request record.
  Status access = Forbidden();
  if (principal.ok() && route != nullptr) access = CheckAccess(vault_, *route, *principal, params);
  Prepared prepared;
  if (access.ok() && route->prepare != nullptr) {
    route->prepare(request, prepared);
    audit.AddRequestedKeys(std::move(prepared.requested));
  }
  // GCC 12 miscompiles co_await inside an if's init-statement or a ?: , so none is used here.
  const Status begun = co_await audit.Begin();
  if (!begun.ok()) co_return ErrorResponse(begun, request.request_id);

  Outcome outcome;
  outcome.status = principal.status();
  if (outcome.status.ok() && route == nullptr) outcome.status = NotFound("no such endpoint");
  if (outcome.status.ok()) {
    auto execute = [&] {
      return Execute(vault_, *route, *principal, params, request, std::move(access), prepared);
    };
    if (Writes(*route)) {
      outcome = co_await asio::co_spawn(
          writers_,
          [&]() -> awaitable<Outcome> {
            Outcome out = execute();
            // A refusal may rest on other requests' writes that were lost with their commit.
            Status lost = vault_.TakeLostReads();
            if (!out.status.ok() && !lost.ok()) out.status = std::move(lost);
            co_return out;
          },
          asio::use_awaitable);
    } else {
      outcome = execute();
    }
  }
  const bool sealing = outcome.status.ok() && route->handler == SealVault;
  if (sealing) outcome.status = co_await DrainForSeal();
  if (!outcome.status.ok()) outcome.response = ErrorResponse(outcome.status, request.request_id);
  LogRequest(request, params, outcome);

  // The outcome record; if it cannot be written the answer is withheld (fail closed).
  const std::optional<std::string> target = outcome.target;  // a created token's id, say
  Status finished =
      co_await audit.Finish(outcome.response, OutcomeOf(outcome.status), std::move(outcome.used),
                            std::move(outcome.environment), std::move(outcome.target));
  if (sealing && outcome.status.ok()) {
    // Sealed even if the record failed: an operator's seal is never refused for lack of a disk.
    vault_.Seal();
    gate_->Open();
    Log(LogLevel::kInfo, "vault sealed", {{"request_id", request.request_id}});
  }
  if (!finished.ok() && outcome.status.ok() && Writes(*route)) {
    // The change is committed and cannot be withheld; say so, so that a client does not repeat
    // it blindly. What it made that the request did not name (a created token's id, never the
    // token) is given beside the error, so that it can be found and revoked.
    boost::json::object extra;
    if (target) extra["target"] = *target;
    co_return ErrorResponse({Code::kUnavailable,
                             "the change was made, but its audit outcome record could not be "
                             "written; check its state before retrying"},
                            request.request_id, std::move(extra));
  }
  if (!finished.ok()) co_return ErrorResponse(finished, request.request_id);
  co_return std::move(outcome.response);
}

awaitable<Status> Api::DrainForSeal() {
  if (!gate_->Close()) co_return Status{Code::kSealed, "vault is already sealing"};
  // Polled, not waited on: the requests inside may need this very thread to finish.
  const auto deadline = std::chrono::steady_clock::now() + options_.seal_drain;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (gate_->inside() > 1 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(1));
    co_await timer.async_wait(asio::use_awaitable);
  }
  if (gate_->inside() > 1) {
    Log(LogLevel::kWarn, "seal: in-flight requests did not finish in time; sealing anyway",
        {{"drain_ms", std::to_string(options_.seal_drain.count())}});
  }
  co_return Status::Ok();
}

HttpResponse Api::HandleOversize(const HttpRequest& request) {
  const Status serving = ServingState(vault_);
  if (!serving.ok()) return ErrorResponse(serving, request.request_id);
  return ErrorResponse(TooLarge("request body is over the limit"), request.request_id);
}

}  // namespace svault::api
