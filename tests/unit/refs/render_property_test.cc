// Property tests for RenderDocument (DESIGN.md §3): random values full of what escaping gets
// wrong are rendered in every context and read back with parsers that share no code with
// src/refs: pugixml, Boost.JSON, and small FEEL, .env, percent-decoding and reference-grammar
// readers written here from the specifications. Seeds are fixed, so every run sees the same
// values; a failure prints the value with its bytes escaped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <pugixml.hpp>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "refs/document.h"

namespace svault::refs {
namespace {

using ::testing::IsEmpty;

constexpr std::string_view kRefMark = "@R@";    // where a template holds the reference
constexpr std::string_view kValueMark = "@V@";  // where an expected field holds the value
constexpr int kRandomValues = 300;              // per context
constexpr size_t kMaxReported = 5;              // failures printed per test

// ---- small helpers ----------------------------------------------------------------------

// `s` with every byte outside printable ASCII written as \xHH, for failure messages.
std::string Printable(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u >= 0x20 && u < 0x7F) {
      out += c;
    } else {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out + "\"";
}

std::vector<std::string> Split(std::string_view text, std::string_view mark) {
  std::vector<std::string> out;
  size_t start = 0;
  size_t at;
  while ((at = text.find(mark, start)) != std::string_view::npos) {
    out.emplace_back(text.substr(start, at - start));
    start = at + mark.size();
  }
  out.emplace_back(text.substr(start));
  return out;
}

// `text` with each `mark` replaced by `with` (which is never looked at again).
std::string Fill(std::string_view text, std::string_view mark, std::string_view with) {
  const std::vector<std::string> parts = Split(text, mark);
  std::string out = parts[0];
  for (size_t i = 1; i < parts.size(); ++i) out.append(with).append(parts[i]);
  return out;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// FNV-1a: a seed from a test's name that is the same on every platform.
uint32_t SeedFor(std::string_view name) {
  uint32_t h = 2166136261u;
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h;
}

// ---- Unicode and XML 1.0 character rules, written from the specifications ----------------

// The code points of `s`, or nullopt when it is not valid UTF-8 (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF).
std::optional<std::vector<uint32_t>> DecodeUtf8(std::string_view s) {
  std::vector<uint32_t> out;
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t n = 1;
    uint32_t cp = b;
    uint32_t min = 0;
    if (b < 0x80) {
      n = 1;
    } else if (b >= 0xC0 && b < 0xE0) {
      n = 2, cp = b & 0x1F, min = 0x80;
    } else if (b >= 0xE0 && b < 0xF0) {
      n = 3, cp = b & 0x0F, min = 0x800;
    } else if (b >= 0xF0 && b < 0xF8) {
      n = 4, cp = b & 0x07, min = 0x10000;
    } else {
      return std::nullopt;
    }
    if (i + n > s.size()) return std::nullopt;
    for (size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return std::nullopt;
    out.push_back(cp);
    i += n;
  }
  return out;
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// XML 1.0 §2.2 Char.
bool IsXmlChar(uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// Whether DESIGN.md §3 says `value` can be written in `context`.
bool Carriable(Context context, std::string_view value) {
  const std::optional<std::vector<uint32_t>> cps = DecodeUtf8(value);
  const bool xml_chars = cps && std::all_of(cps->begin(), cps->end(), IsXmlChar);
  switch (context) {
    case Context::kText:
    case Context::kUrl: return true;
    case Context::kEnvUnquoted:
    case Context::kEnvQuoted: return !Contains(value, std::string_view("\0", 1));
    case Context::kJsonString:
    case Context::kXmlJsonAttribute:
    case Context::kXmlFeelString:
    case Context::kXmlFeelCode: return cps.has_value();
    case Context::kXmlAttribute:
    case Context::kXmlText: return xml_chars;
    case Context::kXmlCdata: return xml_chars && !Contains(value, "\r");
  }
  return false;
}

// ---- readers ----------------------------------------------------------------------------

// What the fields of a rendered document read back as; `error` says why they could not be read.
using Extract = std::function<std::vector<std::string>(std::string_view doc, std::string& error)>;

// Whether `s` starts with one of the five predefined entities or a character reference to an
// XML Char (XML 1.0 §4.1, §4.6; a document without a DTD may use no other).
bool IsXmlReference(std::string_view s) {
  for (std::string_view entity : {"&lt;", "&gt;", "&amp;", "&quot;", "&apos;"}) {
    if (s.starts_with(entity)) return true;
  }
  if (!s.starts_with("&#")) return false;
  const bool hex = s.substr(2, 1) == "x";
  size_t i = hex ? 3 : 2;
  uint32_t cp = 0;
  const size_t first = i;
  for (; i < s.size() && i < first + 8 && s[i] != ';'; ++i) {
    const char c = s[i];
    const bool digit = c >= '0' && c <= '9';
    const bool letter = hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
    if (!digit && !letter) return false;
    cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(digit ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return i > first && i < s.size() && s[i] == ';' && IsXmlChar(cp);
}

// Well-formedness pugixml does not check: the document is UTF-8, holds only XML 1.0 characters,
// has no `]]>` in character data (XML 1.0 §2.4) and no `&` that does not start a reference.
// Empty when fine.
std::string XmlProblemPugixmlIgnores(std::string_view doc) {
  const std::optional<std::vector<uint32_t>> cps = DecodeUtf8(doc);
  if (!cps) return "the document is not valid UTF-8";
  for (uint32_t cp : *cps) {
    if (!IsXmlChar(cp)) return "the document holds U+" + std::to_string(cp) + ", not an XML Char";
  }
  size_t i = 0;
  while (i < doc.size()) {
    if (doc[i] == '&' && !IsXmlReference(doc.substr(i))) return "a bare '&'";
    if (doc[i] != '<') {
      const size_t next = std::min(doc.find_first_of("<&", i + 1), doc.size());
      if (Contains(doc.substr(i, next - i), "]]>")) return "']]>' in character data";
      i = next;
      continue;
    }
    const std::string_view rest = doc.substr(i);
    std::string_view close = ">";
    if (rest.starts_with("<![CDATA[")) close = "]]>";
    if (rest.starts_with("<!--")) close = "-->";
    if (rest.starts_with("<?")) close = "?>";
    if (close != ">") {
      const size_t end = doc.find(close, i + 2);
      if (end == std::string_view::npos) return "unterminated markup";
      i = end + close.size();
      continue;
    }
    char quote = 0;  // a tag: '>' inside an attribute value does not end it
    for (++i; i < doc.size(); ++i) {
      const char c = doc[i];
      if (quote != 0) {
        if (c == quote) quote = 0;
        if (c == '&' && !IsXmlReference(doc.substr(i))) return "a bare '&' in an attribute";
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '>') {
        break;
      }
    }
    ++i;
  }
  return "";
}

// Parses rendered XML with pugixml. Flags: parse_default keeps the XML 1.0 rules (raw CR LF
// and CR become LF; raw TAB, CR and LF in attribute values become spaces, while &#9; &#10; &#13;
// stay those characters); parse_ws_pcdata keeps a text node that is all whitespace.
bool LoadXml(std::string_view out, pugi::xml_document& xml, std::string& error) {
  error = XmlProblemPugixmlIgnores(out);
  if (!error.empty()) return false;
  const pugi::xml_parse_result parsed = xml.load_buffer(
      out.data(), out.size(), pugi::parse_default | pugi::parse_ws_pcdata, pugi::encoding_utf8);
  if (!parsed) {
    error = std::string("pugixml: ") + parsed.description() + " at byte " +
            std::to_string(parsed.offset);
    return false;
  }
  return true;
}

pugi::xml_node Element(const pugi::xml_document& xml, const std::string& name) {
  return xml.find_node(
      [&](pugi::xml_node n) { return n.type() == pugi::node_element && name == n.name(); });
}

// Text and CDATA children of `element`, concatenated.
std::string Content(pugi::xml_node element) {
  std::string out;
  for (pugi::xml_node child : element.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      out += child.value();
    }
  }
  return out;
}

std::optional<std::string> Attribute(const pugi::xml_document& xml, const std::string& element,
                                     const std::string& name, std::string& error) {
  const pugi::xml_attribute a = Element(xml, element).attribute(name.c_str());
  if (!a) {
    error = "no attribute " + element + "/@" + name;
    return std::nullopt;
  }
  return std::string(a.value());
}

// The strings at `pointers` in JSON `text`, read by Boost.JSON.
std::vector<std::string> JsonStrings(std::string_view text,
                                     const std::vector<std::string>& pointers, std::string& error) {
  boost::system::error_code ec;
  const boost::json::value json = boost::json::parse(text, ec);
  if (ec) {
    error = "Boost.JSON: " + ec.message() + " in " + Printable(text);
    return {};
  }
  std::vector<std::string> out;
  for (const std::string& pointer : pointers) {
    const boost::json::value* at = json.find_pointer(pointer, ec);
    if (at == nullptr || !at->is_string()) {
      error = "no string at " + pointer;
      return {};
    }
    out.emplace_back(at->get_string());
  }
  return out;
}

std::optional<uint32_t> Hex4(std::string_view s, size_t at) {
  if (at + 4 > s.size()) return std::nullopt;
  uint32_t v = 0;
  for (char c : s.substr(at, 4)) {
    const int d = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
    if (d < 0) return std::nullopt;
    v = v * 16 + static_cast<uint32_t>(d);
  }
  return v;
}

// Reads the FEEL string literal at s[i] == '"' (DMN 1.3 grammar rules 35, 64-66: escapes
// \" \\ \' \n \r \t \uXXXX, a surrogate pair as two \u escapes) and moves `i` past its closing
// quote. nullopt for anything else: an unknown escape, a lone surrogate, no closing quote.
std::optional<std::string> ReadFeelLiteral(std::string_view s, size_t& i) {
  if (i >= s.size() || s[i] != '"') return std::nullopt;
  std::string out;
  ++i;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"') {
      ++i;
      return out;
    }
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) return std::nullopt;
    const char e = s[i + 1];
    i += 2;
    switch (e) {
      case '"':
      case '\\':
      case '\'': out += e; continue;
      case 'n': out += '\n'; continue;
      case 'r': out += '\r'; continue;
      case 't': out += '\t'; continue;
      case 'u': break;
      default: return std::nullopt;
    }
    std::optional<uint32_t> cp = Hex4(s, i);
    if (!cp) return std::nullopt;
    i += 4;
    if (*cp >= 0xDC00 && *cp < 0xE000) return std::nullopt;
    if (*cp >= 0xD800 && *cp < 0xDC00) {
      const std::optional<uint32_t> low = s.substr(i, 2) == "\\u" ? Hex4(s, i + 2) : std::nullopt;
      if (!low || *low < 0xDC00 || *low >= 0xE000) return std::nullopt;
      cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
      i += 6;
    }
    AppendUtf8(*cp, out);
  }
  return std::nullopt;
}

// A FEEL expression as code and string literals: "C:<code>" and "L:<literal's value>".
std::vector<std::string> FeelTokens(std::string_view e, std::string& error) {
  std::vector<std::string> out;
  std::string code;
  size_t i = 0;
  while (i < e.size()) {
    if (e[i] != '"') {
      code += e[i++];
      continue;
    }
    if (!code.empty()) out.push_back("C:" + std::exchange(code, ""));
    const size_t at = i;
    const std::optional<std::string> literal = ReadFeelLiteral(e, i);
    if (!literal) {
      error = "no FEEL string literal at " + std::to_string(at) + " of " + Printable(e);
      return {};
    }
    out.push_back("L:" + *literal);
  }
  if (!code.empty()) out.push_back("C:" + code);
  return out;
}

// The value of `name` in a .env document, which must be double-quoted (escapes \\ \" \$ \` \n,
// DESIGN.md §3; an unescaped `$` or backquote is refused, as a shell would expand it),
// optionally followed by blanks and a comment.
std::optional<std::string> EnvValue(std::string_view doc, std::string_view name,
                                    std::string& error) {
  for (std::string_view line : Split(doc, "\n")) {
    size_t i = line.find_first_not_of(" \t");
    if (i == std::string_view::npos || line[i] == '#') continue;
    if (line.substr(i).starts_with("export ")) i = line.find_first_not_of(" \t", i + 7);
    const size_t eq = line.find('=', i);
    if (eq == std::string_view::npos) continue;
    std::string_view n = line.substr(i, eq - i);
    while (!n.empty() && (n.back() == ' ' || n.back() == '\t')) n.remove_suffix(1);
    if (n != name) continue;
    i = line.find_first_not_of(" \t", eq + 1);
    if (i == std::string_view::npos || line[i] != '"') {
      error = "the value of " + std::string(name) + " is not double-quoted";
      return std::nullopt;
    }
    std::string out;
    for (++i; i < line.size() && line[i] != '"'; ++i) {
      if (line[i] == '$' || line[i] == '`') {
        error = "a shell would expand the value of " + std::string(name);
        return std::nullopt;
      }
      if (line[i] != '\\') {
        out += line[i];
        continue;
      }
      const char e = i + 1 < line.size() ? line[++i] : '\0';
      if (e == 'n') {
        out += '\n';
      } else if (e == '\\' || e == '"' || e == '$' || e == '`') {
        out += e;
      } else {
        error = "unknown escape in the value of " + std::string(name);
        return std::nullopt;
      }
    }
    if (i >= line.size()) {
      error = "unterminated value of " + std::string(name);
      return std::nullopt;
    }
    const size_t rest = line.find_first_not_of(" \t", i + 1);
    if (rest != std::string_view::npos && line[rest] != '#') {
      error = "text after the value of " + std::string(name);
      return std::nullopt;
    }
    return out;
  }
  error = "no variable " + std::string(name);
  return std::nullopt;
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsUnreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// RFC 3986 percent-decoding; nullopt when a '%' is not followed by two hex digits.
std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !IsHexDigit(s[i + 1]) || !IsHexDigit(s[i + 2])) return std::nullopt;
    const std::optional<uint32_t> hex = Hex4("00" + std::string(s.substr(i + 1, 2)), 0);
    out += static_cast<char>(*hex);
    i += 2;
  }
  return out;
}

// ---- extractors: one per way a context is read back ------------------------------------

Extract XmlAttributes(std::vector<std::pair<std::string, std::string>> attributes) {
  return [attributes](std::string_view doc, std::string& error) -> std::vector<std::string> {
    pugi::xml_document xml;
    if (!LoadXml(doc, xml, error)) return {};
    std::vector<std::string> out;
    for (const auto& [element, name] : attributes) {
      std::optional<std::string> value = Attribute(xml, element, name, error);
      if (!value) return {};
      out.push_back(std::move(*value));
    }
    return out;
  };
}

Extract XmlContents(std::vector<std::string> elements) {
  return [elements](std::string_view doc, std::string& error) -> std::vector<std::string> {
    pugi::xml_document xml;
    if (!LoadXml(doc, xml, error)) return {};
    std::vector<std::string> out;
    for (const std::string& element : elements) out.push_back(Content(Element(xml, element)));
    return out;
  };
}

Extract XmlJsonAttribute(std::string element, std::string name, std::vector<std::string> pointers) {
  return [=](std::string_view doc, std::string& error) -> std::vector<std::string> {
    pugi::xml_document xml;
    if (!LoadXml(doc, xml, error)) return {};
    const std::optional<std::string> json = Attribute(xml, element, name, error);
    if (!json) return {};
    return JsonStrings(*json, pointers, error);
  };
}

Extract XmlFeel(std::string element, std::string name) {
  return [=](std::string_view doc, std::string& error) -> std::vector<std::string> {
    pugi::xml_document xml;
    if (!LoadXml(doc, xml, error)) return {};
    const std::optional<std::string> feel = Attribute(xml, element, name, error);
    if (!feel) return {};
    return FeelTokens(*feel, error);
  };
}

Extract Json(std::vector<std::string> pointers) {
  return [pointers](std::string_view doc, std::string& error) {
    return JsonStrings(doc, pointers, error);
  };
}

Extract Env(std::vector<std::string> names) {
  return [names](std::string_view doc, std::string& error) -> std::vector<std::string> {
    std::vector<std::string> out;
    for (const std::string& name : names) {
      std::optional<std::string> value = EnvValue(doc, name, error);
      if (!value) return {};
      out.push_back(std::move(*value));
    }
    return out;
  };
}

Extract PercentDecoded() {
  return [](std::string_view doc, std::string& error) -> std::vector<std::string> {
    std::optional<std::string> decoded = PercentDecode(doc);
    if (!decoded) {
      error = "bad percent-encoding";
      return {};
    }
    return {std::move(*decoded)};
  };
}

Extract Bytes() {
  return [](std::string_view doc, std::string&) {
    return std::vector<std::string>{{doc.data(), doc.size()}};
  };
}

// ---- the contexts -----------------------------------------------------------------------

struct Case {
  std::string name;
  Format format;
  Dialect dialect;
  Context context;                  // every reference of the document stands in this context
  std::string ref;                  // how each reference is spelled
  std::string doc;                  // the template: kRefMark where a reference stands
  std::vector<std::string> fields;  // what `read` must give: kValueMark where the value goes
  Extract read;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

Case C(std::string name, Format format, Dialect dialect, Context context, std::string ref,
       std::string doc, std::vector<std::string> fields, Extract read) {
  return Case{std::move(name), format,         dialect,           context,
              std::move(ref),  std::move(doc), std::move(fields), std::move(read)};
}

std::vector<Case> Cases() {
  const Format xml = Format::kXml;
  const Dialect standard = Dialect::kStandard;
  const Dialect camunda = Dialect::kCamunda;
  const std::string ref = "{{secrets.K}}";
  return {
      C("XmlAttributeDoubleQuote", xml, standard, Context::kXmlAttribute, ref,
        R"(<r><e a="pre @R@ post" b="@R@"/></r>)", {"pre @V@ post", "@V@"},
        XmlAttributes({{"e", "a"}, {"e", "b"}})),
      C("XmlAttributeSingleQuote", xml, standard, Context::kXmlAttribute, "{{ secrets.K }}",
        R"(<r><e a='@R@' b='x&amp;@R@&apos;"'/></r>)", {"@V@", "x&@V@'\""},
        XmlAttributes({{"e", "a"}, {"e", "b"}})),
      C("XmlAttributeReferenceSpelledWithEntities", xml, standard, Context::kXmlAttribute,
        "&#x7B;&#123;secrets.K&#125;}", R"x(<r><e a="(@R@)"/></r>)x", {"(@V@)"},
        XmlAttributes({{"e", "a"}})),
      C("XmlText", xml, standard, Context::kXmlText, ref, "<r><t>pre @R@ &lt;post&gt;\n@R@</t></r>",
        {"pre @V@ <post>\n@V@"}, XmlContents({"t"})),
      C("XmlTextReferenceSpelledWithEntities", xml, standard, Context::kXmlText,
        "{{secrets.&#x4B;&#125;}", "<r><t>@R@</t></r>", {"@V@"}, XmlContents({"t"})),
      // A `>` after the reference: a value that ends in `]]` must not make `]]>`.
      C("XmlTextBeforeGreaterThan", xml, standard, Context::kXmlText, ref, "<r><t>a]@R@>b</t></r>",
        {"a]@V@>b"}, XmlContents({"t"})),
      C("XmlCdata", xml, standard, Context::kXmlCdata, ref,
        "<r><c><![CDATA[pre @R@ post]]>x<![CDATA[@R@]]></c></r>", {"pre @V@ postx@V@"},
        XmlContents({"c"})),
      // `]]` before the reference: a value that starts with `>` must not end the section.
      C("XmlCdataAfterBrackets", xml, standard, Context::kXmlCdata, ref,
        "<r><c><![CDATA[a]]@R@b]]></c></r>", {"a]]@V@b"}, XmlContents({"c"})),
      // `>` after the reference: a value that ends in `]]` must not end the section.
      C("XmlCdataBeforeGreaterThan", xml, standard, Context::kXmlCdata, ref,
        "<r><c><![CDATA[a@R@>b]]></c></r>", {"a@V@>b"}, XmlContents({"c"})),
      C("XmlJsonAttributeSingleQuote", xml, standard, Context::kXmlJsonAttribute, ref,
        R"(<r><e cfg='{"k": "x@R@y", "n": [1, "@R@"]}'/></r>)", {"x@V@y", "@V@"},
        XmlJsonAttribute("e", "cfg", {"/k", "/n/1"})),
      C("XmlJsonAttributeDoubleQuote", xml, standard, Context::kXmlJsonAttribute, ref,
        R"(<r><e pm:config="{&quot;k&quot;: &quot;@R@&quot;, )"
        R"(&quot;l&quot;: [&quot;@R@!&quot;]}"/></r>)",
        {"@V@", "@V@!"}, XmlJsonAttribute("e", "pm:config", {"/k", "/l/0"})),
      C("XmlJsonArrayAttribute", xml, standard, Context::kXmlJsonAttribute, ref,
        R"(<r><e cfg=' ["@R@"]'/></r>)", {"@V@"}, XmlJsonAttribute("e", "cfg", {"/0"})),
      C("XmlJsonAttributeReferenceSpelledWithEscapes", xml, standard, Context::kXmlJsonAttribute,
        R"(\u007B&#123;secrets.&#x4B;}})", R"(<r><e cfg='{"k": "@R@"}'/></r>)", {"@V@"},
        XmlJsonAttribute("e", "cfg", {"/k"})),
      C("XmlFeelStringDoubleQuote", xml, standard, Context::kXmlFeelString, ref,
        R"(<r><e source="=&quot;Bearer @R@&quot;"/></r>)", {"C:=", "L:Bearer @V@"},
        XmlFeel("e", "source")),
      C("XmlFeelStringSingleQuote", xml, standard, Context::kXmlFeelString, ref,
        R"(<r><e source='="a" + "@R@ b"'/></r>)", {"C:=", "L:a", "C: + ", "L:@V@ b"},
        XmlFeel("e", "source")),
      C("XmlFeelStringReferenceSpelledWithEscapes", xml, standard, Context::kXmlFeelString,
        R"(\u007b&#x7B;secrets.K}\u007D)", R"(<r><e source='="@R@"'/></r>)", {"C:=", "L:@V@"},
        XmlFeel("e", "source")),
      C("XmlFeelCode", xml, standard, Context::kXmlFeelCode, ref, R"(<r><e source="=@R@"/></r>)",
        {"C:=", "L:@V@"}, XmlFeel("e", "source")),
      C("XmlFeelCodeSingleQuote", xml, standard, Context::kXmlFeelCode, ref,
        R"(<r><e source='=upper case(@R@) + "x"'/></r>)",
        {"C:=upper case(", "L:@V@", "C:) + ", "L:x"}, XmlFeel("e", "source")),
      C("CamundaFeelCode", xml, camunda, Context::kXmlFeelCode, "secrets.K",
        R"(<r><e source="=&quot;x&quot; + @R@"/></r>)", {"C:=", "L:x", "C: + ", "L:@V@"},
        XmlFeel("e", "source")),
      C("CamundaFeelCodeSingleQuote", xml, camunda, Context::kXmlFeelCode, "secrets.K",
        R"(<r><e source='=@R@ + "x"'/></r>)", {"C:=", "L:@V@", "C: + ", "L:x"},
        XmlFeel("e", "source")),
      C("CamundaAttribute", xml, camunda, Context::kXmlAttribute, "secrets.K",
        R"(<r><e source="@R@" other="x @R@"/></r>)", {"@V@", "x @V@"},
        XmlAttributes({{"e", "source"}, {"e", "other"}})),
      C("CamundaAttributeSingleQuote", xml, camunda, Context::kXmlAttribute, "secrets.K",
        R"(<r><e source='@R@'/></r>)", {"@V@"}, XmlAttributes({{"e", "source"}})),
      C("JsonString", Format::kJson, standard, Context::kJsonString, ref,
        R"({"a": "x@R@y", "b": ["@R@", {"c": "@R@\u0041"}]})", {"x@V@y", "@V@", "@V@A"},
        Json({"/a", "/b/0", "/b/1/c"})),
      C("JsonStringReferenceSpelledWithEscapes", Format::kJson, standard, Context::kJsonString,
        R"(\u007b{secrets.K\u007d\u007D)", R"({"a": "@R@"})", {"@V@"}, Json({"/a"})),
      C("Url", Format::kUrl, standard, Context::kUrl, ref, "https://h.example/p/@R@?q=@R@&x=1#f",
        {"https://h.example/p/@V@?q=@V@&x=1#f"}, PercentDecoded()),
      C("EnvUnquoted", Format::kEnv, standard, Context::kEnvUnquoted, ref,
        "# comment\nA=@R@\nexport B = @R@   # note\nC='lit'\n", {"@V@", "@V@"}, Env({"A", "B"})),
      C("EnvDoubleQuoted", Format::kEnv, standard, Context::kEnvQuoted, ref,
        "A=\"x@R@y\"\nB = \"@R@\" # note\n", {"x@V@y", "@V@"}, Env({"A", "B"})),
      C("Text", Format::kText, standard, Context::kText, ref, "pre @R@ mid\n@R@",
        {"pre @V@ mid\n@V@"}, Bytes()),
  };
}

