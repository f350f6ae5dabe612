#include "refs/encode.h"

#include <sodium.h>

#include <cstdint>

#include "common/encoding.h"
#include "refs/xml_scan.h"

namespace svault::refs {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

// Calls fn(code point) for each UTF-8 character of valid UTF-8 `s`.
template <typename Fn>
void ForEachCodePoint(std::string_view s, Fn fn) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    const size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    uint32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    fn(cp);
    i += n;
  }
}

bool AllXmlChars(std::string_view value) {
  bool ok = true;
  ForEachCodePoint(value, [&](uint32_t cp) { ok = ok && IsXmlChar(cp); });
  return ok;
}

// XML escaping of one piece into `out`. In attributes, TAB LF CR become character references
// (attribute-value normalisation would turn them into spaces).
class XmlSink {
 public:
  XmlSink(std::string& out, bool attribute, char quote)
      : out_(out), attribute_(attribute), quote_(quote) {}

  void operator()(std::string_view piece) {
    for (char c : piece) Put(c);
  }

 private:
  void Put(char c) {
    switch (c) {
      case '&': out_ += "&amp;"; return;
      case '<': out_ += "&lt;"; return;
      case '>': out_ += "&gt;"; return;
      case '\r': out_ += "&#13;"; return;
      default: break;
    }
    // In text `]` is written as a reference, so no `]]>` can form with the bytes around it.
    if (!attribute_ && c == ']') return void(out_ += "&#93;");
    if (attribute_) {
      if (c == '\t') return void(out_ += "&#9;");
      if (c == '\n') return void(out_ += "&#10;");
      if (c == '"' && quote_ == '"') return void(out_ += "&quot;");
      if (c == '\'' && quote_ == '\'') return void(out_ += "&apos;");
    }
    out_.push_back(c);
  }

  std::string& out_;
  bool attribute_;
  char quote_;
};

class PlainSink {
 public:
  explicit PlainSink(std::string& out) : out_(out) {}
  void operator()(std::string_view piece) { out_ += piece; }

 private:
  std::string& out_;
};

void UnicodeEscape(uint32_t unit, char buf[6]) {
  buf[0] = '\\';
  buf[1] = 'u';
  for (int k = 0; k < 4; ++k) buf[2 + k] = kHex[(unit >> (12 - 4 * k)) & 0xF];
}

// String escaping that JSON and FEEL (DMN 1.3 §10.3.1.3) read alike: \" \\ \n \r \t, and \u
// for the other control characters and the two non-characters XML forbids (U+FFFE, U+FFFF), so
// the result is printable ASCII plus valid UTF-8.
template <typename Sink>
void StringEscape(std::string_view value, Sink& sink) {
  char buf[6];
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': sink("\\\""); continue;
      case '\\': sink("\\\\"); continue;
      case '\n': sink("\\n"); continue;
      case '\r': sink("\\r"); continue;
      case '\t': sink("\\t"); continue;
      default: break;
    }
    if (u < 0x20 || u == 0x7F) {
      UnicodeEscape(u, buf);
      sink(std::string_view(buf, 6));
    } else if (u == 0xEF && value.substr(i + 1, 1) == "\xBF" && i + 2 < value.size() &&
               (value[i + 2] == '\xBE' || value[i + 2] == '\xBF')) {
      UnicodeEscape(value[i + 2] == '\xBE' ? 0xFFFE : 0xFFFF, buf);
      sink(std::string_view(buf, 6));
      i += 2;
    } else {
      sink(std::string_view(&value[i], 1));
    }
  }
}

void UrlEncode(std::string_view value, std::string& out) {
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
}

// Inside a double-quoted .env value: \ " $ ` escaped, LF as \n.
void EnvEscape(std::string_view value, std::string& out) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '$': out += "\\$"; break;
      case '`': out += "\\`"; break;
      case '\n': out += "\\n"; break;
      default: out.push_back(c); break;
    }
  }
}

// CDATA content: the value gets sections of its own (so it cannot form `]]>` with the bytes
// around it), and a `]]>` inside it is split across two sections.
void CdataEscape(std::string_view value, std::string& out) {
  out += "]]><![CDATA[";
  size_t start = 0;
  size_t at;
  while ((at = value.find("]]>", start)) != std::string_view::npos) {
    out.append(value.substr(start, at + 2 - start));
    out += "]]><![CDATA[";
    start = at + 2;
  }
  out.append(value.substr(start));
  out += "]]><![CDATA[";
}

}  // namespace

size_t EncodedSize(Context context, char quote, std::string_view value) {
  std::string scratch;
  scratch.reserve(value.size() * kMaxExpansion + kMaxFixedOverhead);
  AppendEncoded(context, quote, value, scratch);
  const size_t size = scratch.size();
  sodium_memzero(scratch.data(), scratch.size());
  return size;
}

bool CanEncode(Context context, std::string_view value) {
  switch (context) {
    case Context::kText:
    case Context::kUrl: return true;
    case Context::kEnvUnquoted:
    case Context::kEnvQuoted: return value.find('\0') == std::string_view::npos;
    case Context::kJsonString:
    case Context::kXmlJsonAttribute:
    case Context::kXmlFeelString:
    case Context::kXmlFeelCode: return IsValidUtf8(value);
    case Context::kXmlAttribute:
    case Context::kXmlText: return IsValidUtf8(value) && AllXmlChars(value);
    case Context::kXmlCdata:
      return IsValidUtf8(value) && AllXmlChars(value) && value.find('\r') == std::string_view::npos;
  }
  return false;
}

void AppendEncoded(Context context, char quote, std::string_view value, std::string& out) {
  PlainSink plain(out);
  XmlSink attribute(out, true, quote);
  XmlSink text(out, false, quote);
  switch (context) {
    case Context::kText: out += value; return;
    case Context::kUrl: return UrlEncode(value, out);
    case Context::kEnvUnquoted:
      out.push_back('"');
      EnvEscape(value, out);
      out.push_back('"');
      return;
    case Context::kEnvQuoted: return EnvEscape(value, out);
    case Context::kJsonString: return StringEscape(value, plain);
    case Context::kXmlAttribute: return attribute(value);
    case Context::kXmlText:
      // An empty value still separates the text around it: `]]{{secrets.K}}>` must not become
      // `]]>`.
      if (value.empty()) return void(out += "<![CDATA[]]>");
      return text(value);
    case Context::kXmlCdata: return CdataEscape(value, out);
    case Context::kXmlJsonAttribute: return StringEscape(value, attribute);
    case Context::kXmlFeelString: return StringEscape(value, attribute);
    case Context::kXmlFeelCode:
      attribute("\"");
      StringEscape(value, attribute);
      attribute("\"");
      return;
  }
}

}  // namespace svault::refs
