#include "refs/xml_scan.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <deque>
#include <optional>
#include <vector>

namespace svault::refs {
namespace {

// BPMN 2.0 flow elements: what `element` names in a reference's report.
constexpr std::array<std::string_view, 26> kFlowElements = {"task",
                                                            "serviceTask",
                                                            "userTask",
                                                            "scriptTask",
                                                            "sendTask",
                                                            "receiveTask",
                                                            "manualTask",
                                                            "businessRuleTask",
                                                            "callActivity",
                                                            "subProcess",
                                                            "adHocSubProcess",
                                                            "transaction",
                                                            "startEvent",
                                                            "endEvent",
                                                            "intermediateCatchEvent",
                                                            "intermediateThrowEvent",
                                                            "boundaryEvent",
                                                            "exclusiveGateway",
                                                            "parallelGateway",
                                                            "inclusiveGateway",
                                                            "eventBasedGateway",
                                                            "complexGateway",
                                                            "sequenceFlow",
                                                            "dataObject",
                                                            "dataObjectReference",
                                                            "dataStoreReference"};

// Elements whose text is code in some expression or script language: secrets never go there.
constexpr std::array<std::string_view, 7> kCodeElements = {
    "script",        "conditionExpression", "condition", "completionCondition",
    "loopCondition", "loopCardinality",     "expression"};

// More attributes than this on one element are refused (the repeat check is quadratic).
constexpr size_t kMaxAttributes = 256;

std::string_view LocalName(std::string_view qname) {
  const size_t colon = qname.rfind(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

template <size_t N>
bool Contains(const std::array<std::string_view, N>& set, std::string_view name) {
  return std::find(set.begin(), set.end(), name) != set.end();
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsNameStart(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || u >= 0x80;
}

bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

// The code point of the entity or character reference at `amp`, and its length; nullopt when
// it is not one this document may use (no DTD, so only the five predefined entities).
struct Entity {
  uint32_t cp;
  size_t length;
};

std::optional<Entity> ReadEntity(std::string_view s, size_t amp) {
  const size_t semi = s.find(';', amp);
  if (semi == std::string_view::npos || semi - amp > 32) return std::nullopt;
  const std::string_view body = s.substr(amp + 1, semi - amp - 1);
  const size_t length = semi - amp + 1;
  static constexpr std::array<std::pair<std::string_view, uint32_t>, 5> kNamed = {
      {{"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}}};
  for (const auto& [name, cp] : kNamed) {
    if (body == name) return Entity{cp, length};
  }
  if (body.size() < 2 || body[0] != '#') return std::nullopt;
  const bool hex = body[1] == 'x';
  const std::string_view digits = body.substr(hex ? 2 : 1);
  if (digits.empty()) return std::nullopt;
  uint32_t cp = 0;
  for (char c : digits) {
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0 || cp > 0x10FFFF) return std::nullopt;
    cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
  }
  if (!IsXmlChar(cp)) return std::nullopt;
  return Entity{cp, length};
}

class Scanner {
 public:
  Scanner(std::string_view doc, const std::function<void(const XmlSite&)>& on_site)
      : doc_(doc), on_site_(on_site) {}

  Status Run() {
    if (doc_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
    SVAULT_RETURN_IF_ERROR(CheckDeclaration());
    SVAULT_RETURN_IF_ERROR(CheckCharacters());
    while (pos_ < doc_.size()) {
      SVAULT_RETURN_IF_ERROR(doc_[pos_] == '<' ? Markup() : Text());
    }
    if (!seen_root_) return Fail("no root element");
    if (!stack_.empty()) return Fail("unclosed element");
    return Status::Ok();
  }

 private:
  struct Frame {
    std::string_view name;
    const std::string* element = nullptr;  // id of the nearest flow element, in ids_
    bool code = false;
    // The element's own text as a parser joins it (text, CDATA, across comments), read piece
    // by piece: its first character that is not a space, its last character so far, and
    // whether it holds an EL expression. Text sites wait until the element closes, when it is
    // known whether that text is code.
    char first = 0;
    char last = 0;
    bool expression = false;
    std::vector<XmlSite> pending;
  };
  struct Attribute {
    std::string_view name;
    size_t begin, end;
    char quote;
  };

  // Values are written as UTF-8, so a document declaring another encoding is refused.
  Status CheckDeclaration() {
    if (!doc_.substr(pos_).starts_with("<?xml")) return Status::Ok();
    const std::string_view decl = doc_.substr(pos_, doc_.find("?>", pos_) - pos_);
    // The pseudo-attribute `encoding` (after a space, before `=`), not the word in a value.
    auto is_pseudo_attribute = [decl](size_t at) {
      const size_t eq = decl.find_first_not_of(" \t\r\n", at + 8);
      return IsSpace(decl[at - 1]) && eq != std::string_view::npos && decl[eq] == '=';
    };
    size_t at = decl.find("encoding");
    while (at != std::string_view::npos && !is_pseudo_attribute(at)) {
      at = decl.find("encoding", at + 8);
    }
    if (at == std::string_view::npos) return Status::Ok();
    const size_t open = decl.find_first_of("\"'", at);
    if (open == std::string_view::npos) return Fail("malformed XML declaration");
    const size_t close = decl.find(decl[open], open + 1);
    if (close == std::string_view::npos) return Fail("malformed XML declaration");
    std::string name(decl.substr(open + 1, close - open - 1));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name != "utf-8" && name != "utf8") return Fail("only UTF-8 documents are accepted");
    return Status::Ok();
  }

  // XML 1.0 forbids the control characters other than TAB, LF and CR anywhere.
  Status CheckCharacters() {
    // Eight bytes at a time: a word with no byte under 0x20 needs no closer look.
    constexpr uint64_t kOnes = 0x0101010101010101ULL;
    size_t i = 0;
    for (; i + 8 <= doc_.size(); i += 8) {
      uint64_t word;
      std::memcpy(&word, doc_.data() + i, 8);
      if (((word - kOnes * 0x20) & ~word & (kOnes * 0x80)) == 0) continue;
      for (size_t k = i; k < i + 8; ++k) {
        const auto c = static_cast<unsigned char>(doc_[k]);
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          pos_ = k;
          return Fail("a control character XML does not allow");
        }
      }
    }
    for (; i < doc_.size(); ++i) {
      const auto c = static_cast<unsigned char>(doc_[i]);
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        pos_ = i;
        return Fail("a control character XML does not allow");
      }
    }
    return Status::Ok();
  }

  Status Fail(std::string_view what) const {
    const size_t at = std::min(pos_, doc_.size());
    const auto line = 1 + std::count(doc_.begin(), doc_.begin() + static_cast<long>(at), '\n');
    return BadRequest(fmt::format("document is not well-formed XML: {} (line {})", what, line));
  }

  bool StartsWith(std::string_view s) const { return doc_.substr(pos_, s.size()) == s; }

  // Skips to the end of `close`, failing with `what` when it never comes.
  Status SkipPast(std::string_view close, std::string_view what) {
    const size_t at = doc_.find(close, pos_);
    if (at == std::string_view::npos) return Fail(what);
    pos_ = at + close.size();
    return Status::Ok();
  }

  Status Markup() {
    if (StartsWith("<?")) return SkipPast("?>", "unterminated processing instruction");
    if (StartsWith("<!--")) return SkipPast("-->", "unterminated comment");
    if (StartsWith("<![CDATA[")) return Cdata();
    if (StartsWith("<!DOCTYPE")) return Fail("a DOCTYPE is not accepted");
    if (StartsWith("<!")) return Fail("unexpected markup declaration");
    if (StartsWith("</")) return EndTag();
    return StartTag();
  }

  Status Cdata() {
    if (stack_.empty()) return Fail("CDATA outside the root element");
    const size_t begin = pos_ + 9;
    const size_t close = doc_.find("]]>", begin);
    if (close == std::string_view::npos) return Fail("unterminated CDATA section");
    Emit(XmlSite::Kind::kCdata, begin, close, '"');
    pos_ = close + 3;
    return Status::Ok();
  }

  std::string_view Name() {
    const size_t begin = pos_;
    if (pos_ < doc_.size() && IsNameStart(doc_[pos_])) {
      while (pos_ < doc_.size() && IsNameChar(doc_[pos_])) ++pos_;
    }
    return doc_.substr(begin, pos_ - begin);
  }

  void SkipSpace() {
    while (pos_ < doc_.size() && IsSpace(doc_[pos_])) ++pos_;
  }

  Status EndTag() {
    pos_ += 2;
    const std::string_view name = Name();
    SkipSpace();
    if (pos_ >= doc_.size() || doc_[pos_] != '>') return Fail("malformed end tag");
    if (stack_.empty() || stack_.back().name != name) return Fail("mismatched end tag");
    ++pos_;
    Frame& top = stack_.back();
    // FEEL (`=…`) or EL (`${…}`, `#{…}`) as element text is code too.
    const bool code = top.code || top.first == '=' || top.expression;
    for (XmlSite& site : top.pending) {
      site.code = code;
      on_site_(site);
    }
    stack_.pop_back();
    return Status::Ok();
  }

  Status StartTag() {
    ++pos_;
    const std::string_view name = Name();
    if (name.empty()) return Fail("bad element name");
    if (stack_.empty() && seen_root_) return Fail("content after the root element");
    attributes_.clear();
    SVAULT_RETURN_IF_ERROR(Attributes(attributes_));
    const bool empty = doc_[pos_] == '/';
    pos_ += empty ? 2 : 1;

    const Frame frame = FrameFor(name, attributes_);
    for (const Attribute& a : attributes_) {
      on_site_(XmlSite{XmlSite::Kind::kAttribute, a.begin, a.end, a.quote, frame.element, false});
    }
    seen_root_ = true;
    if (!empty) stack_.push_back(frame);
    return Status::Ok();
  }

  // Reads attributes up to `>` or `/>` (left at pos_).
  Status Attributes(std::vector<Attribute>& out) {
    while (true) {
      const size_t before = pos_;
      SkipSpace();
      if (pos_ >= doc_.size()) return Fail("unterminated start tag");
      if (doc_[pos_] == '>') return Status::Ok();
      if (StartsWith("/>")) return Status::Ok();
      if (pos_ == before) return Fail("space expected between attributes");
      const std::string_view name = Name();
      if (name.empty()) return Fail("bad attribute name");
      SkipSpace();
      if (pos_ >= doc_.size() || doc_[pos_] != '=') return Fail("'=' expected after attribute");
      ++pos_;
      SkipSpace();
      if (pos_ >= doc_.size() || (doc_[pos_] != '"' && doc_[pos_] != '\'')) {
        return Fail("quoted attribute value expected");
      }
      const char quote = doc_[pos_++];
      const size_t close = doc_.find(quote, pos_);
      if (close == std::string_view::npos) return Fail("unterminated attribute value");
      if (out.size() >= kMaxAttributes) return Fail("too many attributes on one element");
      for (const Attribute& a : out) {
        if (a.name == name) return Fail("repeated attribute");
      }
      SVAULT_RETURN_IF_ERROR(CheckContent(pos_, close, true));
      out.push_back(Attribute{name, pos_, close, quote});
      pos_ = close + 1;
    }
  }

  Frame FrameFor(std::string_view name, const std::vector<Attribute>& attributes) {
    Frame frame;
    frame.name = name;
    if (!stack_.empty()) {
      frame.element = stack_.back().element;
      frame.code = stack_.back().code;
    }
    const std::string_view local = LocalName(name);
    if (Contains(kCodeElements, local)) frame.code = true;
    for (const Attribute& a : attributes) {
      if (a.name == "language" || a.name == "scriptFormat") frame.code = true;
      if (a.name == "id" && Contains(kFlowElements, local)) {
        XmlSite site{XmlSite::Kind::kAttribute, a.begin, a.end, a.quote, nullptr, false};
        ids_.push_back(DecodeXml(doc_, site).text());
        frame.element = &ids_.back();
      }
    }
    return frame;
  }

  Status Text() {
    const size_t begin = pos_;
    const size_t next = doc_.find('<', pos_);
    const size_t end = next == std::string_view::npos ? doc_.size() : next;
    pos_ = end;
    if (stack_.empty()) {
      for (size_t i = begin; i < end; ++i) {
        if (!IsSpace(doc_[i])) {
          pos_ = i;
          return Fail("text outside the root element");
        }
      }
      return Status::Ok();
    }
    SVAULT_RETURN_IF_ERROR(CheckContent(begin, end, false));
    const size_t cdata_end = doc_.substr(0, end).find("]]>", begin);
    if (cdata_end != std::string_view::npos) {
      pos_ = cdata_end;
      return Fail("']]>' in text");
    }
    Emit(XmlSite::Kind::kText, begin, end, '"');
    return Status::Ok();
  }

  // Entities must be known; attribute values may not hold '<'.
  Status CheckContent(size_t begin, size_t end, bool attribute) {
    const std::string_view content = doc_.substr(0, end);
    if (attribute) {
      const size_t lt = content.find('<', begin);
      if (lt != std::string_view::npos) {
        pos_ = lt;
        return Fail("'<' in an attribute value");
      }
    }
    for (size_t i = content.find('&', begin); i != std::string_view::npos;
         i = content.find('&', i + 1)) {
      if (!ReadEntity(content, i)) {
        pos_ = i;
        return Fail("unknown or malformed entity");
      }
    }
    return Status::Ok();
  }

  void Emit(XmlSite::Kind kind, size_t begin, size_t end, char quote) {
    Frame& top = stack_.back();
    const XmlSite site{kind, begin, end, quote, top.element, top.code};
    const std::string_view raw = doc_.substr(begin, end - begin);
    std::string decoded;
    if (kind == XmlSite::Kind::kText && raw.find('&') != std::string_view::npos) {
      decoded = DecodeXml(doc_, site).text();
    }
    const std::string_view text = decoded.empty() ? raw : std::string_view(decoded);
    Observe(top, text);
    if (text.find('{') != std::string_view::npos) top.pending.push_back(site);
  }

  // Folds one piece of an element's text into what is known of the whole.
  static void Observe(Frame& frame, std::string_view text) {
    if (text.empty()) return;
    if (frame.first == 0) {
      const size_t at = text.find_first_not_of(" \t\n\r");
      if (at != std::string_view::npos) frame.first = text[at];
    }
    const bool joined = (frame.last == '$' || frame.last == '#') && text.front() == '{';
    frame.expression = frame.expression || joined || text.find("${") != std::string_view::npos ||
                       text.find("#{") != std::string_view::npos;
    frame.last = text.back();
  }

  std::string_view doc_;
  const std::function<void(const XmlSite&)>& on_site_;
  size_t pos_ = 0;
  std::vector<Frame> stack_;
  std::vector<Attribute> attributes_;  // of the start tag being read (reused)
  std::deque<std::string> ids_;        // flow element ids; frames point into it
  bool seen_root_ = false;
};

}  // namespace

bool IsXmlChar(uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

bool AnyCharacterReference(std::string_view raw, bool (*wanted)(uint32_t)) {
  for (size_t i = raw.find("&#"); i != std::string_view::npos; i = raw.find("&#", i + 2)) {
    const std::optional<Entity> entity = ReadEntity(raw, i);
    if (entity && wanted(entity->cp)) return true;
  }
  return false;
}

Status ScanXml(std::string_view doc, const std::function<void(const XmlSite&)>& on_site) {
  return Scanner(doc, on_site).Run();
}

Decoded DecodeXml(std::string_view doc, const XmlSite& site) {
  if (site.kind == XmlSite::Kind::kCdata)
    return Decoded::Identity(doc.substr(site.begin, site.end - site.begin), site.begin);
  const bool attribute = site.kind == XmlSite::Kind::kAttribute;
  Decoded out;
  out.Reserve(site.end - site.begin);
  size_t i = site.begin;
  while (i < site.end) {
    const char c = doc[i];
    if (c == '&') {
      const std::optional<Entity> entity = ReadEntity(doc.substr(0, site.end), i);
      out.PushCodePoint(entity->cp, i);
      i += entity->length;
    } else if (c == '\r') {
      // CR LF and a lone CR are one line end.
      const size_t length = (i + 1 < site.end && doc[i + 1] == '\n') ? 2 : 1;
      out.Push(attribute ? ' ' : '\n', i);
      i += length;
    } else {
      out.Push(attribute && (c == '\t' || c == '\n') ? ' ' : c, i);
      ++i;
    }
  }
  out.Finish(site.end);
  return out;
}

}  // namespace svault::refs
