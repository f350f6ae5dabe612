// Secret endpoints: values in, metadata out; values out only through reveal.
#include <fmt/format.h>
#include <sodium.h>

#include "api/handlers.h"
#include "api/request_parsing.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "common/names.h"

namespace svault::api {
namespace json = boost::json;

namespace {

constexpr size_t kMaxDescriptionBytes = 1024;
constexpr size_t kMaxTags = 64;

Status ValidatePath(const RequestContext& ctx) {
  if (!IsValidEnvironmentId(ctx.env)) return Invalid("/environment", "must be a DNS label");
  if (!IsValidSecretKey(ctx.key)) {
    return Invalid("/key",
                   "must be segments of [A-Za-z0-9] joined by single / . _ or -, at most 256 "
                   "bytes");
  }
  return Status::Ok();
}

// Overwrites a JSON string field in place once its bytes have been copied out.
void WipeField(json::object& body, std::string_view name) {
  json::value* v = body.if_contains(name);
  if (v != nullptr && v->is_string() && !v->as_string().empty()) {
    sodium_memzero(v->as_string().data(), v->as_string().size());
  }
}

// Reads exactly one of `value` / `value_base64` into a SecretBytes.
std::optional<SecretBytes> ReadValue(json::object& body, FieldReader& fields) {
  const bool has_text = fields.has("value");
  const bool has_b64 = fields.has("value_base64");
  if (has_text == has_b64) {
    fields.Fail("/value", "give exactly one of value and value_base64");
    return std::nullopt;
  }
  const char* name = has_text ? "value" : "value_base64";
  const json::value& v = body.at(name);
  if (!v.is_string()) {
    fields.Fail(fmt::format("/{}", name), "must be a string");
    return std::nullopt;
  }
  std::optional<SecretBytes> out;
  if (has_text) {
    out.emplace(std::string_view(v.as_string()));
  } else if (std::optional<std::string> decoded = Base64Decode(v.as_string())) {
    out.emplace(SecretBytes::Adopt(std::move(*decoded)));
  } else {
    fields.Fail("/value_base64", "must be standard base64 with padding");
  }
  WipeField(body, name);
  return out;
}

// The metadata fields shared by put and patch.
void ReadMetadata(FieldReader& fields, vault::SecretWrite& write) {
  write.description = fields.String("description", false, kMaxDescriptionBytes);
  write.type = fields.String("type", false, 32);
  if (write.type && !vault::IsValidSecretType(*write.type)) {
    fields.Fail("/type",
                "one of password, token, key, certificate, hostname, url, "
                "connection_string, channel, generic");
  }
  write.tags = fields.StringMap("tags", kMaxTags);
  write.cas = fields.Unsigned("cas", false);
}

Result<HttpResponse> Write(RequestContext& ctx, bool with_value) {
  SVAULT_RETURN_IF_ERROR(QueryReader(ctx.request.query, {}).Finish());
  SVAULT_RETURN_IF_ERROR(ValidatePath(ctx));
  SVAULT_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(ctx.request.body));

  vault::SecretWrite write;
  if (with_value) {
    FieldReader fields(body, {"value", "value_base64", "description", "type", "tags", "cas"});
    std::optional<SecretBytes> value = ReadValue(body, fields);
    ReadMetadata(fields, write);
    SVAULT_RETURN_IF_ERROR(fields.Finish());
    write.value = std::move(value);
  } else {
    FieldReader fields(body, {"description", "type", "tags", "cas"});
    ReadMetadata(fields, write);
    SVAULT_RETURN_IF_ERROR(fields.Finish());
  }

  bool created = false;
  SVAULT_ASSIGN_OR_RETURN(
      vault::SecretMeta meta,
      ctx.vault.WriteSecret(ctx.principal, ctx.env, ctx.key, std::move(write), &created));
  ctx.used.push_back({meta.key, meta.version});
  return JsonResponse(with_value && created ? 201 : 200, SecretMetaJson(meta));
}

}  // namespace

Result<HttpResponse> PutSecret(RequestContext& ctx) { return Write(ctx, true); }

Result<HttpResponse> PatchSecret(RequestContext& ctx) { return Write(ctx, false); }

