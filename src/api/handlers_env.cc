// Environment endpoints.
#include "api/handlers.h"
#include "api/request_parsing.h"
#include "common/names.h"

namespace svault::api {
namespace json = boost::json;

namespace {

constexpr size_t kMaxDescriptionBytes = 1024;

Status ValidateEnvParam(const std::string& env) {
  if (!IsValidEnvironmentId(env)) return Invalid("/environment", "must be a DNS label");
  return Status::Ok();
}

}  // namespace

Result<HttpResponse> CreateEnvironment(RequestContext& ctx) {
  SVAULT_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(ctx.request.body));
  FieldReader fields(body, {"id", "description"});
  std::optional<std::string> id = fields.String("id", true, 63);
  std::optional<std::string> description =
      fields.String("description", false, kMaxDescriptionBytes);
  if (id && !IsValidEnvironmentId(*id)) fields.Fail("/id", "must be a DNS label");
  SVAULT_RETURN_IF_ERROR(fields.Finish());

  SVAULT_ASSIGN_OR_RETURN(vault::EnvRecord env, ctx.vault.CreateEnvironment(
                                                    ctx.principal, *id, description.value_or("")));
  ctx.audit_environment = env.id;
  return JsonResponse(201, EnvJson(env));
}

Result<HttpResponse> ListEnvironments(RequestContext& ctx) {
  QueryReader query(ctx.request.query, {"limit", "cursor"});
  std::optional<uint64_t> limit = query.Integer("limit", 100, 1, 1000);
  SVAULT_RETURN_IF_ERROR(query.Finish());
  const std::string cursor = query.Get("cursor").value_or("");

  SVAULT_ASSIGN_OR_RETURN(auto page, ctx.vault.ListEnvironments(ctx.principal, cursor, *limit));
  json::array items;
  for (const vault::EnvRecord& env : page.items) items.push_back(EnvJson(env));
  json::object body{{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (page.next_cursor) body["next_cursor"] = *page.next_cursor;
  return JsonResponse(200, body);
}

Result<HttpResponse> GetEnvironment(RequestContext& ctx) {
  SVAULT_RETURN_IF_ERROR(QueryReader(ctx.request.query, {}).Finish());
  SVAULT_RETURN_IF_ERROR(ValidateEnvParam(ctx.env));
  SVAULT_ASSIGN_OR_RETURN(vault::EnvRecord env, ctx.vault.GetEnvironment(ctx.env));
  return JsonResponse(200, EnvJson(env));
}

Result<HttpResponse> DeleteEnvironment(RequestContext& ctx) {
  QueryReader query(ctx.request.query, {"confirm"});
  std::optional<std::string> confirm = query.Get("confirm");
  if (confirm != ctx.env) query.Fail("?confirm", "must repeat the environment id");
  SVAULT_RETURN_IF_ERROR(query.Finish());
  SVAULT_RETURN_IF_ERROR(ValidateEnvParam(ctx.env));
  SVAULT_RETURN_IF_ERROR(ctx.vault.DeleteEnvironment(ctx.env));
  return EmptyResponse(204);
}

}  // namespace svault::api
