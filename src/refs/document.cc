#include "refs/document.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "common/encoding.h"
#include "refs/builder.h"
#include "refs/encode.h"
#include "refs/env_scan.h"
#include "refs/feel.h"
#include "refs/json_scan.h"
#include "refs/xml_scan.h"

namespace svault::refs {
namespace {

bool MayHoldReference(std::string_view text, bool bare) {
  return text.find("{{") != std::string_view::npos ||
         (bare && text.find("secrets.") != std::string_view::npos);
}

// Whether decoded text holds an EL/JUEL expression (`${…}`, `#{…}`, as Camunda 7 and Spring
// evaluate): a value there would become code, so references in it are refused.
bool HoldsExpression(std::string_view text) {
  return text.find("${") != std::string_view::npos || text.find("#{") != std::string_view::npos;
}

// Whether decoded text looks like a JSON object or array, so that a value which fails to parse
// as JSON is not silently treated as plain text (`{"port": {{secrets.P}}}` or `[{{secrets.P}}]`
// would let a value add keys or elements). Only a value that opens with a reference, `{{…`,
// is plain.
bool LooksLikeJson(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\n\r");
  if (first == std::string_view::npos) return false;
  if (text[first] == '[') return true;
  return text[first] == '{' && text.substr(first + 1, 1) != "{";
}

// Every {{…}} in `text` (offsets shifted by `shift`).
std::vector<Match> FindShifted(std::string_view text, size_t shift) {
  std::vector<Match> matches = FindReferences(text);
  for (Match& m : matches) {
    m.begin += shift;
    m.end += shift;
    if (m.covered_end != 0) m.covered_end += shift;
  }
  return matches;
}

// ---- text, url ---------------------------------------------------------------------------

void ScanPlain(std::string_view doc, Context context, Builder& out) {
  const Decoded d = Decoded::Identity(doc, 0);
  out.Add(d, FindReferences(doc), Site{context});
}

// ---- json --------------------------------------------------------------------------------

// The strings of JSON `text` (decoded through `outer` when it is nested in another format).
Status ScanJsonStrings(std::string_view text, const Decoded* outer, Site site, Builder& out) {
  return ScanJson(text, [&](const JsonString& s) {
    const std::string_view raw = text.substr(s.begin, s.end - s.begin);
    if (raw.find('{') == std::string_view::npos && raw.find('\\') == std::string_view::npos) {
      return;
    }
    Decoded d = DecodeJsonString(text, s.begin, s.end);
    if (outer != nullptr) d.ComposeWith(*outer);
    std::vector<Match> matches = FindReferences(d.text());
    if (matches.empty()) return;
    Site here = site;
    here.pointer = s.pointer;
    here.refused = here.code = s.is_key;  // a reference in an object key is an error
    // A string holding an EL expression, or FEEL (`=…`, as Camunda element templates read it).
    if (HoldsExpression(d.text()) || d.text().starts_with('=')) here.refused = here.code = true;
    out.Add(d, matches, here);
  });
}

// ---- xml ---------------------------------------------------------------------------------

void ScanFeel(const Decoded& attr, Site site, bool bare, Builder& out) {
  const std::string& t = attr.text();
  for (const FeelSpan& span : SplitFeel(t)) {
    if (span.comment) continue;  // left as it is
    if (span.literal) {
      Decoded lit = DecodeFeelString(t, span.begin, span.end);
      lit.ComposeWith(attr);
      site.context = Context::kXmlFeelString;
      out.Add(lit, FindReferences(lit.text()), site);
      continue;
    }
    const std::string_view code = std::string_view(t).substr(span.begin, span.end - span.begin);
    std::vector<Match> matches = FindShifted(code, span.begin);
    if (bare) AddBareReferences(t, span.begin, span.end, BareKey::kFeelName, matches);
    site.context = Context::kXmlFeelCode;
    out.Add(attr, matches, site);
  }
}

bool IsBraceOrBackslash(uint32_t cp) { return cp == '{' || cp == '\\'; }
bool IsBareFormChar(uint32_t cp) {
  return cp == '.' || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
         (cp >= '0' && cp <= '9');
}

// Whether raw attribute bytes may spell a reference in some layer: a `{` or a `\` (the start of
// a JSON or FEEL escape that may decode to one), or the bare form, each either as itself or as
// a character reference. Saves decoding the many attributes that hold none.
bool RawMayHoldReference(std::string_view raw, bool bare) {
  if (raw.find('{') != std::string_view::npos || raw.find('\\') != std::string_view::npos) {
    return true;
  }
  if (bare && raw.find("secrets.") != std::string_view::npos) return true;
  return AnyCharacterReference(raw, bare ? IsBareFormChar : IsBraceOrBackslash) ||
         (bare && AnyCharacterReference(raw, IsBraceOrBackslash));
}

void ScanAttribute(std::string_view doc, const XmlSite& xml, bool bare, Builder& out) {
  const std::string_view raw = doc.substr(xml.begin, xml.end - xml.begin);
  if (!RawMayHoldReference(raw, bare)) return;
  const Decoded attr = DecodeXml(doc, xml);
  const std::string& t = attr.text();
  // A `\` may still hide `{{` behind a JSON or FEEL escape in the next layer.
  if (!MayHoldReference(t, bare) && t.find('\\') == std::string::npos) return;

  Site site{Context::kXmlAttribute, xml.quote, xml.element};
  if (t.starts_with('=')) return ScanFeel(attr, site, bare, out);
  const size_t first = t.find_first_not_of(" \t\n\r");
  const bool spaced_feel = first != std::string::npos && t[first] == '=';  // may be trimmed
  const bool json_like = LooksLikeJson(t);
  if (json_like && IsJson(t)) {
    site.context = Context::kXmlJsonAttribute;
    (void)ScanJsonStrings(t, &attr, site, out);  // IsJson held
    return;
  }
  std::vector<Match> matches = FindReferences(t);
  if (bare) AddBareReferences(t, 0, t.size(), BareKey::kKeyGrammar, matches);
  // JSON that does not parse, or an EL expression: a value could rewrite it.
  site.refused = site.code = json_like || spaced_feel || HoldsExpression(t);
  out.Add(attr, matches, site);
}

void ScanXmlContent(std::string_view doc, const XmlSite& xml, Builder& out) {
  const std::string_view raw = doc.substr(xml.begin, xml.end - xml.begin);
  if (raw.find('&') == std::string_view::npos && !MayHoldReference(raw, false)) return;
  const Decoded d = DecodeXml(doc, xml);
  const bool cdata = xml.kind == XmlSite::Kind::kCdata;
  Site site{cdata ? Context::kXmlCdata : Context::kXmlText, '"', xml.element};
  // Script bodies and conditions are code; so are EL expressions and FEEL (`=…`) in text.
  const std::string& t = d.text();
  const size_t first = t.find_first_not_of(" \t\n\r");
  const bool feel = first != std::string::npos && t[first] == '=';
  site.refused = site.code = xml.code || feel || HoldsExpression(t);
  out.Add(d, FindReferences(t), site);
}

Status ScanXmlDocument(std::string_view doc, bool bare, Builder& out) {
  return ScanXml(doc, [&](const XmlSite& site) {
    if (site.kind == XmlSite::Kind::kAttribute) {
      ScanAttribute(doc, site, bare, out);
    } else {
      ScanXmlContent(doc, site, out);
    }
  });
}

// ---- env ---------------------------------------------------------------------------------

bool HasUnescaped(std::string_view raw, char c) {
  for (size_t i = raw.find(c); i != std::string_view::npos; i = raw.find(c, i + 1)) {
    size_t slashes = 0;
    while (slashes < i && raw[i - slashes - 1] == '\\') ++slashes;
    if (slashes % 2 == 0) return true;
  }
  return false;
}

void ScanEnvPiece(std::string_view doc, const EnvPiece& piece, Builder& out) {
  using Kind = EnvPiece::Kind;
  const std::string_view raw = doc.substr(piece.begin, piece.end - piece.begin);
  if (!MayHoldReference(raw, false)) return;
  if (piece.kind == Kind::kDoubleQuoted) {
    const Decoded d = DecodeEnvQuoted(doc, piece.begin, piece.end);
    Site site{Context::kEnvQuoted};
    // An unescaped `$` expands (`"$X{{secrets.K}}"` would name a variable after the value) and a
    // backtick runs a command when a shell sources the file.
    site.refused = HasUnescaped(raw, '$') || HasUnescaped(raw, '`');
    out.Add(d, FindReferences(d.text()), site);
    return;
  }
  const Decoded d = Decoded::Identity(raw, piece.begin);
  const std::vector<Match> matches = FindReferences(raw);
  Site site{Context::kEnvUnquoted};
  // Only a whole unquoted value can be quoted safely; names and literal text cannot hold one.
  const bool whole = piece.kind == Kind::kUnquoted && matches.size() == 1 &&
                     matches[0].kind == MatchKind::kReference && matches[0].begin == 0 &&
                     matches[0].end == raw.size();
  site.refused = !whole;
  site.code = piece.kind == Kind::kName || piece.kind == Kind::kSingleQuoted;
  out.Add(d, matches, site);
}

Status ScanEnvDocument(std::string_view doc, Builder& out) {
  std::vector<EnvPiece> pieces;
  SVAULT_RETURN_IF_ERROR(ScanEnv(doc, pieces));
  for (const EnvPiece& piece : pieces) ScanEnvPiece(doc, piece, out);
  return Status::Ok();
}

}  // namespace

std::optional<Format> ParseFormat(std::string_view name) {
  if (name == "text") return Format::kText;
  if (name == "json") return Format::kJson;
  if (name == "xml" || name == "bpmn") return Format::kXml;
  if (name == "url") return Format::kUrl;
  if (name == "env") return Format::kEnv;
  return std::nullopt;
}

std::optional<Dialect> ParseDialect(std::string_view name) {
  if (name == "standard") return Dialect::kStandard;
  if (name == "camunda") return Dialect::kCamunda;
  return std::nullopt;
}

std::optional<Format> FormatForFileName(std::string_view name) {
  const size_t slash = name.rfind('/');
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view ext = name.substr(dot + 1);
  if (ext == "bpmn" || ext == "xml") return Format::kXml;
  if (ext == "json") return Format::kJson;
  if (ext == "env" || name.starts_with(".env")) return Format::kEnv;  // .env, .env.local, …
  if (ext == "txt") return Format::kText;
  return std::nullopt;
}

std::string_view MediaType(Format format) {
  switch (format) {
    case Format::kJson: return "application/json";
    case Format::kXml: return "application/xml";
    case Format::kText:
    case Format::kUrl:
    case Format::kEnv: return "text/plain; charset=utf-8";
  }
  return "application/octet-stream";
}

std::string_view ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kMissing: return "missing";
    case Reason::kMalformed: return "malformed";
    case Reason::kUnsafeContext: return "unsafe_context";
    case Reason::kUnencodable: return "unencodable";
  }
  return "unknown";
}

