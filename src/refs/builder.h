// Internal to src/refs: collects what the format scanners find into a Scan.
#ifndef SVAULT_REFS_BUILDER_H_
#define SVAULT_REFS_BUILDER_H_

#include <string>
#include <string_view>
#include <vector>

#include "refs/decoded.h"
#include "refs/document.h"
#include "refs/grammar.h"

namespace svault::refs {

// Where a piece of decoded text sits in its document.
struct Site {
  Context context = Context::kText;
  char quote = '"';
  const std::string* element = nullptr;
  const std::string* pointer = nullptr;
  bool refused = false;  // references here are `unsafe_context` problems
  bool code = false;     // and escapes are left alone too (code, JSON keys, literal strings)
};

class Builder {
 public:
  explicit Builder(std::string_view doc) : doc_(doc) {}

  // Records `matches` (offsets into `decoded`) found at `site`.
  void Add(const Decoded& decoded, const std::vector<Match>& matches, const Site& site);

  // The scan, references and deletions in document order, problems by location.
  Scan Finish();

 private:
  Location LocationOf(size_t raw);

  std::string_view doc_;
  std::vector<size_t> line_starts_;  // built on first use
  Scan scan_;
};

// Adds the bare references (dialect=camunda) of text[from, to) that lie outside `matches`.
void AddBareReferences(std::string_view text, size_t from, size_t to, BareKey kind,
                       std::vector<Match>& matches);

}  // namespace svault::refs

#endif  // SVAULT_REFS_BUILDER_H_
