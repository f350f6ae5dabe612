#include "common/names.h"

#include <cstdint>
#include <limits>
#include <vector>

namespace svault {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
bool IsKeySeparator(char c) { return c == '/' || c == '.' || c == '_' || c == '-'; }

// Checks the segment/separator alternation. `allow_trailing_separator` admits prefixes.
bool CheckKeyShape(std::string_view s, bool allow_trailing_separator) {
  bool previous_was_separator = true;  // a leading separator counts as doubled
  for (char c : s) {
    if (IsAlnum(c)) {
      previous_was_separator = false;
    } else if (IsKeySeparator(c)) {
      if (previous_was_separator) return false;
      previous_was_separator = true;
    } else {
      return false;
    }
  }
  return allow_trailing_separator || !previous_was_separator;
}

}  // namespace

bool IsValidEnvironmentId(std::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  if (!IsLowerAlnum(id.front()) || !IsLowerAlnum(id.back())) return false;
  for (char c : id) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

bool IsValidSecretKey(std::string_view key) {
  return !key.empty() && key.size() <= kMaxKeyBytes && CheckKeyShape(key, false);
}

bool IsValidKeyPrefix(std::string_view prefix) {
  return prefix.empty() || (prefix.size() <= kMaxKeyBytes && CheckKeyShape(prefix, true));
}

bool IsValidKeyPattern(std::string_view pattern) {
  if (pattern.empty() || pattern.size() > kMaxKeyBytes) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '*') {
      if (i + 2 < pattern.size() && pattern[i + 1] == '*' && pattern[i + 2] == '*') {
        return false;  // three stars in a row have no meaning
      }
      continue;
    }
    if (!IsAlnum(c) && !IsKeySeparator(c)) return false;
    if (IsKeySeparator(c)) {
      const bool at_edge = i == 0 || i + 1 == pattern.size();
      if (at_edge || IsKeySeparator(pattern[i - 1])) return false;
    }
  }
  return true;
}

bool KeyPatternMatches(std::string_view pattern, std::string_view key) {
  // Dynamic programming over (pattern position, key position): match[p][k] says whether
  // pattern[p:] matches key[k:]. Patterns and keys are at most 256 bytes.
  const size_t np = pattern.size();
  const size_t nk = key.size();
  std::vector<uint8_t> match((np + 1) * (nk + 1), 0);
  auto at = [&](size_t p, size_t k) -> uint8_t& { return match[p * (nk + 1) + k]; };
  at(np, nk) = 1;
  for (size_t p = np; p-- > 0;) {
    const bool double_star = pattern[p] == '*' && p + 1 < np && pattern[p + 1] == '*';
    const size_t next = double_star ? p + 2 : p + 1;  // the second star's row goes unused
    for (size_t k = nk + 1; k-- > 0;) {
      if (pattern[p] == '*') {
        // Either the star matches nothing more, or it eats key[k] and stays.
        bool ok = at(next, k);
        if (!ok && k < nk && (double_star || key[k] != '/')) ok = at(p, k + 1);
        at(p, k) = ok;
      } else {
        at(p, k) = k < nk && pattern[p] == key[k] && at(p + 1, k + 1);
      }
    }
  }
  return at(0, 0) == 1;
}

std::optional<int64_t> ParseTtlSeconds(std::string_view ttl) {
  if (ttl.size() < 2) return std::nullopt;
  int64_t unit = 0;
  switch (ttl.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return std::nullopt;
  }
  int64_t n = 0;
  for (char c : ttl.substr(0, ttl.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    if (n > std::numeric_limits<int64_t>::max() / 10 / 86400) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  // The digit bound keeps n itself in range, not n * unit: up to 106751991167309d passes it.
  if (n <= 0 || n > std::numeric_limits<int64_t>::max() / unit) return std::nullopt;
  return n * unit;
}

}  // namespace svault
