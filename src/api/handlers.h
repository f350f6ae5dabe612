// Endpoint handlers: pure functions from a request (already authenticated and authorised by
// api.cc, in the check order of DESIGN.md §8) to a response. Each validates its input, calls the
// vault, and records in `used` the {key, version} pairs it actually touched for the audit log.
#ifndef SVAULT_API_HANDLERS_H_
#define SVAULT_API_HANDLERS_H_

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "api/http_types.h"
#include "common/status.h"
#include "refs/document.h"
#include "vault/vault.h"

namespace svault::api {

// What a route prepares from the request before its request record is written: the keys asked
// for (DESIGN.md §7: parsing a document is not executing it), and the parse itself so the handler
// does not repeat it.
struct Prepared {
  std::optional<Result<refs::Scan>> scan;
  std::vector<vault::AuditKey> requested;
};
using PrepareFn = void (*)(const HttpRequest&, Prepared&);

struct RequestContext {
  vault::Vault& vault;
  const HttpRequest& request;
  const vault::Principal& principal;
  std::string env;  // {env} path parameter, raw
  std::string key;  // {key} path parameter, raw (may hold '/')
  std::string id;   // {id} path parameter, raw
  std::vector<vault::AuditKey> used;
  // The environment the outcome record names when the path has none (e.g. env.create).
  std::optional<std::string> audit_environment;
  // The token id the outcome record names (token.create).
  std::optional<std::string> audit_target;
  // What the route's PrepareFn made of the request, if it has one.
  Prepared* prepared = nullptr;
};

using HandlerFn = Result<HttpResponse> (*)(RequestContext&);

// A JSON response; `no_store` adds Cache-Control: no-store (value-bearing answers).
HttpResponse JsonResponse(int status, const boost::json::value& body, bool no_store = false);
HttpResponse EmptyResponse(int status);

// Environments.
Result<HttpResponse> CreateEnvironment(RequestContext& ctx);
Result<HttpResponse> ListEnvironments(RequestContext& ctx);
Result<HttpResponse> GetEnvironment(RequestContext& ctx);
Result<HttpResponse> DeleteEnvironment(RequestContext& ctx);

// Secrets.
Result<HttpResponse> PutSecret(RequestContext& ctx);
Result<HttpResponse> PatchSecret(RequestContext& ctx);
Result<HttpResponse> GetSecret(RequestContext& ctx);
Result<HttpResponse> ListSecrets(RequestContext& ctx);
Result<HttpResponse> DeleteSecret(RequestContext& ctx);
Result<HttpResponse> RevealSecret(RequestContext& ctx);
Result<HttpResponse> ListVersions(RequestContext& ctx);

// Tokens.
Result<HttpResponse> CreateToken(RequestContext& ctx);
Result<HttpResponse> ListTokens(RequestContext& ctx);
Result<HttpResponse> GetSelfToken(RequestContext& ctx);
Result<HttpResponse> RevokeToken(RequestContext& ctx);

// Audit.
Result<HttpResponse> ReadAudit(RequestContext& ctx);
Result<HttpResponse> VerifyAudit(RequestContext& ctx);
Result<HttpResponse> ReadAuditHead(RequestContext& ctx);

// References. Listing needs any valid token; validate needs list or resolve on {env}; render
// and resolve need resolve.
Result<HttpResponse> ListReferences(RequestContext& ctx);
Result<HttpResponse> ValidateReferences(RequestContext& ctx);
Result<HttpResponse> RenderReferences(RequestContext& ctx);
Result<HttpResponse> ResolveKeys(RequestContext& ctx);
// Scan the document (validate, render) or read the keys (resolve) for the request record.
void PrepareDocument(const HttpRequest& request, Prepared& prepared);
void PrepareResolve(const HttpRequest& request, Prepared& prepared);

// The vault's lifecycle. These three take no token and run before the gate of api.cc.
Result<HttpResponse> SealStatus(vault::Vault& vault, const HttpRequest& request);
Result<HttpResponse> InitVault(vault::Vault& vault, const HttpRequest& request,
                               vault::UnsealKeyFile* key_file);
// `*unsealed_now` is set when this share completed the unseal.
Result<HttpResponse> UnsealVault(vault::Vault& vault, const HttpRequest& request,
                                 bool* unsealed_now);
// Admin only. SealVault validates; api.cc drains and seals after the outcome record.
Result<HttpResponse> SealVault(RequestContext& ctx);
Result<HttpResponse> RotateKeyring(RequestContext& ctx);
Result<HttpResponse> StartRekey(RequestContext& ctx);
Result<HttpResponse> UpdateRekey(RequestContext& ctx);
Result<HttpResponse> VerifyRekey(RequestContext& ctx);
Result<HttpResponse> GetRekey(RequestContext& ctx);
Result<HttpResponse> CancelRekey(RequestContext& ctx);
Result<HttpResponse> RotateDataKey(RequestContext& ctx);
Result<HttpResponse> GetDataKeyRotation(RequestContext& ctx);
boost::json::object SealStatusJson(const vault::SealStatus& status);

// JSON views of domain records (never a value, never a token hash).
boost::json::object EnvJson(const vault::EnvRecord& env);
boost::json::object SecretMetaJson(const vault::SecretMeta& meta);
boost::json::object TokenJson(const vault::Principal& token);

}  // namespace svault::api

#endif  // SVAULT_API_HANDLERS_H_
