#include "refs/grammar.h"

#include <algorithm>

#include "common/encoding.h"
#include "common/names.h"

namespace svault::refs {
namespace {

constexpr std::string_view kPrefix = "secrets.";
constexpr size_t kMaxReportedBytes = 64;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsKeyChar(char c) { return IsAlnum(c) || c == '/' || c == '.' || c == '_' || c == '-'; }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }

size_t SkipBlanks(std::string_view text, size_t i) {
  while (i < text.size() && IsBlank(text[i])) ++i;
  return i;
}

// A decimal version in [1, kMaxPinnedVersion] without leading zeros.
std::optional<uint64_t> ParseVersion(std::string_view digits) {
  if (digits.empty() || digits.size() > 12 || digits[0] == '0') return std::nullopt;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > kMaxPinnedVersion) return std::nullopt;
  return v;
}

// What stood where a key belonged, bounded and cut to whole UTF-8 characters, for reports.
std::string Reported(std::string_view text) {
  std::string out(text.substr(0, kMaxReportedBytes));
  while (!out.empty() && !IsValidUtf8(out)) out.pop_back();
  return out;
}

// Parses the reference whose `{{` is at `open`, when `secrets.` follows it. nullopt when the
// braces hold something else (left alone).
std::optional<Match> ParseAt(std::string_view text, size_t open) {
  const size_t start = SkipBlanks(text, open + 2);
  if (text.substr(start, kPrefix.size()) != kPrefix) return std::nullopt;

  size_t i = start + kPrefix.size();
  const size_t key_begin = i;
  while (i < text.size() && IsKeyChar(text[i])) ++i;
  const std::string_view key = text.substr(key_begin, i - key_begin);
  std::optional<uint64_t> version;
  bool ok = IsValidSecretKey(key);
  if (i < text.size() && text[i] == '@') {
    const size_t digits = ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    version = ParseVersion(text.substr(digits, i - digits));
    ok = ok && version.has_value();
  }
  i = SkipBlanks(text, i);
  if (ok && text.substr(i, 2) == "}}") {
    return Match{MatchKind::kReference, open, i + 2, std::string(key), version};
  }

  // Malformed: it ends at the next `}}` unless another `{{` comes first (an unclosed one).
  // (Both searches stop at the next `{{`, so a run of unclosed ones costs linear time.)
  const size_t next_open = std::min(text.find("{{", key_begin), text.size());
  const size_t close = text.substr(0, next_open).find("}}", key_begin);
  const bool closed = close != std::string_view::npos;
  const size_t end = closed ? close + 2 : next_open;
  const size_t key_end = closed ? close : end;
  return Match{MatchKind::kMalformed, open, end,
               Reported(text.substr(key_begin, key_end - key_begin)), std::nullopt};
}

}  // namespace

std::vector<Match> FindReferences(std::string_view text) {
  std::vector<Match> out;
  size_t pos = 0;   // where the search continues
  size_t done = 0;  // end of the last finding: backslashes before it are not counted
  while ((pos = text.find("{{", pos)) != std::string_view::npos) {
    size_t slashes = 0;
    while (pos - slashes > done && text[pos - slashes - 1] == '\\') ++slashes;
    if (slashes > 0) {
      Match escape{MatchKind::kEscape, pos - slashes + slashes / 2, pos, {}, {}, pos};
      done = pos;
      if (slashes % 2 == 1) {  // an escaped `{{`: literal text, and so is what it would open
        std::optional<Match> literal = ParseAt(text, pos);
        escape.covered_end = literal ? literal->end : pos + 2;
        out.push_back(std::move(escape));
        pos += 2;
        done = pos;
        continue;
      }
      out.push_back(std::move(escape));
    }
    std::optional<Match> found = ParseAt(text, pos);
    if (!found) {
      ++pos;  // `{{{`: the next brace may open a reference
      continue;
    }
    pos = done = found->end;
    out.push_back(std::move(*found));
  }
  return out;
}

void FindBareReferences(std::string_view text, size_t from, size_t to, BareKey kind,
                        std::vector<Match>& out) {
  const std::string_view gap = text.substr(0, to);  // never searched past `to`
  size_t pos = from;
  while ((pos = gap.find(kPrefix, pos)) != std::string_view::npos) {
    const bool glued =
        pos > 0 && (IsAlnum(text[pos - 1]) || text[pos - 1] == '_' || text[pos - 1] == '.');
    const size_t key_begin = pos + kPrefix.size();
    size_t end = key_begin;
    if (kind == BareKey::kFeelName) {
      while (end < to && (IsAlnum(text[end]) || text[end] == '_')) ++end;
    } else {
      // Segments of alphanumerics joined by single separators; a trailing separator stays.
      size_t i = key_begin;
      while (i < to && IsAlnum(text[i])) {
        while (i < to && IsAlnum(text[i])) ++i;
        end = i;
        if (i + 1 < to && IsKeyChar(text[i]) && !IsAlnum(text[i]) && IsAlnum(text[i + 1])) ++i;
      }
    }
    if (glued || end == key_begin) {
      pos = key_begin;
      continue;
    }
    const std::string_view key = text.substr(key_begin, end - key_begin);
    const MatchKind match_kind =
        IsValidSecretKey(key) ? MatchKind::kReference : MatchKind::kMalformed;
    out.push_back(Match{match_kind, pos, end,
                        match_kind == MatchKind::kReference ? std::string(key) : Reported(key),
                        std::nullopt});
    pos = end;
  }
}

std::optional<KeySpec> ParseKeySpec(std::string_view spec) {
  KeySpec out;
  const size_t at = spec.find('@');
  out.key = std::string(spec.substr(0, at));
  if (!IsValidSecretKey(out.key)) return std::nullopt;
  if (at != std::string_view::npos) {
    out.version = ParseVersion(spec.substr(at + 1));
    if (!out.version) return std::nullopt;
  }
  return out;
}

}  // namespace svault::refs
