// Audit endpoints: reading the trail and verifying files of it.
#include "api/handlers.h"
#include "api/request_parsing.h"
#include "common/encoding.h"

namespace svault::api {
namespace json = boost::json;

namespace {

// Admin sees every record; an auditor sees its environments' records and those without one.
bool Visible(const vault::Principal& p, const std::optional<std::string>& env) {
  if (p.role == vault::Role::kAdmin || !env) return true;
  return p.environments.contains(*env);
}

}  // namespace

Result<HttpResponse> ReadAudit(RequestContext& ctx) {
  QueryReader query(ctx.request.query, {"after", "limit"});
  std::optional<uint64_t> after = query.Integer("after", 0, 0, INT64_MAX);
  std::optional<uint64_t> limit = query.Integer("limit", 100, 1, 1000);
  SVAULT_RETURN_IF_ERROR(query.Finish());

  std::shared_ptr<vault::AuditLog> log = ctx.vault.audit_log();
  if (log == nullptr) return Status(Code::kSealed, "vault is sealed");
  const vault::Principal& principal = ctx.principal;
  SVAULT_ASSIGN_OR_RETURN(std::vector<std::string> lines,
                          log->Read(*after, *limit, [&](const std::optional<std::string>& env) {
                            return Visible(principal, env);
                          }));

  json::array items;
  uint64_t last_seq = 0;
  for (const std::string& line : lines) {
    boost::system::error_code ec;
    json::value record = json::parse(line, ec);
    if (ec || !record.is_object()) return IntegrityError("audit record does not parse");
    if (const json::value* seq = record.as_object().if_contains("seq"); seq && seq->is_number()) {
      last_seq = seq->to_number<uint64_t>();
    }
    items.push_back(std::move(record));
  }
  json::object body{{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (lines.size() == *limit) body["next_cursor"] = std::to_string(last_seq);
  return JsonResponse(200, body);
}

Result<HttpResponse> ReadAuditHead(RequestContext& ctx) {
  SVAULT_RETURN_IF_ERROR(QueryReader(ctx.request.query, {}).Finish());
  std::shared_ptr<vault::AuditLog> log = ctx.vault.audit_log();
  if (log == nullptr) return Status(Code::kSealed, "vault is sealed");
  const vault::AuditLog::Head head = log->head();
  return JsonResponse(200, json::object{{"seq", head.seq}, {"hmac", head.hmac}});
}

Result<HttpResponse> VerifyAudit(RequestContext& ctx) {
  QueryReader query(ctx.request.query, {"prev", "seq"});
  std::optional<std::string> prev = query.Get("prev");
  std::optional<uint64_t> seq;
  if (query.Get("seq")) seq = query.Integer("seq", 0, 0, INT64_MAX);
  if (prev && (prev->size() != 64 || !HexDecode(*prev))) {
    query.Fail("?prev", "must be 64 hex characters");
  }
  SVAULT_RETURN_IF_ERROR(query.Finish());

  SVAULT_ASSIGN_OR_RETURN(vault::AuditVerifyReport report,
                          ctx.vault.VerifyAudit(ctx.request.body, prev, seq));
  json::object body{
      {"ok", report.ok},  {"records", report.records},     {"torn_tail", report.torn_tail},
      {"break", nullptr}, {"last_hmac", report.last_hmac}, {"last_seq", nullptr}};
  if (report.last_seq) body["last_seq"] = *report.last_seq;
  if (!report.ok) {
    json::object where{{"line", report.break_line}, {"seq", nullptr}, {"reason", report.reason}};
    if (report.break_seq) where["seq"] = *report.break_seq;
    body["break"] = std::move(where);
  }
  return JsonResponse(200, body);
}

}  // namespace svault::api
