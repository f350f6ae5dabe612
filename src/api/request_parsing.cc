#include "api/request_parsing.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <cctype>
#include <charconv>
#include <set>

#include "common/encoding.h"

namespace svault::api {
namespace json = boost::json;

namespace {

// A client's field or parameter name as echoed in a problem. Names this API uses are short
// identifiers; anything else may be a value, token or share pasted in the wrong place, so it is
// never echoed: only ASCII names (and JSON pointers) of at most 64 bytes without a run of 12 hex
// digits are shown.
std::string ShownName(std::string_view name) {
  constexpr size_t kMaxShownBytes = 64;
  constexpr size_t kMaxHexRun = 12;
  constexpr std::string_view kWithheld = "(unexpected name, not shown)";
  if (name.empty() || name.size() > kMaxShownBytes) return std::string(kWithheld);
  size_t hex_run = 0;
  for (char c : name) {
    const bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                      c == '.' || c == '/' || c == '~';
    if (!word) return std::string(kWithheld);
    hex_run = std::isxdigit(static_cast<unsigned char>(c)) ? hex_run + 1 : 0;
    if (hex_run >= kMaxHexRun) return std::string(kWithheld);
  }
  return std::string(name);
}

// A SAX handler that only looks for an object naming the same key twice, which json::parse
// would silently resolve to the last one (so a proxy reading the first would see another
// request). It tracks where it is, to name the repeated key by its JSON pointer.
class DuplicateKeyFinder {
 public:
  static constexpr size_t max_object_size = static_cast<size_t>(-1);
  static constexpr size_t max_array_size = static_cast<size_t>(-1);
  static constexpr size_t max_key_size = static_cast<size_t>(-1);
  static constexpr size_t max_string_size = static_cast<size_t>(-1);
  using ec_t = boost::system::error_code;
  using sv = json::string_view;

  std::optional<std::string> duplicate;  // JSON pointer of the first key seen twice

  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_object_begin(ec_t&) { return Open(false); }
  bool on_object_end(size_t, ec_t&) { return Close(); }
  bool on_array_begin(ec_t&) { return Open(true); }
  bool on_array_end(size_t, ec_t&) { return Close(); }
  bool on_key_part(sv part, size_t, ec_t&) {
    key_.append(part.data(), part.size());
    return true;
  }
  bool on_key(sv part, size_t, ec_t& ec) {
    key_.append(part.data(), part.size());
    Frame& frame = frames_.back();
    frame.segment = key_;
    key_.clear();
    if (frame.keys.insert(frame.segment).second) return true;
    duplicate = Pointer();
    ec = json::error::syntax;  // stop at the first one
    return false;
  }
  bool on_string_part(sv, size_t, ec_t&) { return true; }
  bool on_string(sv, size_t, ec_t&) { return Scalar(); }
  bool on_number_part(sv, ec_t&) { return true; }
  bool on_int64(int64_t, sv, ec_t&) { return Scalar(); }
  bool on_uint64(uint64_t, sv, ec_t&) { return Scalar(); }
  bool on_double(double, sv, ec_t&) { return Scalar(); }
  bool on_bool(bool, ec_t&) { return Scalar(); }
  bool on_null(ec_t&) { return Scalar(); }
  bool on_comment_part(sv, ec_t&) { return true; }
  bool on_comment(sv, ec_t&) { return true; }

 private:
  struct Frame {
    bool is_array = false;
    size_t next_index = 0;  // arrays: elements begun so far
    std::string segment;    // the current key, or the current element's index
    std::set<std::string> keys;
  };

  // A value begins: inside an array it is the next element.
  void Element() {
    if (frames_.empty() || !frames_.back().is_array) return;
    frames_.back().segment = std::to_string(frames_.back().next_index++);
  }
  bool Scalar() {
    Element();
    return true;
  }
  bool Open(bool is_array) {
    Element();
    frames_.push_back(Frame{is_array, 0, "", {}});
    return true;
  }
  bool Close() {
    frames_.pop_back();
    return true;
  }
  // RFC 6901: "~" becomes "~0" and "/" becomes "~1".
  std::string Pointer() const {
    std::string out;
    for (const Frame& frame : frames_) {
      out += '/';
      for (char c : frame.segment) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
    }
    return out;
  }

  std::vector<Frame> frames_;
  std::string key_;
};

// The JSON pointer of the first key that some object of `body` (valid JSON) names twice.
std::optional<std::string> FindDuplicateKey(std::string_view body) {
  json::basic_parser<DuplicateKeyFinder> parser{json::parse_options{}};
  boost::system::error_code ec;
  parser.write_some(false, body.data(), body.size(), ec);
  return parser.handler().duplicate;
}

}  // namespace

Result<json::object> ParseJsonObject(std::string_view body) {
  if (body.empty()) return BadRequest("request body is empty");
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec) return BadRequest("request body is not valid JSON");
  if (!value.is_object()) return Invalid("", "the body must be a JSON object");
  if (std::optional<std::string> pointer = FindDuplicateKey(body)) {
    return Invalid(ShownName(*pointer), "given more than once");
  }
  return std::move(value.as_object());
}