Result<HttpResponse> GetSecret(RequestContext& ctx) {
  SVAULT_RETURN_IF_ERROR(QueryReader(ctx.request.query, {}).Finish());
  SVAULT_RETURN_IF_ERROR(ValidatePath(ctx));
  SVAULT_ASSIGN_OR_RETURN(vault::SecretMeta meta, ctx.vault.GetSecret(ctx.env, ctx.key));
  return JsonResponse(200, SecretMetaJson(meta));
}

Result<HttpResponse> ListSecrets(RequestContext& ctx) {
  QueryReader query(ctx.request.query, {"prefix", "limit", "cursor"});
  std::optional<uint64_t> limit = query.Integer("limit", 100, 1, 1000);
  const std::string prefix = query.Get("prefix").value_or("");
  const std::string cursor = query.Get("cursor").value_or("");
  if (!IsValidKeyPrefix(prefix)) query.Fail("?prefix", "must be the start of a valid key");
  if (!cursor.empty() && !IsValidSecretKey(cursor)) {
    query.Fail("?cursor", "not a cursor this list gave");
  }
  SVAULT_RETURN_IF_ERROR(query.Finish());
  if (!IsValidEnvironmentId(ctx.env)) return Invalid("/environment", "must be a DNS label");

  SVAULT_ASSIGN_OR_RETURN(auto page, ctx.vault.ListSecrets(ctx.env, prefix, cursor, *limit));
  json::array items;
  for (const vault::SecretMeta& meta : page.items) items.push_back(SecretMetaJson(meta));
  json::object body{{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (page.next_cursor) body["next_cursor"] = *page.next_cursor;
  return JsonResponse(200, body);
}

Result<HttpResponse> DeleteSecret(RequestContext& ctx) {
  SVAULT_RETURN_IF_ERROR(QueryReader(ctx.request.query, {}).Finish());
  SVAULT_RETURN_IF_ERROR(ValidatePath(ctx));
  SVAULT_RETURN_IF_ERROR(ctx.vault.DeleteSecret(ctx.env, ctx.key));
  ctx.used.push_back({ctx.key, std::nullopt});
  return EmptyResponse(204);
}

Result<HttpResponse> RevealSecret(RequestContext& ctx) {
  QueryReader query(ctx.request.query, {"version"});
  std::optional<uint64_t> version;
  if (query.Get("version")) version = query.Integer("version", 0, 1, UINT32_MAX);
  SVAULT_RETURN_IF_ERROR(query.Finish());
  SVAULT_RETURN_IF_ERROR(ValidatePath(ctx));

  SVAULT_ASSIGN_OR_RETURN(vault::SecretValue value,
                          ctx.vault.RevealSecret(ctx.env, ctx.key, version));
  ctx.used.push_back({ctx.key, value.version});
  json::object body{{"key", ctx.key}, {"version", value.version}};
  if (IsValidUtf8(value.value.Reveal())) {
    body["value"] = value.value.Reveal();
  } else {
    body["value_base64"] = Base64Encode(value.value.Reveal());
  }
  HttpResponse response = JsonResponse(200, body, /*no_store=*/true);
  // The session wipes the serialised body once sent. The serializer's scratch copies, Beast's
  // buffers, OpenSSL and the kernel are not wiped: docs/security.md lists them.
  WipeField(body, "value");
  WipeField(body, "value_base64");
  return response;
}

Result<HttpResponse> ListVersions(RequestContext& ctx) {
  QueryReader query(ctx.request.query, {"limit", "cursor"});
  std::optional<uint64_t> limit = query.Integer("limit", 100, 1, 1000);
  const std::string cursor = query.Get("cursor").value_or("");
  SVAULT_RETURN_IF_ERROR(query.Finish());
  SVAULT_RETURN_IF_ERROR(ValidatePath(ctx));

  SVAULT_ASSIGN_OR_RETURN(auto page, ctx.vault.ListVersions(ctx.env, ctx.key, cursor, *limit));
  json::array items;
  for (const vault::VersionRecord& v : page.items) {
    items.push_back(json::object{{"version", v.version},
                                 {"created_at", FormatRfc3339(v.created_at_ms)},
                                 {"created_by", v.created_by}});
  }
  json::object body{{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (page.next_cursor) body["next_cursor"] = *page.next_cursor;
  return JsonResponse(200, body);
}

}  // namespace svault::api
