// Fuzzes the reference scanners and the renderer (src/refs/): the XML, JSON, FEEL and .env
// scanners on untrusted documents, and rendering with an untrusted value. Input layout:
//   byte 0       format (low 3 bits: text, json, xml, url, env) and dialect (bit 3: camunda)
//   byte 1       n, the length of the value
//   next n bytes the value every reference gets
//   the rest     the document
// Properties (a broken one traps): findings lie inside the document, in order, without overlap;
// a rendered document differs from the input only at findings; and a document that scanned
// still scans after rendering (rendering keeps it well-formed for every value it accepts).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "refs/document.h"
#include "refs/encode.h"

namespace svault::fuzz {
namespace {

void Require(bool condition) {
  if (!condition) __builtin_trap();
}

// Findings in document order, inside the document, not overlapping.
void CheckSpans(const refs::Scan& scan, size_t size) {
  struct Span {
    size_t begin, end;
  };
  std::vector<Span> spans;
  for (const refs::Reference& r : scan.references) spans.push_back({r.raw_begin, r.raw_end});
  for (const refs::Deletion& d : scan.deletions) spans.push_back({d.raw_begin, d.raw_end});
  std::sort(spans.begin(), spans.end(), [](Span a, Span b) { return a.begin < b.begin; });
  size_t last = 0;
  for (const Span& s : spans) {
    Require(s.begin >= last && s.begin <= s.end && s.end <= size);
    last = s.end;
  }
  for (const refs::Reference& r : scan.references) {
    Require(r.location.line >= 1 && r.location.column >= 1 && !r.key.empty());
  }
}

// What rendering must give: the document with each finding spliced, by a separate walk.
std::string Expected(std::string_view doc, const refs::Scan& scan, std::string_view value) {
  std::string out;
  size_t cursor = 0;
  size_t r = 0;
  size_t d = 0;
  while (r < scan.references.size() || d < scan.deletions.size()) {
    const bool ref =
        d == scan.deletions.size() ||
        (r < scan.references.size() && scan.references[r].raw_begin < scan.deletions[d].raw_begin);
    const size_t begin = ref ? scan.references[r].raw_begin : scan.deletions[d].raw_begin;
    out.append(doc.substr(cursor, begin - cursor));
    if (ref) {
      refs::AppendEncoded(scan.references[r].context, scan.references[r].quote, value, out);
      cursor = scan.references[r++].raw_end;
    } else {
      cursor = scan.deletions[d++].raw_end;
    }
  }
  out.append(doc.substr(cursor));
  return out;
}

}  // namespace
}  // namespace svault::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace svault;
  if (size < 2) return 0;
  const auto format = static_cast<refs::Format>((data[0] & 7) % 5);
  const auto dialect = (data[0] & 8) ? refs::Dialect::kCamunda : refs::Dialect::kStandard;
  const size_t n = std::min<size_t>(data[1], size - 2);
  const std::string_view value(reinterpret_cast<const char*>(data) + 2, n);
  const std::string_view doc(reinterpret_cast<const char*>(data) + 2 + n, size - 2 - n);

  Result<refs::Scan> scan = refs::ScanDocument(doc, format, dialect);
  if (!scan.ok()) return 0;
  fuzz::CheckSpans(*scan, doc.size());

  refs::Scan clean = *scan;
  clean.problems.clear();
  const SecretBytes secret(value);
  std::vector<const SecretBytes*> values(clean.references.size(), &secret);
  Result<std::string> out = refs::RenderDocument(doc, clean, values);
  if (!out.ok()) {
    fuzz::Require(out.status().code() == Code::kUnresolved);
    return 0;
  }
  fuzz::Require(*out == fuzz::Expected(doc, clean, value));
  // Within what RenderDocument reserves, so the buffer holding values never reallocated.
  fuzz::Require(out->size() <=
                doc.size() + clean.references.size() *
                                 (value.size() * refs::kMaxExpansion + refs::kMaxFixedOverhead));
  fuzz::Require(refs::ScanDocument(*out, format, dialect).ok());
  return 0;
}
