#include "refs/builder.h"

#include <algorithm>

namespace svault::refs {

void Builder::Add(const Decoded& decoded, const std::vector<Match>& matches, const Site& site) {
  for (const Match& m : matches) {
    const size_t raw_begin = decoded.RawAt(m.begin);
    const size_t raw_end = decoded.RawAt(m.end);
    if (m.kind == MatchKind::kEscape) {
      if (!site.code) scan_.deletions.push_back(Deletion{raw_begin, raw_end});
      continue;
    }
    Reference ref;
    ref.key = m.key;
    ref.version = m.version;
    ref.location = LocationOf(raw_begin);
    if (site.element != nullptr) ref.element = *site.element;
    if (site.pointer != nullptr) ref.pointer = *site.pointer;
    ref.context = site.context;
    ref.quote = site.quote;
    ref.raw_begin = raw_begin;
    ref.raw_end = raw_end;
    if (m.kind == MatchKind::kMalformed) {
      scan_.problems.push_back(ProblemFor(ref, Reason::kMalformed));
    } else if (site.refused) {
      scan_.problems.push_back(ProblemFor(ref, Reason::kUnsafeContext));
    } else {
      scan_.references.push_back(std::move(ref));
    }
  }
}

Scan Builder::Finish() {
  auto by_raw = [](const auto& a, const auto& b) { return a.raw_begin < b.raw_begin; };
  std::sort(scan_.references.begin(), scan_.references.end(), by_raw);
  std::sort(scan_.deletions.begin(), scan_.deletions.end(), by_raw);
  SortByLocation(scan_.problems);
  return std::move(scan_);
}

Location Builder::LocationOf(size_t raw) {
  if (line_starts_.empty()) {
    line_starts_.push_back(0);
    for (size_t nl = doc_.find('\n'); nl != std::string_view::npos; nl = doc_.find('\n', nl + 1)) {
      line_starts_.push_back(nl + 1);
    }
  }
  const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), raw) - 1;
  return Location{static_cast<uint32_t>(it - line_starts_.begin() + 1),
                  static_cast<uint32_t>(raw - *it + 1)};
}

void AddBareReferences(std::string_view text, size_t from, size_t to, BareKey kind,
                       std::vector<Match>& matches) {
  std::vector<std::pair<size_t, size_t>> taken;
  for (const Match& m : matches) taken.emplace_back(m.begin, std::max(m.end, m.covered_end));
  std::sort(taken.begin(), taken.end());
  size_t gap = from;
  for (const auto& [begin, end] : taken) {
    if (begin > gap) FindBareReferences(text, gap, std::min(begin, to), kind, matches);
    gap = std::max(gap, end);
  }
  if (gap < to) FindBareReferences(text, gap, to, kind, matches);
}

}  // namespace svault::refs