FieldReader::FieldReader(const json::object& object,
                         std::initializer_list<std::string_view> allowed)
    : object_(object) {
  for (const auto& [name, unused] : object) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      // Field names are echoed; they are the client's own structure, never a value.
      Fail("/" + ShownName(name), "unknown field");
    }
  }
}

const json::value* FieldReader::Find(std::string_view name, bool required) {
  const json::value* v = object_.if_contains(name);
  if (v == nullptr && required) Fail(fmt::format("/{}", name), "required");
  return v;
}

std::optional<std::string> FieldReader::String(std::string_view name, bool required,
                                               size_t max_bytes) {
  const json::value* v = Find(name, required);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    Fail(fmt::format("/{}", name), "must be a string");
    return std::nullopt;
  }
  if (v->as_string().size() > max_bytes) {
    Fail(fmt::format("/{}", name), fmt::format("at most {} bytes", max_bytes));
    return std::nullopt;
  }
  return std::string(v->as_string());
}

std::optional<uint64_t> FieldReader::Unsigned(std::string_view name, bool required) {
  const json::value* v = Find(name, required);
  if (v == nullptr) return std::nullopt;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64() && v->as_int64() >= 0) return static_cast<uint64_t>(v->as_int64());
  Fail(fmt::format("/{}", name), "must be a non-negative integer");
  return std::nullopt;
}

std::optional<bool> FieldReader::Bool(std::string_view name, bool required) {
  const json::value* v = Find(name, required);
  if (v == nullptr) return std::nullopt;
  if (v->is_bool()) return v->as_bool();
  Fail(fmt::format("/{}", name), "must be true or false");
  return std::nullopt;
}

std::optional<std::vector<std::string>> FieldReader::StringArray(std::string_view name,
                                                                 size_t max_items) {
  const json::value* v = Find(name, false);
  if (v == nullptr) return std::nullopt;
  if (!v->is_array() || v->as_array().size() > max_items) {
    Fail(fmt::format("/{}", name),
         fmt::format("must be an array of at most {} strings", max_items));
    return std::nullopt;
  }
  std::vector<std::string> out;
  const json::array& items = v->as_array();
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_string()) {
      Fail(fmt::format("/{}/{}", name, i), "must be a string");
      return std::nullopt;
    }
    out.emplace_back(items[i].as_string());
  }
  return out;
}

std::optional<std::map<std::string, std::string>> FieldReader::StringMap(std::string_view name,
                                                                         size_t max_items) {
  const json::value* v = Find(name, false);
  if (v == nullptr) return std::nullopt;
  if (!v->is_object() || v->as_object().size() > max_items) {
    Fail(fmt::format("/{}", name),
         fmt::format("must be an object of at most {} string values", max_items));
    return std::nullopt;
  }
  std::map<std::string, std::string> out;
  for (const auto& [k, item] : v->as_object()) {
    if (!item.is_string() || k.empty() || k.size() > 128 || item.as_string().size() > 1024) {
      Fail(fmt::format("/{}", name),
           "tags are non-empty names (≤ 128 bytes) with string values "
           "(≤ 1024 bytes)");
      return std::nullopt;
    }
    out[std::string(k)] = std::string(item.as_string());
  }
  return out;
}

void FieldReader::Fail(std::string field, std::string reason) {
  problems_.push_back({std::move(field), std::move(reason)});
}

Status FieldReader::Finish() const {
  if (problems_.empty()) return Status::Ok();
  return {Code::kValidationFailed, "request failed validation", problems_};
}

QueryReader::QueryReader(std::string_view query, std::initializer_list<std::string_view> allowed) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string name(pair.substr(0, eq));
    std::string value(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    const std::string field = "?" + ShownName(name);
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      Fail(field, "unknown query parameter");
    } else if (!params_.emplace(name, std::move(value)).second) {
      Fail(field, "given more than once");
    }
  }
}

std::optional<std::string> QueryReader::Get(std::string_view name) const {
  auto it = params_.find(name);
  if (it == params_.end()) return std::nullopt;
  return it->second;
}

std::optional<uint64_t> QueryReader::Integer(std::string_view name, uint64_t fallback, uint64_t min,
                                             uint64_t max) {
  std::optional<std::string> text = Get(name);
  if (!text) return fallback;
  uint64_t n = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, n);
  if (ec != std::errc() || ptr != end || text->empty() || n < min || n > max) {
    Fail(fmt::format("?{}", name), fmt::format("must be an integer from {} to {}", min, max));
    return std::nullopt;
  }
  return n;
}

void QueryReader::Fail(std::string field, std::string reason) {
  problems_.push_back({std::move(field), std::move(reason)});
}

Status QueryReader::Finish() const {
  if (problems_.empty()) return Status::Ok();
  return {Code::kValidationFailed, "request failed validation", problems_};
}

}  // namespace svault::api
