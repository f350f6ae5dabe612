// Token endpoints. A token is shown once, in the answer that creates it.
#include <fmt/format.h>

#include "api/handlers.h"
#include "api/request_parsing.h"
#include "common/names.h"

namespace svault::api {
namespace json = boost::json;

namespace {

constexpr size_t kMaxScopeItems = 100;

Result<vault::TokenSpec> ReadTokenSpec(const json::object& body) {
  FieldReader fields(body, {"role", "environments", "ttl", "keys", "description"});
  std::optional<std::string> role = fields.String("role", true, 32);
  std::optional<std::vector<std::string>> envs = fields.StringArray("environments", kMaxScopeItems);
  std::optional<std::string> ttl = fields.String("ttl", false, 32);
  std::optional<std::vector<std::string>> keys = fields.StringArray("keys", kMaxScopeItems);
  std::optional<std::string> description = fields.String("description", false, 1024);

  vault::TokenSpec spec;
  std::optional<vault::Role> parsed_role = role ? vault::ParseRole(*role) : std::nullopt;
  if (role && !parsed_role) {
    fields.Fail("/role", "one of admin, security, developer, runtime, auditor");
  }
  if (parsed_role) spec.role = *parsed_role;
  for (size_t i = 0; envs && i < envs->size(); ++i) {
    if (!IsValidEnvironmentId((*envs)[i])) {
      fields.Fail(fmt::format("/environments/{}", i), "must be a DNS label");
    }
  }
  for (size_t i = 0; keys && i < keys->size(); ++i) {
    if (!IsValidKeyPattern((*keys)[i])) {
      fields.Fail(fmt::format("/keys/{}", i), "must be a key pattern (* within a segment, **)");
    }
  }
  if (ttl && *ttl == "never") {
    spec.never_expires = true;  // the vault allows it for admin tokens only
  } else if (ttl) {
    spec.ttl_seconds = ParseTtlSeconds(*ttl);
    if (!spec.ttl_seconds) fields.Fail("/ttl", "a duration such as 90s, 15m, 24h or 7d");
  }
  SVAULT_RETURN_IF_ERROR(fields.Finish());
  spec.environments = envs.value_or(std::vector<std::string>());
  spec.key_patterns = keys.value_or(std::vector<std::string>());
  spec.description = description.value_or("");
  return spec;
}

}  // namespace

Result<HttpResponse> CreateToken(RequestContext& ctx) {
  SVAULT_RETURN_IF_ERROR(QueryReader(ctx.request.query, {}).Finish());
  SVAULT_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(ctx.request.body));
  SVAULT_ASSIGN_OR_RETURN(vault::TokenSpec spec, ReadTokenSpec(body));
  SVAULT_ASSIGN_OR_RETURN(vault::NewToken token, ctx.vault.CreateToken(ctx.principal, spec));

  ctx.audit_target = token.metadata.token_id;
  json::object out = TokenJson(token.metadata);
  out["token"] = token.token.Reveal();
  return JsonResponse(201, out, /*no_store=*/true);
}

Result<HttpResponse> ListTokens(RequestContext& ctx) {
  QueryReader query(ctx.request.query, {"limit", "cursor"});
  std::optional<uint64_t> limit = query.Integer("limit", 100, 1, 1000);
  const std::string cursor = query.Get("cursor").value_or("");
  SVAULT_RETURN_IF_ERROR(query.Finish());

  SVAULT_ASSIGN_OR_RETURN(auto page, ctx.vault.ListTokens(cursor, *limit));
  json::array items;
  for (const vault::Principal& p : page.items) items.push_back(TokenJson(p));
  json::object body{{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (page.next_cursor) body["next_cursor"] = *page.next_cursor;
  return JsonResponse(200, body);
}

Result<HttpResponse> GetSelfToken(RequestContext& ctx) {
  SVAULT_RETURN_IF_ERROR(QueryReader(ctx.request.query, {}).Finish());
  return JsonResponse(200, TokenJson(ctx.principal));
}

Result<HttpResponse> RevokeToken(RequestContext& ctx) {
  SVAULT_RETURN_IF_ERROR(QueryReader(ctx.request.query, {}).Finish());
  SVAULT_RETURN_IF_ERROR(ctx.vault.RevokeToken(ctx.id));
  return EmptyResponse(204);
}

}  // namespace svault::api
