// The vault's lifecycle endpoints (DESIGN.md §5, §8): seal status, init and unseal take no
// token; seal, keyring rotation, rekey and data-key rotation need an admin token.
#include <fmt/format.h>

#include "api/handlers.h"
#include "api/request_parsing.h"
#include "common/log.h"

namespace svault::api {
namespace json = boost::json;

namespace {

json::array ShareArray(const std::vector<SecretBytes>& shares) {
  json::array out;
  for (const SecretBytes& share : shares) out.emplace_back(share.Reveal());
  return out;
}

json::object RekeyJson(const vault::RekeyStatus& s) {
  json::object out{{"started", s.started},     {"nonce", nullptr},
                   {"progress", s.progress},   {"required", s.required},
                   {"shares", s.new_shares},   {"threshold", s.new_threshold},
                   {"verifying", s.verifying}, {"verify_progress", s.verify_progress},
                   {"complete", s.complete}};
  if (s.started) out["nonce"] = s.nonce;
  return out;
}

// Reads {"nonce", "share"} for the two rekey steps.
Result<std::pair<std::string, std::string>> ReadNonceAndShare(const HttpRequest& request) {
  SVAULT_RETURN_IF_ERROR(QueryReader(request.query, {}).Finish());
  SVAULT_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request.body));
  FieldReader fields(body, {"nonce", "share"});
  std::optional<std::string> nonce = fields.String("nonce", true, 64);
  std::optional<std::string> share = fields.String("share", true, 1024);
  SVAULT_RETURN_IF_ERROR(fields.Finish());
  return std::make_pair(std::move(*nonce), std::move(*share));
}

json::object ReencryptionJson(const vault::ReencryptionStatus& s) {
  json::array old;
  for (uint32_t g : s.old_generations) old.emplace_back(g);
  return {{"environment", s.environment},
          {"generation", s.generation},
          {"old_generations", std::move(old)},
          {"versions_total", s.versions_total},
          {"versions_pending", s.versions_pending},
          {"done", s.versions_pending == 0 && s.old_generations.empty()}};
}

// A body that may be empty ({} is assumed).
Result<json::object> OptionalBody(std::string_view body) {
  if (body.empty()) return json::object();
  return ParseJsonObject(body);
}

}  // namespace

json::object SealStatusJson(const vault::SealStatus& s) {
  json::object out{
      {"initialized", s.initialized}, {"sealed", s.sealed},       {"type", nullptr},
      {"progress", s.progress},       {"threshold", s.threshold}, {"shares", s.shares}};
  if (s.initialized) out["type"] = s.type;
  return out;
}

Result<HttpResponse> SealStatus(vault::Vault& vault, const HttpRequest& request) {
  SVAULT_RETURN_IF_ERROR(QueryReader(request.query, {}).Finish());
  SVAULT_ASSIGN_OR_RETURN(vault::SealStatus status, vault.GetSealStatus());
  return JsonResponse(200, SealStatusJson(status));
}

Result<HttpResponse> InitVault(vault::Vault& vault, const HttpRequest& request,
                               vault::UnsealKeyFile* key_file) {
  SVAULT_RETURN_IF_ERROR(QueryReader(request.query, {}).Finish());
  SVAULT_ASSIGN_OR_RETURN(json::object body, OptionalBody(request.body));
  FieldReader fields(body, {"shares", "threshold", "auto_unseal"});
  std::optional<uint64_t> shares = fields.Unsigned("shares", false);
  std::optional<uint64_t> threshold = fields.Unsigned("threshold", false);
  std::optional<bool> auto_unseal = fields.Bool("auto_unseal", false);
  if (auto_unseal.value_or(false) && (shares || threshold)) {
    fields.Fail("/auto_unseal", "shares and threshold do not apply to auto-unseal");
  }
  SVAULT_RETURN_IF_ERROR(fields.Finish());

  vault::InitSpec spec;
  spec.shares = static_cast<uint32_t>(std::min<uint64_t>(shares.value_or(5), 1000));
  spec.threshold = static_cast<uint32_t>(std::min<uint64_t>(threshold.value_or(3), 1000));
  spec.auto_unseal = auto_unseal.value_or(false);
  SVAULT_ASSIGN_OR_RETURN(vault::InitResult result, vault.Initialize(spec, key_file));
  Log(LogLevel::kInfo, "vault initialised",
      {{"client", request.client_address},
       {"unseal", spec.auto_unseal ? "key file"
                                   : fmt::format("{} of {} shares", spec.threshold, spec.shares)}});
  json::object out{{"shares", ShareArray(result.shares)},
                   {"root_token", result.root_token.Reveal()}};
  return JsonResponse(200, out, /*no_store=*/true);
}

