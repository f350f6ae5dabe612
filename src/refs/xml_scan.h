// A small XML 1.0 scanner that keeps raw offsets (DESIGN.md §10: no DOM parser keeps them). It
// checks well-formedness (one root, matched tags, quoted attributes, known entities), refuses a
// DOCTYPE, and reports every attribute value, text run and CDATA section with the BPMN context a
// reference there needs: the nearest enclosing flow element and whether it is code.
#ifndef SVAULT_REFS_XML_SCAN_H_
#define SVAULT_REFS_XML_SCAN_H_

#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "refs/decoded.h"

namespace svault::refs {

struct XmlSite {
  enum class Kind { kAttribute, kText, kCdata };
  Kind kind = Kind::kText;
  size_t begin = 0;  // raw content: between the quotes, the text run, inside <![CDATA[ ]]>
  size_t end = 0;
  char quote = '"';                      // attributes
  const std::string* element = nullptr;  // id of the nearest enclosing flow element, if any
  bool code = false;  // text or CDATA inside a script, condition or other expression element
};

// Scans `doc`, calling `on_site` for each attribute value, text run and CDATA section inside the
// root element, in document order. kBadRequest (with the line) when the document is not
// well-formed XML or declares a DOCTYPE.
Status ScanXml(std::string_view doc, const std::function<void(const XmlSite&)>& on_site);

// The decoded content of a site ScanXml reported: entities and character references resolved,
// line ends normalised, and in attributes TAB, LF and CR turned into spaces (XML 1.0 §3.3.3).
Decoded DecodeXml(std::string_view doc, const XmlSite& site);

// Whether a character reference (`&#N;`, `&#xH;`) in `raw` stands for a code point `wanted`
// accepts.
bool AnyCharacterReference(std::string_view raw, bool (*wanted)(uint32_t));

// Whether code point `cp` may appear in an XML 1.0 document.
bool IsXmlChar(uint32_t cp);

}  // namespace svault::refs

#endif  // SVAULT_REFS_XML_SCAN_H_
