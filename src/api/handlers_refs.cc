// Reference endpoints (DESIGN.md §3, §4): list the references of a document, validate them
// against an environment, render a document, and resolve a batch of keys. Listing and validating
// never see a value; render and resolve are all or nothing.
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <map>
#include <set>

#include "api/errors.h"
#include "api/handlers.h"
#include "api/request_parsing.h"
#include "common/encoding.h"
#include "common/names.h"
#include "refs/encode.h"
#include "refs/grammar.h"

namespace svault::api {
namespace json = boost::json;

namespace {

constexpr size_t kMaxResolveKeys = 1000;
// A definition holding more references than this is refused (422) rather than audited key by key.
constexpr size_t kMaxDocumentReferences = 10000;

struct DocumentQuery {
  refs::Format format = refs::Format::kText;
  refs::Dialect dialect = refs::Dialect::kStandard;
};

// `format` (required where a document is sent) and `dialect` (default standard).
Result<DocumentQuery> ReadDocumentQuery(const HttpRequest& request, bool with_format) {
  QueryReader query(request.query, {"format", "dialect"});
  DocumentQuery out;
  if (with_format) {
    const std::optional<std::string> format = query.Get("format");
    const std::optional<refs::Format> parsed = format ? refs::ParseFormat(*format) : std::nullopt;
    if (!parsed) {
      query.Fail("?format", "required: one of text, json, xml, bpmn, url, env");
    } else {
      out.format = *parsed;
    }
  } else if (query.Get("format")) {
    query.Fail("?format", "not accepted here");
  }
  if (std::optional<std::string> dialect = query.Get("dialect")) {
    const std::optional<refs::Dialect> parsed = refs::ParseDialect(*dialect);
    if (!parsed) query.Fail("?dialect", "one of standard, camunda");
    if (parsed) out.dialect = *parsed;
  }
  SVAULT_RETURN_IF_ERROR(query.Finish());
  return out;
}

// The document's scan: the one made for the request record when there is one.
Result<refs::Scan> ScanBody(RequestContext& ctx, const DocumentQuery& q) {
  Result<refs::Scan> scan = ctx.prepared != nullptr && ctx.prepared->scan
                                ? std::move(*ctx.prepared->scan)
                                : refs::ScanDocument(ctx.request.body, q.format, q.dialect);
  if (scan.ok() && scan->references.size() + scan->problems.size() > kMaxDocumentReferences) {
    return Invalid("/", fmt::format("holds more than {} references", kMaxDocumentReferences));
  }
  return scan;
}

// Distinct {key, version} pairs, and for each reference the index of its pair.
struct Distinct {
  std::vector<vault::KeyRef> keys;
  std::vector<size_t> index;
};

Distinct DistinctKeys(const std::vector<refs::Reference>& references) {
  Distinct out;
  std::map<std::pair<std::string, std::optional<uint64_t>>, size_t> seen;
  for (const refs::Reference& ref : references) {
    auto [it, added] = seen.try_emplace({ref.key, ref.version}, out.keys.size());
    if (added) out.keys.push_back(vault::KeyRef{ref.key, ref.version});
    out.index.push_back(it->second);
  }
  return out;
}

json::object ReferenceJson(const refs::Reference& ref) {
  ReferenceDetail d{ref.key,     ref.version, ref.location.line, ref.location.column,
                    ref.element, ref.pointer};
  return ReferenceDetailJson(d, "");
}

json::array ProblemsJson(const std::vector<refs::Problem>& problems) {
  json::array out;
  for (const refs::Problem& p : problems) {
    out.push_back(ReferenceDetailJson(refs::DetailOf(p), refs::ReasonName(p.reason)));
  }
  return out;
}

// The pairs actually used, for the outcome record.
std::vector<vault::AuditKey> Used(const std::vector<vault::KeyRef>& keys,
                                  const std::vector<std::optional<vault::SecretValue>>& values) {
  std::vector<vault::AuditKey> used;
  std::set<std::pair<std::string, uint64_t>> seen;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (values[i] && seen.emplace(keys[i].key, values[i]->version).second) {
      used.push_back(vault::AuditKey{keys[i].key, values[i]->version});
    }
  }
  return used;
}

// Everything that keeps a document from rendering: its own problems and references that
// resolved to nothing; when there are any, also the values their context cannot carry, so one
// answer lists them all (otherwise RenderDocument finds those, in its one pass).
std::vector<refs::Problem> RenderProblems(
    const refs::Scan& scan, const Distinct& distinct,
    const std::vector<std::optional<vault::SecretValue>>& values) {
  std::vector<refs::Problem> problems = scan.problems;
  for (size_t i = 0; i < scan.references.size(); ++i) {
    if (!values[distinct.index[i]]) {
      problems.push_back(refs::ProblemFor(scan.references[i], refs::Reason::kMissing));
    }
  }
  if (problems.empty()) return problems;

  std::map<std::pair<size_t, refs::Context>, bool> encodable;  // one check per value and context
  for (size_t i = 0; i < scan.references.size(); ++i) {
    const refs::Reference& ref = scan.references[i];
    const std::optional<vault::SecretValue>& value = values[distinct.index[i]];
    if (!value) continue;
    const auto [it, added] = encodable.try_emplace({distinct.index[i], ref.context}, true);
    if (added) it->second = refs::CanEncode(ref.context, value->value.Reveal());
    if (!it->second) problems.push_back(refs::ProblemFor(ref, refs::Reason::kUnencodable));
  }
  refs::SortByLocation(problems);
  return problems;
}

// Overwrites the value strings of a resolve answer once it is serialised.
void WipeValues(json::object& values) {
  for (auto& [name, entry] : values) {
    for (const char* field : {"value", "value_base64"}) {
      json::value* v = entry.as_object().if_contains(field);
      if (v != nullptr && v->is_string())
        sodium_memzero(v->as_string().data(), v->as_string().size());
    }
  }
}

}  // namespace