Problem ProblemFor(const Reference& reference, Reason reason) {
  return Problem{reference.key,     reference.version, reference.location,
                 reference.element, reference.pointer, reason};
}

Result<Scan> ScanDocument(std::string_view document, Format format, Dialect dialect) {
  // Values are written as UTF-8; a document in another encoding would get them garbled.
  if ((format == Format::kXml || format == Format::kJson) && !IsValidUtf8(document)) {
    return BadRequest("document is not valid UTF-8");
  }
  Builder builder(document);
  switch (format) {
    case Format::kText: ScanPlain(document, Context::kText, builder); break;
    case Format::kUrl: ScanPlain(document, Context::kUrl, builder); break;
    case Format::kJson:
      SVAULT_RETURN_IF_ERROR(
          ScanJsonStrings(document, nullptr, Site{Context::kJsonString}, builder));
      break;
    case Format::kXml:
      SVAULT_RETURN_IF_ERROR(ScanXmlDocument(document, dialect == Dialect::kCamunda, builder));
      break;
    case Format::kEnv: SVAULT_RETURN_IF_ERROR(ScanEnvDocument(document, builder)); break;
  }
  return builder.Finish();
}

Result<std::string> RenderDocument(std::string_view document, const Scan& scan,
                                   std::span<const SecretBytes* const> values) {
  if (values.size() != scan.references.size()) return Internal("one value per reference");
  std::vector<Problem> unencodable;
  size_t capacity = document.size();
  // Each distinct value is checked once per context (a value may stand in thousands of places).
  std::map<std::pair<const SecretBytes*, Context>, bool> encodable;
  for (size_t i = 0; i < values.size(); ++i) {
    const auto [it, added] = encodable.try_emplace({values[i], scan.references[i].context}, true);
    if (added) it->second = CanEncode(scan.references[i].context, values[i]->Reveal());
    if (!it->second) {
      unencodable.push_back(ProblemFor(scan.references[i], Reason::kUnencodable));
    }
    capacity += values[i]->size() * kMaxExpansion + kMaxFixedOverhead;
  }
  if (!unencodable.empty()) {
    return Unresolved("a value cannot be written where its reference stands", unencodable);
  }
  if (capacity > kMaxRenderedBytes) {
    // The bound is loose (12 bytes per value byte): count exactly, stopping once over.
    capacity = document.size();
    for (size_t i = 0; i < values.size() && capacity <= kMaxRenderedBytes; ++i) {
      const Reference& ref = scan.references[i];
      capacity += EncodedSize(ref.context, ref.quote, values[i]->Reveal());
      capacity -= ref.raw_end - ref.raw_begin;
    }
    if (capacity > kMaxRenderedBytes) {
      return TooLarge(
          fmt::format("the rendered document would exceed {} bytes", kMaxRenderedBytes));
    }
  }

  // Reserved once, so the buffer holding values is never reallocated (and left unwiped).
  std::string out;
  out.reserve(capacity);
  size_t cursor = 0;
  size_t r = 0;
  size_t d = 0;
  while (r < scan.references.size() || d < scan.deletions.size()) {
    const bool take_ref =
        d == scan.deletions.size() ||
        (r < scan.references.size() && scan.references[r].raw_begin < scan.deletions[d].raw_begin);
    const size_t begin = take_ref ? scan.references[r].raw_begin : scan.deletions[d].raw_begin;
    const size_t end = take_ref ? scan.references[r].raw_end : scan.deletions[d].raw_end;
    out.append(document.substr(cursor, begin - cursor));
    if (take_ref) {
      const Reference& ref = scan.references[r];
      AppendEncoded(ref.context, ref.quote, values[r]->Reveal(), out);
      ++r;
    } else {
      ++d;
    }
    cursor = end;
  }
  out.append(document.substr(cursor));
  return out;
}

ReferenceDetail DetailOf(const Problem& p) {
  ReferenceDetail ref{p.key, p.version, std::nullopt, std::nullopt, p.element, p.pointer};
  if (p.location) {
    ref.line = p.location->line;
    ref.column = p.location->column;
  }
  return ref;
}

void SortByLocation(std::vector<Problem>& problems) {
  std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
    const Location none;
    const Location& la = a.location ? *a.location : none;
    const Location& lb = b.location ? *b.location : none;
    return std::pair(la.line, la.column) < std::pair(lb.line, lb.column);
  });
}

Status Unresolved(std::string message, const std::vector<Problem>& problems) {
  std::vector<ErrorDetail> details;
  details.reserve(problems.size());
  for (const Problem& p : problems) {
    details.push_back(ErrorDetail{"", std::string(ReasonName(p.reason)), DetailOf(p)});
  }
  return Status(Code::kUnresolved, std::move(message), std::move(details));
}

}  // namespace svault::refs