// ---- random values ----------------------------------------------------------------------

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<std::vector<std::string>> AtomGroups() {
  // ASCII that escaping and reference scanning care about
  const std::vector<std::string> chars = {"a", "Z", "7", "\"", " ", "'",  "<",   ">", "&",
                                          "]", "[", "$", "`",  "%", "#",  "=",   "+", "/",
                                          "?", "~", "-", ".",  "_", "\\", "\x7F"};
  const std::vector<std::string> sequences = {"]]>",  "]]",    "\\\\",  "{{",      "}}",
                                              "\\{{", "&amp;", "&#10;", "\\u0041", "\\n"};
  // references must stay as they are in a value: no recursion
  const std::vector<std::string> references = {"secrets.Z", "{{secrets.X}}", "{{ secrets.Y@2 }}"};
  // whitespace XML allows
  const std::vector<std::string> whitespace = {"\t", "\n", "\r", "\r\n"};
  // control characters XML 1.0 forbids
  const std::vector<std::string> controls = {
      std::string(1, '\0'), "\x01", "\x08", "\x0B", "\x0C", "\x1B", "\x1F"};
  // valid UTF-8 of 2, 3 and 4 bytes: U+00E9, U+0085, U+20AC, U+2028, U+FFFD, U+1F600,
  // U+10FFFF, U+1FFFE
  const std::vector<std::string> unicode = {
      "\xC3\xA9",     "\xC2\x85",         "\xE2\x82\xAC",     "\xE2\x80\xA8",
      "\xEF\xBF\xBD", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF", "\xF0\x9F\xBF\xBE"};
  // U+FFFE, U+FFFF: valid UTF-8 that XML forbids
  const std::vector<std::string> noncharacters = {"\xEF\xBF\xBE", "\xEF\xBF\xBF"};
  // invalid UTF-8: stray bytes, cut sequences, overlong forms, surrogates, over U+10FFFF
  const std::vector<std::string> stray = {"\xFF", "\xFE", "\x80", "\xBF", "\xC3"};
  const std::vector<std::string> broken = {
      "\xE2\x82",     "\xF0\x9F\x98", "\xC0\xAF",         "\xE0\x80\xAF",
      "\xED\xA0\x80", "\xED\xBF\xBF", "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80"};
  return {Concat(Concat(chars, sequences), references),
          whitespace,
          controls,
          unicode,
          noncharacters,
          Concat(stray, broken)};
}

// Every atom alone, then `count` random strings of atoms (weighted towards the escaping set).
std::vector<std::string> Values(uint32_t seed, int count) {
  const std::vector<std::vector<std::string>> groups = AtomGroups();
  std::vector<std::string> out = {""};
  for (const auto& group : groups) out.insert(out.end(), group.begin(), group.end());
  std::mt19937 rng(seed);
  static constexpr uint32_t kWeights[] = {60, 12, 6, 12, 3, 7};  // per group, of 100
  for (int v = 0; v < count; ++v) {
    const uint32_t atoms = v % 10 == 9 ? 20 + rng() % 21 : rng() % 9 + 1;
    std::string value;
    for (uint32_t a = 0; a < atoms; ++a) {
      uint32_t pick = rng() % 100;
      size_t g = 0;
      while (pick >= kWeights[g]) pick -= kWeights[g++];
      value += groups[g][rng() % groups[g].size()];
    }
    out.push_back(std::move(value));
  }
  return out;
}

// ---- the property -----------------------------------------------------------------------

// Checks that an inserted piece has the shape its context promises.
std::string CheckInserted(Context context, std::string_view inserted, std::string_view value) {
  switch (context) {
    case Context::kText: return inserted == value ? "" : "text is not inserted as it is";
    case Context::kUrl:
      for (size_t i = 0; i < inserted.size(); ++i) {
        if (IsUnreserved(inserted[i])) continue;
        if (inserted[i] == '%' && i + 2 < inserted.size() && IsHexDigit(inserted[i + 1]) &&
            IsHexDigit(inserted[i + 2])) {
          i += 2;
          continue;
        }
        return "URL insertion holds " + Printable(inserted.substr(i, 1));
      }
      return "";
    case Context::kEnvUnquoted:
      return inserted.size() >= 2 && inserted.front() == '"' && inserted.back() == '"'
                 ? ""
                 : "an unquoted .env value is not made a double-quoted one";
    default: return "";
  }
}

// Renders `value` at every reference of `scan` and checks the result. Empty when it holds.
std::string CheckValue(const Case& c, std::string_view doc, const Scan& scan,
                       const std::vector<std::string>& literals, std::string_view value,
                       bool& rendered) {
  const SecretBytes secret(value);
  const std::vector<const SecretBytes*> values(scan.references.size(), &secret);
  Result<std::string> out = RenderDocument(doc, scan, values);
  rendered = out.ok();

  if (!Carriable(c.context, value)) {
    if (out.ok()) return "a value its context cannot carry was rendered: " + Printable(*out);
    const Status& status = out.status();
    if (status.code() != Code::kUnresolved) return "not kUnresolved: " + status.ToString();
    if (status.details().size() != scan.references.size()) {
      return "expected one detail per reference: " + status.ToString();
    }
    if (Contains(status.ToString(), value) || Contains(status.message(), value)) {
      return "the error shows the value";
    }
    for (const ErrorDetail& d : status.details()) {
      if (d.reason != "unencodable" || !d.reference || d.reference->key != "K" ||
          !d.reference->line || !d.reference->column) {
        return "detail is not {unencodable, K, location}: " + d.reason;
      }
      if (Contains(d.field, value) || Contains(d.reference->element.value_or(""), value) ||
          Contains(d.reference->pointer.value_or(""), value)) {
        return "a detail shows the value";
      }
    }
    return "";
  }
  if (!out.ok()) return "render failed: " + out.status().ToString();

  // Outside the references, the output is the template byte for byte.
  const std::string& o = *out;
  size_t fixed = 0;
  for (const std::string& l : literals) fixed += l.size();
  const size_t n = literals.size() - 1;
  if (o.size() < fixed || (o.size() - fixed) % n != 0) {
    return "the bytes around the references changed: " + Printable(o);
  }
  const std::string inserted = o.substr(literals[0].size(), (o.size() - fixed) / n);
  std::string rebuilt = literals[0];
  for (size_t k = 1; k < literals.size(); ++k) rebuilt += inserted + literals[k];
  if (rebuilt != o) return "the bytes around the references changed: " + Printable(o);
  if (std::string e = CheckInserted(c.context, inserted, value); !e.empty()) {
    return e + " in " + Printable(o);
  }

  std::string error;
  const std::vector<std::string> got = c.read(o, error);
  if (!error.empty()) return error + " in " + Printable(o);
  std::vector<std::string> want;
  for (const std::string& f : c.fields) want.push_back(Fill(f, kValueMark, value));
  if (got != want) {
    std::string msg = "read back";
    for (const std::string& g : got) msg += " " + Printable(g);
    msg += ", want";
    for (const std::string& w : want) msg += " " + Printable(w);
    return msg + " from " + Printable(o);
  }
  return "";
}

class RenderPropertyTest : public ::testing::TestWithParam<Case> {};

TEST_P(RenderPropertyTest, ValueReadsBackExactly) {
  const Case& c = GetParam();
  const std::string doc = Fill(c.doc, kRefMark, c.ref);
  const std::vector<std::string> literals = Split(c.doc, kRefMark);
  Result<Scan> scan = ScanDocument(doc, c.format, c.dialect);
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  ASSERT_THAT(scan->problems, IsEmpty());
  ASSERT_EQ(scan->references.size(), literals.size() - 1) << doc;
  for (const Reference& r : scan->references) {
    EXPECT_EQ(r.key, "K");
    EXPECT_EQ(static_cast<int>(r.context), static_cast<int>(c.context)) << "a reference in " << doc;
  }

  int rendered = 0;
  int refused = 0;
  std::vector<std::string> failures;
  for (const std::string& value : Values(SeedFor(c.name), kRandomValues)) {
    bool ok = false;
    const std::string failure = CheckValue(c, doc, *scan, literals, value, ok);
    (ok ? rendered : refused)++;
    if (!failure.empty() && failures.size() < kMaxReported) {
      failures.push_back("value " + Printable(value) + ": " + failure);
    }
  }
  for (const std::string& f : failures) ADD_FAILURE() << f;
  // The property must not hold vacuously: both outcomes happen where both can.
  EXPECT_GE(rendered, 100);
  const bool can_refuse = c.context != Context::kText && c.context != Context::kUrl;
  EXPECT_EQ(refused > 0, can_refuse) << refused << " values refused";
}

INSTANTIATE_TEST_SUITE_P(Contexts, RenderPropertyTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

// ---- the readers themselves --------------------------------------------------------------

TEST(RenderPropertyReadersTest, PugixmlKeepsCharacterReferencesAndNormalisesRawWhitespace) {
  pugi::xml_document xml;
  std::string error;
  ASSERT_TRUE(
      LoadXml("<r a=\"&#9;&#10;&#13;\t\n\r\n.\"><t>&#13;\r\n\r\t</t><c>  </c></r>", xml, error))
      << error;
  // CR LF is one line end, so one space.
  EXPECT_EQ(std::string(Element(xml, "r").attribute("a").value()), "\t\n\r   .");
  EXPECT_EQ(Content(Element(xml, "t")), "\r\n\n\t");
  EXPECT_EQ(Content(Element(xml, "c")), "  ");
  EXPECT_FALSE(LoadXml("<r>]]></r>", xml, error));
  EXPECT_FALSE(LoadXml("<r>\x01</r>", xml, error));
  EXPECT_FALSE(LoadXml("<r>\xEF\xBF\xBE</r>", xml, error));
  EXPECT_FALSE(LoadXml("<r>&</r>", xml, error));
  EXPECT_FALSE(LoadXml("<r a='&#0;'/>", xml, error));
  EXPECT_FALSE(LoadXml("<r a='&nbsp;'/>", xml, error));
  EXPECT_TRUE(LoadXml("<r a=']]>&#x10FFFF;'><![CDATA[&]]]]><![CDATA[>]]>&#9;</r>", xml, error))
      << error;
}

TEST(RenderPropertyReadersTest, FeelLiterals) {
  std::string error;
  EXPECT_EQ(FeelTokens(R"(="a\"\\\'\n\r\t\u0041\uD83D\uDE00" + x)", error),
            (std::vector<std::string>{"C:=", "L:a\"\\'\n\r\tA\xF0\x9F\x98\x80", "C: + x"}));
  EXPECT_EQ(error, "");
  for (std::string_view bad : {R"("\x")", R"("\uD83D")", R"("\uDE00")", R"("abc)", R"("\u12")"}) {
    error.clear();
    FeelTokens(bad, error);
    EXPECT_NE(error, "") << bad;
  }
}

TEST(RenderPropertyReadersTest, EnvValues) {
  std::string error;
  EXPECT_EQ(EnvValue("# x\nexport A = \"a\\\\\\\"\\$\\`\\n\r\" # c\n", "A", error), "a\\\"$`\n\r");
  EXPECT_EQ(EnvValue("A=x\n", "A", error), std::nullopt);
  EXPECT_EQ(EnvValue("A=\"\\t\"\n", "A", error), std::nullopt);
  EXPECT_EQ(EnvValue("A=\"$HOME\"\n", "A", error), std::nullopt);
}

// ---- escapes and references in text documents --------------------------------------------

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsSeparator(char c) { return c == '/' || c == '.' || c == '_' || c == '-'; }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// DESIGN.md §2: segments of [A-Za-z0-9]+ joined by single separators, at most 256 bytes.
bool IsKey(std::string_view key) {
  if (key.empty() || key.size() > 256) return false;
  bool after_separator = true;
  for (char c : key) {
    if (IsAlnum(c)) {
      after_separator = false;
    } else if (!IsSeparator(c) || after_separator) {
      return false;
    } else {
      after_separator = true;
    }
  }
  return !after_separator;
}

struct ModelReference {
  std::string key;
  std::optional<uint64_t> version;
  bool operator==(const ModelReference&) const = default;
};

struct Model {
  bool malformed = false;
  std::string out;
  std::vector<ModelReference> references;
};

std::string ValueOf(std::string_view key) {
  return "<" + std::string(key) + ">{{secrets.B}}\\{{\\";  // no recursion: stays as it is
}

// Renders a text document by DESIGN.md §3, written independently of src/refs: n backslashes
// before `{{` become n/2, and an odd n makes that `{{` literal; `{{ secrets.KEY@N }}` is a
// reference; `{{`, blanks and `secrets.` followed by anything else is malformed; any other `{{`
// is text.
Model RenderModel(std::string_view t) {
  Model m;
  size_t i = 0;
  while (i < t.size()) {
    if (t[i] == '\\') {
      size_t j = i;
      while (j < t.size() && t[j] == '\\') ++j;
      if (t.substr(j, 2) != "{{") {
        m.out.append(t.substr(i, j - i));
      } else {
        m.out.append((j - i) / 2, '\\');
        if ((j - i) % 2 == 1) {
          m.out += "{{";
          j += 2;
        }
      }
      i = j;
      continue;
    }
    if (t.substr(i, 2) == "{{") {
      size_t k = i + 2;
      while (k < t.size() && IsBlank(t[k])) ++k;
      if (t.substr(k, 8) == "secrets.") {
        k += 8;
        const size_t key_begin = k;
        while (k < t.size() && (IsAlnum(t[k]) || IsSeparator(t[k]))) ++k;
        ModelReference ref{std::string(t.substr(key_begin, k - key_begin)), std::nullopt};
        bool ok = IsKey(ref.key);
        if (k < t.size() && t[k] == '@') {
          const size_t digits = ++k;
          while (k < t.size() && t[k] >= '0' && t[k] <= '9') ++k;
          const std::string_view n = t.substr(digits, k - digits);
          if (n.empty() || n.size() > 12 || n[0] == '0') {
            ok = false;
          } else {
            ref.version = std::stoull(std::string(n));
          }
        }
        while (k < t.size() && IsBlank(t[k])) ++k;
        if (!ok || t.substr(k, 2) != "}}") {
          m.malformed = true;
          return m;
        }
        m.out += ValueOf(ref.key);
        m.references.push_back(std::move(ref));
        i = k + 2;
        continue;
      }
    }
    m.out += t[i++];
  }
  return m;
}

TEST(RenderPropertyFragmentsTest, ModelAgreesWithTheDesignExamples) {
  EXPECT_EQ(RenderModel("a {{secrets.A}} \\{{secrets.A}} \\\\{{ secrets.A }} {{x}}").out,
            "a " + ValueOf("A") + " {{secrets.A}} \\" + ValueOf("A") + " {{x}}");
  EXPECT_TRUE(RenderModel("{{secrets.}}").malformed);
  EXPECT_TRUE(RenderModel("{{ secrets.A @2}}").malformed);
  EXPECT_TRUE(RenderModel("{{secrets.A@0}}").malformed);
  EXPECT_FALSE(RenderModel("\\{{secrets.}}").malformed);
  EXPECT_EQ(RenderModel("{{secrets.A@12}}").references, (std::vector<ModelReference>{{"A", 12}}));
}

TEST(RenderPropertyFragmentsTest, TextDocumentsRenderLikeTheModel) {
  const std::vector<std::string> references = {"{{secrets.A}}", "{{ secrets.B@2 }}",
                                               "{{\tsecrets.A_1/x\t}}", "{{secrets.A@12}}"};
  const std::vector<std::string> escapes = {"\\{{", "\\\\{{",          "\\\\\\{{",
                                            "\\",   "\\{{secrets.A}}", "\\\\{{secrets.B}}"};
  const std::vector<std::string> mustache = {"{{name}}", "{{ user.name }}", "{{", "}}", "{{{"};
  const std::vector<std::string> plain = {"{",  "}",  "secrets.A", "secrets.", "plain", " ", "\n",
                                          "\t", "@2", "\xC3\xA9",  "$",        "A",     "."};
  const std::vector<std::string> fragments =
      Concat(Concat(references, escapes), Concat(mustache, plain));
  std::mt19937 rng(SeedFor("fragments"));
  int rendered = 0;
  int malformed = 0;
  std::vector<std::string> failures;
  for (int d = 0; d < 1000; ++d) {
    std::string doc;
    for (uint32_t n = rng() % 13; n > 0; --n) doc += fragments[rng() % fragments.size()];
    const Model model = RenderModel(doc);
    Result<Scan> scan = ScanDocument(doc, Format::kText, Dialect::kStandard);
    ASSERT_TRUE(scan.ok()) << scan.status().ToString();
    std::string failure;
    if (model.malformed) {
      ++malformed;
      if (scan->problems.empty()) failure = "a malformed reference was not reported";
      for (const Problem& p : scan->problems) {
        if (p.reason != Reason::kMalformed) failure = "a problem that is not malformed";
      }
    } else if (!scan->problems.empty()) {
      failure = "problem reported: " + std::string(ReasonName(scan->problems[0].reason)) + " key " +
                Printable(scan->problems[0].key);
    } else {
      ++rendered;
      std::vector<ModelReference> found;
      std::vector<SecretBytes> owned;
      owned.reserve(scan->references.size());
      std::vector<const SecretBytes*> values;
      for (const Reference& r : scan->references) {
        found.push_back({r.key, r.version});
        owned.emplace_back(ValueOf(r.key));
        values.push_back(&owned.back());
      }
      Result<std::string> out = RenderDocument(doc, *scan, values);
      if (found != model.references) {
        failure = "references differ from the model's";
      } else if (!out.ok()) {
        failure = out.status().ToString();
      } else if (*out != model.out) {
        failure = "rendered " + Printable(*out) + ", want " + Printable(model.out);
      }
    }
    if (!failure.empty() && failures.size() < kMaxReported) {
      failures.push_back("document " + Printable(doc) + ": " + failure);
    }
  }
  for (const std::string& f : failures) ADD_FAILURE() << f;
  EXPECT_GE(rendered, 500);
  EXPECT_GE(malformed, 20);
}

}  // namespace
}  // namespace svault::refs