void PrepareDocument(const HttpRequest& request, Prepared& prepared) {
  Result<DocumentQuery> q = ReadDocumentQuery(request, true);
  if (!q.ok()) return;
  prepared.scan = refs::ScanDocument(request.body, q->format, q->dialect);
  if (!prepared.scan->ok()) return;
  if ((*prepared.scan)->references.size() > kMaxDocumentReferences) return;  // refused later
  for (const vault::KeyRef& key : DistinctKeys((*prepared.scan)->references).keys) {
    prepared.requested.push_back(vault::AuditKey{key.key, key.version});
  }
}

void PrepareResolve(const HttpRequest& request, Prepared& prepared) {
  Result<json::object> body = ParseJsonObject(request.body);
  if (!body.ok()) return;
  const json::value* keys = body->if_contains("keys");
  if (keys == nullptr || !keys->is_array() || keys->as_array().size() > kMaxResolveKeys) return;
  std::set<std::pair<std::string, std::optional<uint64_t>>> seen;
  for (const json::value& k : keys->as_array()) {
    if (!k.is_string()) continue;
    // Only well-formed keys: a malformed one may be anything, a pasted value included.
    std::optional<refs::KeySpec> spec = refs::ParseKeySpec(k.as_string());
    if (spec && seen.emplace(spec->key, spec->version).second) {
      prepared.requested.push_back(vault::AuditKey{spec->key, spec->version});
    }
  }
}

Result<HttpResponse> ListReferences(RequestContext& ctx) {
  SVAULT_ASSIGN_OR_RETURN(DocumentQuery q, ReadDocumentQuery(ctx.request, true));
  SVAULT_ASSIGN_OR_RETURN(refs::Scan scan, ScanBody(ctx, q));
  json::array references;
  for (const refs::Reference& ref : scan.references) references.push_back(ReferenceJson(ref));
  return JsonResponse(200, json::object{{"references", std::move(references)},
                                        {"problems", ProblemsJson(scan.problems)}});
}

Result<HttpResponse> ValidateReferences(RequestContext& ctx) {
  if (!IsValidEnvironmentId(ctx.env)) return Invalid("/environment", "must be a DNS label");
  SVAULT_ASSIGN_OR_RETURN(DocumentQuery q, ReadDocumentQuery(ctx.request, true));
  SVAULT_ASSIGN_OR_RETURN(refs::Scan scan, ScanBody(ctx, q));
  const Distinct distinct = DistinctKeys(scan.references);
  SVAULT_ASSIGN_OR_RETURN(vault::Vault::ReferenceCheck check,
                          ctx.vault.CheckReferences(ctx.principal, ctx.env, distinct.keys));

  json::array references;
  for (size_t i = 0; i < scan.references.size(); ++i) {
    json::object o = ReferenceJson(scan.references[i]);
    const bool found = check.exists[distinct.index[i]];
    o["exists"] = found;
    o["resolvable"] = found && check.resolvable;
    references.push_back(std::move(o));
  }
  return JsonResponse(200, json::object{{"references", std::move(references)},
                                        {"problems", ProblemsJson(scan.problems)}});
}