Result<HttpResponse> UnsealVault(vault::Vault& vault, const HttpRequest& request,
                                 bool* unsealed_now) {
  SVAULT_RETURN_IF_ERROR(QueryReader(request.query, {}).Finish());
  SVAULT_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(request.body));
  FieldReader fields(body, {"share", "reset"});
  std::optional<std::string> share = fields.String("share", false, 1024);
  std::optional<bool> reset = fields.Bool("reset", false);
  if (share.has_value() == reset.value_or(false)) {
    fields.Fail("/share", "give either a share or \"reset\": true");
  }
  SVAULT_RETURN_IF_ERROR(fields.Finish());

  // Attempts while sealed go to the operational log (never the share); the chain gets a
  // summary at unseal.
  Result<vault::SealStatus> status = share ? vault.SubmitShare(*share) : vault.ResetUnseal();
  if (share) WipeString(*share);
  Log(status.ok() ? LogLevel::kInfo : LogLevel::kWarn, reset ? "unseal reset" : "unseal share",
      {{"client", request.client_address},
       {"result", status.ok() ? "accepted" : std::string(CodeName(status.status().code()))},
       {"progress", status.ok() ? std::to_string(status->progress) : ""}});
  SVAULT_RETURN_IF_ERROR(status.status());
  *unsealed_now = status->unsealed_now;
  return JsonResponse(200, SealStatusJson(*status));
}

Result<HttpResponse> SealVault(RequestContext& ctx) {
  SVAULT_RETURN_IF_ERROR(QueryReader(ctx.request.query, {}).Finish());
  if (!ctx.request.body.empty()) SVAULT_RETURN_IF_ERROR(ParseJsonObject(ctx.request.body).status());
  // The seal itself happens in api.cc, after in-flight requests drain and this request's
  // outcome is recorded.
  return EmptyResponse(204);
}

Result<HttpResponse> RotateKeyring(RequestContext& ctx) {
  SVAULT_RETURN_IF_ERROR(QueryReader(ctx.request.query, {}).Finish());
  SVAULT_ASSIGN_OR_RETURN(uint32_t term, ctx.vault.RotateKeyring());
  ctx.audit_target = fmt::format("term {}", term);
  return JsonResponse(200, json::object{{"term", term}});
}

Result<HttpResponse> StartRekey(RequestContext& ctx) {
  SVAULT_RETURN_IF_ERROR(QueryReader(ctx.request.query, {}).Finish());
  SVAULT_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(ctx.request.body));
  FieldReader fields(body, {"shares", "threshold"});
  std::optional<uint64_t> shares = fields.Unsigned("shares", true);
  std::optional<uint64_t> threshold = fields.Unsigned("threshold", true);
  SVAULT_RETURN_IF_ERROR(fields.Finish());
  SVAULT_ASSIGN_OR_RETURN(
      vault::RekeyStatus status,
      ctx.vault.StartRekey(static_cast<uint32_t>(std::min<uint64_t>(*shares, 1000)),
                           static_cast<uint32_t>(std::min<uint64_t>(*threshold, 1000))));
  return JsonResponse(200, RekeyJson(status));
}

Result<HttpResponse> UpdateRekey(RequestContext& ctx) {
  SVAULT_ASSIGN_OR_RETURN(auto input, ReadNonceAndShare(ctx.request));
  Result<vault::RekeyStatus> status = ctx.vault.UpdateRekey(input.first, input.second);
  WipeString(input.second);
  SVAULT_RETURN_IF_ERROR(status.status());
  json::object out = RekeyJson(*status);
  if (status->shares.empty()) return JsonResponse(200, out);
  out["new_shares"] = ShareArray(status->shares);
  ctx.audit_target = fmt::format("new shares made: shares={} threshold={}", status->new_shares,
                                 status->new_threshold);
  return JsonResponse(200, out, /*no_store=*/true);
}

Result<HttpResponse> VerifyRekey(RequestContext& ctx) {
  SVAULT_ASSIGN_OR_RETURN(auto input, ReadNonceAndShare(ctx.request));
  Result<vault::RekeyStatus> status = ctx.vault.VerifyRekey(input.first, input.second);
  WipeString(input.second);
  SVAULT_RETURN_IF_ERROR(status.status());
  if (status->complete) ctx.audit_target = "new shares in effect";
  return JsonResponse(200, RekeyJson(*status));
}

Result<HttpResponse> GetRekey(RequestContext& ctx) {
  SVAULT_RETURN_IF_ERROR(QueryReader(ctx.request.query, {}).Finish());
  SVAULT_ASSIGN_OR_RETURN(vault::RekeyStatus status, ctx.vault.GetRekeyStatus());
  return JsonResponse(200, RekeyJson(status));
}

Result<HttpResponse> CancelRekey(RequestContext& ctx) {
  SVAULT_RETURN_IF_ERROR(QueryReader(ctx.request.query, {}).Finish());
  SVAULT_RETURN_IF_ERROR(ctx.vault.CancelRekey());
  return EmptyResponse(204);
}

Result<HttpResponse> RotateDataKey(RequestContext& ctx) {
  SVAULT_RETURN_IF_ERROR(QueryReader(ctx.request.query, {}).Finish());
  SVAULT_ASSIGN_OR_RETURN(vault::ReencryptionStatus status, ctx.vault.RotateDataKey(ctx.env));
  ctx.audit_target = fmt::format("generation {}", status.generation);
  return JsonResponse(200, ReencryptionJson(status));
}

Result<HttpResponse> GetDataKeyRotation(RequestContext& ctx) {
  SVAULT_RETURN_IF_ERROR(QueryReader(ctx.request.query, {}).Finish());
  SVAULT_ASSIGN_OR_RETURN(vault::ReencryptionStatus status, ctx.vault.GetReencryption(ctx.env));
  return JsonResponse(200, ReencryptionJson(status));
}

}  // namespace svault::api
