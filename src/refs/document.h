// Workflow documents and the references they hold (DESIGN.md §3): listing them with their
// locations, and rendering a document with values put in, escaped for the context of each
// reference. Pure functions over bytes: no vault, no I/O.
//
//   Result<Scan> scan = ScanDocument(doc, Format::kXml, Dialect::kCamunda);
//   ... look up a value for each scan->references[i] ...
//   Result<std::string> out = RenderDocument(doc, *scan, values);
#ifndef SVAULT_REFS_DOCUMENT_H_
#define SVAULT_REFS_DOCUMENT_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/secret.h"
#include "common/status.h"

namespace svault::refs {

enum class Format { kText, kJson, kXml, kUrl, kEnv };
enum class Dialect { kStandard, kCamunda };

// "text", "json", "xml" or "bpmn", "url", "env".
std::optional<Format> ParseFormat(std::string_view name);
// "standard" or "camunda".
std::optional<Dialect> ParseDialect(std::string_view name);
// The format a file name implies (.bpmn, .xml, .bpmn.xml, .json, .env, .txt), if any.
std::optional<Format> FormatForFileName(std::string_view name);
// A media type for rendered output of `format`.
std::string_view MediaType(Format format);

// How a value is written where a reference stood.
enum class Context {
  kText,              // as it is
  kUrl,               // percent-encoded but for RFC 3986 unreserved characters
  kEnvUnquoted,       // a whole unquoted .env value: double-quoted and escaped
  kEnvQuoted,         // inside a double-quoted .env value: escaped
  kJsonString,        // JSON string escaping
  kXmlAttribute,      // XML escaping for the attribute's quote
  kXmlText,           // XML escaping, CR as &#13;
  kXmlCdata,          // split around ]]>; CR cannot be carried
  kXmlJsonAttribute,  // JSON string escaping, then XML attribute escaping
  kXmlFeelString,     // FEEL string escaping, then XML attribute escaping
  kXmlFeelCode,       // a quoted FEEL string literal, then XML attribute escaping
};

struct Location {
  uint32_t line = 0;    // 1-based
  uint32_t column = 0;  // 1-based, in bytes of the raw document
};

struct Reference {
  std::string key;
  std::optional<uint64_t> version;  // nullopt = current
  Location location;
  std::optional<std::string> element;  // id of the nearest enclosing BPMN flow element
  std::optional<std::string> pointer;  // JSON pointer of the enclosing string
  Context context = Context::kText;
  char quote = '"';  // the attribute's quote, for the XML attribute contexts
  size_t raw_begin = 0;
  size_t raw_end = 0;
};

enum class Reason { kMissing, kMalformed, kUnsafeContext, kUnencodable };
std::string_view ReasonName(Reason reason);

// A reference that cannot be rendered, in the `details` shape of DESIGN.md §8.
struct Problem {
  std::string key;  // for kMalformed: what stood where the key belongs (bounded)
  std::optional<uint64_t> version;
  std::optional<Location> location;  // nullopt for batch resolve
  std::optional<std::string> element;
  std::optional<std::string> pointer;
  Reason reason = Reason::kMissing;
};

// Raw bytes an escape removes (`\{{` loses its backslash).
struct Deletion {
  size_t raw_begin = 0;
  size_t raw_end = 0;
};

struct Scan {
  std::vector<Reference> references;  // in document order
  std::vector<Problem> problems;      // malformed references, references in refused contexts
  std::vector<Deletion> deletions;
};

// Finds every reference in `document`. kBadRequest when the document does not parse in
// `format` (or declares a DOCTYPE); malformed references are problems, never errors.
Result<Scan> ScanDocument(std::string_view document, Format format, Dialect dialect);

// The problem entry for a reference that failed for `reason`.
Problem ProblemFor(const Reference& reference, Reason reason);

// The largest rendered document RenderDocument writes; over it is kTooLarge.
inline constexpr size_t kMaxRenderedBytes = 64 * 1024 * 1024;

// Renders `document`: `values[i]` replaces `scan.references[i]`, escaped for its context;
// escapes lose their backslash; every other byte is kept. `scan` must come from ScanDocument on
// the same bytes and hold no problems. kUnresolved listing every value its context cannot carry
// (reason `unencodable`, never the value); kTooLarge when the result would exceed
// kMaxRenderedBytes. The result holds values: the caller wipes it.
Result<std::string> RenderDocument(std::string_view document, const Scan& scan,
                                   std::span<const SecretBytes* const> values);

// A problem in the `details` shape of DESIGN.md §8 (line and column unset without a location).
ReferenceDetail DetailOf(const Problem& problem);

// Orders problems by location, keeping the order of those at the same place.
void SortByLocation(std::vector<Problem>& problems);

// An unresolved error listing `problems` (never a value).
Status Unresolved(std::string message, const std::vector<Problem>& problems);

}  // namespace svault::refs

#endif  // SVAULT_REFS_DOCUMENT_H_
