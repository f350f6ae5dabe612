#include "api/handlers.h"
#include "common/clock.h"

namespace svault::api {
namespace json = boost::json;

HttpResponse JsonResponse(int status, const json::value& body, bool no_store) {
  HttpResponse response;
  response.status = status;
  response.body = json::serialize(body);
  if (no_store) response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

HttpResponse EmptyResponse(int status) {
  HttpResponse response;
  response.status = status;
  response.content_type.clear();
  return response;
}

json::object EnvJson(const vault::EnvRecord& env) {
  return {{"id", env.id},
          {"description", env.description},
          {"created_at", FormatRfc3339(env.created_at_ms)},
          {"created_by", env.created_by}};
}

json::object SecretMetaJson(const vault::SecretMeta& meta) {
  json::object tags;
  for (const auto& [k, v] : meta.tags) tags[k] = v;
  return {{"key", meta.key},
          {"version", meta.version},
          {"description", meta.description},
          {"type", meta.type},
          {"tags", std::move(tags)},
          {"created_at", FormatRfc3339(meta.created_at_ms)},
          {"created_by", meta.created_by},
          {"updated_at", FormatRfc3339(meta.updated_at_ms)},
          {"updated_by", meta.updated_by}};
}

json::object TokenJson(const vault::Principal& token) {
  json::array envs;
  for (const auto& [id, uid] : token.environments) envs.emplace_back(id);
  json::array keys;
  for (const std::string& k : token.key_patterns) keys.emplace_back(k);
  json::object o{{"id", token.token_id},
                 {"role", vault::RoleName(token.role)},
                 {"environments", std::move(envs)},
                 {"keys", std::move(keys)},
                 {"description", token.description},
                 {"created_at", FormatRfc3339(token.created_at_ms)},
                 {"created_by", token.created_by}};
  if (token.expires_at_ms) {
    o["expires_at"] = FormatRfc3339(*token.expires_at_ms);
  } else {
    o["expires_at"] = nullptr;
  }
  return o;
}

}  // namespace svault::api
