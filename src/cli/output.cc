#include "cli/output.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <map>

#include "common/encoding.h"

namespace svault::cli {
namespace {

namespace json = boost::json;

constexpr char kHex[] = "0123456789abcdef";
constexpr size_t kMinRedactBytes = 4;

void AppendByteEscape(std::string& out, unsigned char byte) {
  out += "\\x";
  out += kHex[byte >> 4];
  out += kHex[byte & 0xf];
}

// The length of the UTF-8 sequence that starts with `lead`, 0 for a byte that cannot lead one.
size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

bool IsControl(std::string_view sequence) {
  const auto lead = static_cast<unsigned char>(sequence[0]);
  if (sequence.size() == 1) return lead < 0x20 || lead == 0x7f;
  // C1 controls U+0080..U+009F are 0xc2 0x80..0x9f.
  return lead == 0xc2 && static_cast<unsigned char>(sequence[1]) < 0xa0;
}

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string StringOr(const json::object& object, std::string_view name, std::string fallback) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr || !value->is_string()) return fallback;
  return std::string(value->get_string());
}

std::string FormatDetail(const json::object& detail) {
  std::string where;
  if (detail.contains("field")) {
    where = FieldText(detail, "field");
  } else if (detail.contains("key")) {
    where = FieldText(detail, "key");
    if (const auto* v = detail.if_contains("version"); v && !v->is_null())
      where += "@" + ValueText(*v);
    if (const auto* l = detail.if_contains("line"); l && !l->is_null()) {
      where += " line " + ValueText(*l) + " column " + FieldText(detail, "column");
    }
    if (const auto* e = detail.if_contains("element"); e && !e->is_null()) {
      where += " in " + ValueText(*e);
    }
    if (const auto* p = detail.if_contains("pointer"); p && !p->is_null()) {
      where += " at " + ValueText(*p);
    }
  } else {
    where = "-";
  }
  return where + ": " + FieldText(detail, "reason");
}

}  // namespace

std::string Printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t length = SequenceLength(lead);
    const std::string_view sequence = text.substr(i, length == 0 ? 1 : length);
    if (length == 0 || sequence.size() < length || !IsValidUtf8(sequence) || IsControl(sequence)) {
      AppendByteEscape(out, lead);
      ++i;
      continue;
    }
    out += sequence;
    i += length;
  }
  return out;
}

size_t DisplayWidth(std::string_view text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; });
}

std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows) {
  // Make every cell printable first: escapes change widths.
  std::vector<std::vector<std::string>> cells{headers};
  for (const auto& row : rows) {
    std::vector<std::string> printable(headers.size());
    for (size_t i = 0; i < headers.size() && i < row.size(); ++i) printable[i] = Printable(row[i]);
    cells.push_back(std::move(printable));
  }

  std::vector<size_t> widths(headers.size(), 0);
  for (const auto& row : cells) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }

  std::string out;
  for (const auto& row : cells) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - DisplayWidth(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string ValueText(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null: return "-";
    case json::kind::string: return std::string(value.get_string());
    case json::kind::array: {
      std::string out;
      for (const auto& item : value.get_array()) out += (out.empty() ? "" : ",") + ValueText(item);
      return out;
    }
    case json::kind::object: {
      std::map<std::string, std::string> sorted;
      for (const auto& [k, v] : value.get_object()) sorted[std::string(k)] = ValueText(v);
      std::string out;
      for (const auto& [k, v] : sorted) out += (out.empty() ? "" : ",") + k + "=" + v;
      return out;
    }
    default: return json::serialize(value);
  }
}

std::string FieldText(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  return value == nullptr ? "-" : ValueText(*value);
}

std::string FormatItems(const json::array& items, const std::vector<std::string>& columns) {
  std::vector<std::string> headers;
  for (const auto& column : columns) headers.push_back(Upper(column));

  std::vector<std::vector<std::string>> rows;
  for (const auto& item : items) {
    std::vector<std::string> row;
    for (const auto& column : columns) {
      row.push_back(item.is_object() ? FieldText(item.get_object(), column) : "-");
    }
    rows.push_back(std::move(row));
  }
  return FormatTable(headers, rows);
}

std::string FormatFields(const json::object& object, const std::vector<std::string>& order) {
  std::vector<std::string> names;
  for (const auto& name : order) {
    if (object.contains(name)) names.push_back(name);
  }
  for (const auto& [name, value] : object) {
    if (std::find(order.begin(), order.end(), name) == order.end()) names.emplace_back(name);
  }

  size_t width = 0;
  for (const auto& name : names) width = std::max(width, DisplayWidth(Printable(name)));
  std::string out;
  for (const auto& name : names) {
    const std::string label = Printable(name);
    out += label + std::string(width - DisplayWidth(label) + 2, ' ');
    out += Printable(FieldText(object, name)) + "\n";
  }
  return out;
}

std::string Redact(std::string_view text, const std::vector<SecretBytes>& sensitive) {
  std::string out(text);
  for (const auto& secret : sensitive) {
    const std::string_view needle = secret.Reveal();
    if (needle.size() < kMinRedactBytes) continue;
    for (size_t at = out.find(needle); at != std::string::npos; at = out.find(needle, at)) {
      out.replace(at, needle.size(), "[redacted]");
    }
  }
  return out;
}

std::string FormatApiError(const Response& response, const std::vector<SecretBytes>& sensitive) {
  auto clean = [&](std::string_view text) { return Printable(Redact(text, sensitive)); };
  boost::system::error_code ec;
  const json::value body = json::parse(response.body, ec);
  const json::object* root = (!ec && body.is_object()) ? &body.get_object() : nullptr;
  const json::value* error = root ? root->if_contains("error") : nullptr;

  const std::string request_id =
      root ? StringOr(*root, "request_id", response.request_id) : response.request_id;
  const std::string suffix = request_id.empty() ? "" : " (request_id " + clean(request_id) + ")";
  if (error == nullptr || !error->is_object()) {
    return "error: the server answered HTTP " + std::to_string(response.status) +
           " without an API error body" + suffix + "\n";
  }

  const json::object& fields = error->get_object();
  std::string out = "error: " + clean(StringOr(fields, "code", "unknown")) + ": " +
                    clean(StringOr(fields, "message", "")) + suffix + "\n";
  if (const auto* details = fields.if_contains("details"); details && details->is_array()) {
    for (const auto& detail : details->get_array()) {
      if (detail.is_object()) out += "  " + clean(FormatDetail(detail.get_object())) + "\n";
    }
  }
  return out;
}

}  // namespace svault::cli