Result<HttpResponse> RenderReferences(RequestContext& ctx) {
  if (!IsValidEnvironmentId(ctx.env)) return Invalid("/environment", "must be a DNS label");
  SVAULT_ASSIGN_OR_RETURN(DocumentQuery q, ReadDocumentQuery(ctx.request, true));
  SVAULT_ASSIGN_OR_RETURN(refs::Scan scan, ScanBody(ctx, q));
  const Distinct distinct = DistinctKeys(scan.references);
  SVAULT_ASSIGN_OR_RETURN(auto values,
                          ctx.vault.ResolveSecrets(ctx.principal, ctx.env, distinct.keys));

  const std::vector<refs::Problem> problems = RenderProblems(scan, distinct, values);
  if (!problems.empty()) {
    return refs::Unresolved("the document cannot be rendered; nothing was rendered", problems);
  }
  std::vector<const SecretBytes*> per_reference;
  per_reference.reserve(scan.references.size());
  for (size_t index : distinct.index) per_reference.push_back(&values[index]->value);
  SVAULT_ASSIGN_OR_RETURN(std::string rendered,
                          refs::RenderDocument(ctx.request.body, scan, per_reference));
  ctx.used = Used(distinct.keys, values);

  HttpResponse response;
  response.content_type = std::string(refs::MediaType(q.format));
  response.body = std::move(rendered);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

Result<HttpResponse> ResolveKeys(RequestContext& ctx) {
  if (!IsValidEnvironmentId(ctx.env)) return Invalid("/environment", "must be a DNS label");
  SVAULT_RETURN_IF_ERROR(ReadDocumentQuery(ctx.request, false).status());
  SVAULT_ASSIGN_OR_RETURN(json::object asked, ParseJsonObject(ctx.request.body));
  FieldReader fields(asked, {"keys"});
  if (!fields.has("keys")) fields.Fail("/keys", "required");
  const std::optional<std::vector<std::string>> specs = fields.StringArray("keys", kMaxResolveKeys);
  SVAULT_RETURN_IF_ERROR(fields.Finish());

  // Every spec parsed; a malformed one is a problem named by its pointer, never echoed.
  std::vector<vault::KeyRef> keys;
  std::vector<std::optional<size_t>> key_of_spec;
  for (const std::string& text : *specs) {
    std::optional<refs::KeySpec> spec = refs::ParseKeySpec(text);
    key_of_spec.push_back(spec ? std::optional(keys.size()) : std::nullopt);
    if (spec) keys.push_back(vault::KeyRef{std::move(spec->key), spec->version});
  }
  SVAULT_ASSIGN_OR_RETURN(auto values, ctx.vault.ResolveSecrets(ctx.principal, ctx.env, keys));

  std::vector<refs::Problem> problems;
  for (size_t i = 0; i < specs->size(); ++i) {
    const std::optional<size_t> k = key_of_spec[i];
    if (k && values[*k]) continue;
    refs::Problem p;
    p.pointer = fmt::format("/keys/{}", i);
    p.reason = k ? refs::Reason::kMissing : refs::Reason::kMalformed;
    if (k) p.key = keys[*k].key;
    if (k) p.version = keys[*k].version;
    problems.push_back(std::move(p));
  }
  if (!problems.empty()) {
    return refs::Unresolved("not every key resolved; no value was returned", problems);
  }

  json::object out;
  for (size_t i = 0; i < specs->size(); ++i) {
    const vault::SecretValue& value = *values[*key_of_spec[i]];
    const std::string_view v = value.value.Reveal();
    json::object entry{{"version", value.version}};
    if (IsValidUtf8(v)) {
      entry["value"] = v;
    } else {
      entry["value_base64"] = Base64Encode(v);
    }
    out[(*specs)[i]] = std::move(entry);
  }
  ctx.used = Used(keys, values);
  json::object body{{"values", std::move(out)}};
  HttpResponse response = JsonResponse(200, body, true);
  WipeValues(body["values"].as_object());
  return response;
}

}  // namespace svault::api
