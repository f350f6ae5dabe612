// Parsing and validating what a client sends: JSON bodies (400 when not parseable, 422 with one
// detail per wrong or unknown field) and query strings (never percent-decoded: every valid name
// is URL-safe as it stands, so a `%` is simply invalid where it appears).
#ifndef SVAULT_API_REQUEST_PARSING_H_
#define SVAULT_API_REQUEST_PARSING_H_

#include <boost/json.hpp>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace svault::api {

// The body as a JSON object. kBadRequest when empty or not JSON; kValidationFailed when JSON
// but not an object.
Result<boost::json::object> ParseJsonObject(std::string_view body);

// Reads typed fields out of a JSON object and collects every problem, so one 422 lists them
// all. Fields not named in `allowed` are reported as unknown.
class FieldReader {
 public:
  FieldReader(const boost::json::object& object, std::initializer_list<std::string_view> allowed);

  std::optional<std::string> String(std::string_view name, bool required, size_t max_bytes);
  std::optional<uint64_t> Unsigned(std::string_view name, bool required);
  std::optional<bool> Bool(std::string_view name, bool required);
  std::optional<std::vector<std::string>> StringArray(std::string_view name, size_t max_items);
  std::optional<std::map<std::string, std::string>> StringMap(std::string_view name,
                                                              size_t max_items);
  // Records a problem found by the caller (e.g. a value that fails a grammar).
  void Fail(std::string field, std::string reason);
  bool has(std::string_view name) const { return object_.contains(name); }

  // OK, or kValidationFailed with every problem recorded so far.
  Status Finish() const;

 private:
  const boost::json::value* Find(std::string_view name, bool required);

  const boost::json::object& object_;
  std::vector<ErrorDetail> problems_;
};

// Query parameters by name. Only `allowed` names are accepted; a repeated or unknown name is a
// problem (field "?name").
class QueryReader {
 public:
  QueryReader(std::string_view query, std::initializer_list<std::string_view> allowed);

  std::optional<std::string> Get(std::string_view name) const;
  // A bounded integer; a missing parameter gives `fallback`.
  std::optional<uint64_t> Integer(std::string_view name, uint64_t fallback, uint64_t min,
                                  uint64_t max);
  void Fail(std::string field, std::string reason);
  Status Finish() const;

 private:
  std::map<std::string, std::string, std::less<>> params_;
  std::vector<ErrorDetail> problems_;
};

}  // namespace svault::api

#endif  // SVAULT_API_REQUEST_PARSING_H_
