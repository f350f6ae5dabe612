// Fuzzes what a client sends (api/request_parsing.h): the input is a request body, read with the
// field sets of the real handlers, and also a query string. Nothing may crash, and every refusal
// must explain itself: a kValidationFailed status always carries at least one detail.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/request_parsing.h"
#include "common/encoding.h"
#include "common/status.h"

namespace svault::fuzz {
namespace {

namespace json = boost::json;
using api::FieldReader;
using api::QueryReader;

void Require(bool condition) {
  if (!condition) __builtin_trap();
}

// A refusal names each problem: details with a field of the given kind ('/' or '?') and a reason.
// A detail goes into a JSON error body, so it stays UTF-8 when what the client sent was.
void CheckStatus(const Status& status, char field_start, bool input_is_utf8) {
  if (status.ok()) return;
  if (status.code() != Code::kValidationFailed) return;
  Require(!status.details().empty());
  for (const ErrorDetail& detail : status.details()) {
    Require(!detail.reason.empty());
    // An empty field is the JSON pointer of the whole body.
    Require(detail.field.empty() || detail.field.front() == field_start);
    if (input_is_utf8) Require(IsValidUtf8(detail.field) && IsValidUtf8(detail.reason));
  }
}

bool OnlyAllowed(const json::object& object, std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, unused] : object) {
    bool known = false;
    for (std::string_view a : allowed) known = known || a == std::string_view(name);
    if (!known) return false;
  }
  return true;
}

void CheckString(FieldReader& fields, const json::object& object, std::string_view name,
                 bool required, size_t max_bytes) {
  std::optional<std::string> text = fields.String(name, required, max_bytes);
  if (!text) return;
  Require(text->size() <= max_bytes);
  Require(*text == std::string_view(object.at(name).as_string()));
}

void CheckUnsigned(FieldReader& fields, const json::object& object, std::string_view name) {
  std::optional<uint64_t> n = fields.Unsigned(name, false);
  if (!n) return;
  const json::value& v = object.at(name);
  Require(v.is_uint64() ? v.as_uint64() == *n : v.as_int64() == static_cast<int64_t>(*n));
}

void CheckStringArray(FieldReader& fields, std::string_view name, size_t max_items) {
  std::optional<std::vector<std::string>> items = fields.StringArray(name, max_items);
  if (items) Require(items->size() <= max_items);
}

void CheckStringMap(FieldReader& fields, std::string_view name, size_t max_items) {
  std::optional<std::map<std::string, std::string>> map = fields.StringMap(name, max_items);
  if (!map) return;
  Require(map->size() <= max_items);
  for (const auto& [k, v] : *map) Require(!k.empty() && k.size() <= 128 && v.size() <= 1024);
}

// A reader that found nothing wrong passes; one that recorded a problem refuses.
void CheckFinish(const FieldReader& fields, bool expect_refusal) {
  const Status status = fields.Finish();
  if (expect_refusal) Require(status.code() == Code::kValidationFailed);
  CheckStatus(status, '/', true);
}

constexpr std::initializer_list<std::string_view> kPut = {"value", "value_base64", "description",
                                                          "type",  "tags",         "cas"};
constexpr std::initializer_list<std::string_view> kPatch = {"description", "type", "tags", "cas"};

// PUT /secrets/{key} (with a value) and PATCH /secrets/{key} (metadata only).
void ReadSecretWrite(const json::object& object, bool with_value) {
  FieldReader fields(object, with_value ? kPut : kPatch);
  if (with_value) CheckString(fields, object, "value", false, 1 << 20);
  if (with_value) CheckString(fields, object, "value_base64", false, 2 << 20);
  CheckString(fields, object, "description", false, 1024);
  CheckString(fields, object, "type", false, 32);
  CheckStringMap(fields, "tags", 64);
  CheckUnsigned(fields, object, "cas");
  CheckFinish(fields, !OnlyAllowed(object, with_value ? kPut : kPatch));
}

// POST /environments.
void ReadEnvironmentCreate(const json::object& object) {
  FieldReader fields(object, {"id", "description"});
  CheckString(fields, object, "id", true, 63);
  CheckString(fields, object, "description", false, 1024);
  CheckFinish(fields, !OnlyAllowed(object, {"id", "description"}) || !object.contains("id"));
}

// POST /tokens.
void ReadTokenCreate(const json::object& object) {
  FieldReader fields(object, {"role", "environments", "ttl", "keys", "description"});
  CheckString(fields, object, "role", true, 32);
  CheckStringArray(fields, "environments", 100);
  CheckString(fields, object, "ttl", false, 32);
  CheckStringArray(fields, "keys", 100);
  CheckString(fields, object, "description", false, 1024);
  fields.Fail("/role", "a problem found by the caller");
  CheckFinish(fields, true);
}

void FuzzBody(std::string_view body) {
  Result<json::object> object = api::ParseJsonObject(body);
  if (!object.ok()) {
    const Code code = object.status().code();
    Require(code == Code::kBadRequest || code == Code::kValidationFailed);
    Require(!body.empty() || code == Code::kBadRequest);
    CheckStatus(object.status(), '/', true);
    return;
  }
  ReadSecretWrite(*object, true);
  ReadSecretWrite(*object, false);
  ReadEnvironmentCreate(*object);
  ReadTokenCreate(*object);
}

void CheckInteger(QueryReader& query, std::string_view name, uint64_t fallback, uint64_t min,
                  uint64_t max) {
  std::optional<uint64_t> n = query.Integer(name, fallback, min, max);
  if (!query.Get(name)) Require(n == fallback);
  if (n && query.Get(name)) Require(*n >= min && *n <= max);
}

void FuzzQuery(std::string_view text) {
  const bool utf8 = IsValidUtf8(text);
  QueryReader list(text, {"prefix", "limit", "cursor"});
  CheckInteger(list, "limit", 100, 1, 1000);
  for (std::string_view name : {"prefix", "cursor"}) {
    std::optional<std::string> value = list.Get(name);
    if (value) Require(value->find('&') == std::string::npos);
  }
  Require(!list.Get("unknown"));
  CheckStatus(list.Finish(), '?', utf8);

  QueryReader audit(text, {"after", "limit"});
  CheckInteger(audit, "after", 0, 0, INT64_MAX);
  CheckInteger(audit, "limit", 100, 1, 1000);
  CheckStatus(audit.Finish(), '?', utf8);

  // No parameter allowed: any name at all is a refusal.
  QueryReader none(text, {});
  const Status status = none.Finish();
  CheckStatus(status, '?', utf8);
  const bool has_name = text.find_first_not_of('&') != std::string_view::npos;
  Require(status.ok() != has_name);
}

}  // namespace
}  // namespace svault::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  svault::fuzz::FuzzBody(input);
  svault::fuzz::FuzzQuery(input);
  return 0;
}
