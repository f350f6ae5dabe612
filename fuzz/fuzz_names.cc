// Fuzzes the name grammars of DESIGN.md §2 (common/names.h). The input is split at its first NUL
// into a pattern and a key; each part, and the whole input, also goes through every validator.
// A broken property traps, so libFuzzer reports it as a crash.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/names.h"

namespace svault::fuzz {
namespace {

void Require(bool condition) {
  if (!condition) __builtin_trap();
}

bool IsSeparator(char c) { return c == '/' || c == '.' || c == '_' || c == '-'; }

// An independent glob matcher (plain backtracking) to check KeyPatternMatches against. Its cost
// grows as key_size^stars, so callers keep it to small inputs.
bool ReferenceMatch(std::string_view pattern, std::string_view key) {
  if (pattern.empty()) return key.empty();
  if (pattern.starts_with("**")) {
    for (size_t i = 0; i <= key.size(); ++i) {
      if (ReferenceMatch(pattern.substr(2), key.substr(i))) return true;
    }
    return false;
  }
  if (pattern.front() == '*') {
    for (size_t i = 0; i <= key.size(); ++i) {
      if (i > 0 && key[i - 1] == '/') return false;
      if (ReferenceMatch(pattern.substr(1), key.substr(i))) return true;
    }
    return false;
  }
  return !key.empty() && pattern.front() == key.front() &&
         ReferenceMatch(pattern.substr(1), key.substr(1));
}

// A valid key holds only segment characters and single separators between segments.
void CheckKey(std::string_view key) {
  Require(!key.empty() && key.size() <= kMaxKeyBytes);
  Require(key.find('%') == std::string_view::npos);
  Require(key.find("//") == std::string_view::npos);
  Require(!IsSeparator(key.front()) && !IsSeparator(key.back()));
  for (size_t i = 1; i < key.size(); ++i) {
    Require(!(IsSeparator(key[i - 1]) && IsSeparator(key[i])));
  }

  // Every start of a key is a prefix; the key itself is a pattern, which matches it.
  for (size_t n = 0; n <= key.size(); ++n) Require(IsValidKeyPrefix(key.substr(0, n)));
  Require(IsValidKeyPattern(key));
  Require(KeyPatternMatches(key, key));
  Require(KeyPatternMatches("**", key));
  Require(KeyPatternMatches("*", key) == (key.find('/') == std::string_view::npos));
}

void CheckPrefix(std::string_view prefix) {
  Require(prefix.size() <= kMaxKeyBytes);
  Require(prefix.find('%') == std::string_view::npos);
  Require(prefix.find("//") == std::string_view::npos);
  // A prefix that does not end in a separator is a whole key.
  if (!prefix.empty() && !IsSeparator(prefix.back())) Require(IsValidSecretKey(prefix));
}

// Every star replaced by one segment character gives a key the pattern matches.
void CheckPattern(std::string_view pattern) {
  Require(!pattern.empty() && pattern.size() <= kMaxKeyBytes);
  Require(pattern.find("***") == std::string_view::npos);
  std::string filled(pattern);
  for (char& c : filled) c = c == '*' ? 'x' : c;
  Require(IsValidSecretKey(filled));
  Require(KeyPatternMatches(pattern, filled));
}

// An environment id is a DNS label; without a doubled '-' it is also a valid key.
void CheckEnvironmentId(std::string_view id) {
  Require(!id.empty() && id.size() <= 63);
  Require(id.front() != '-' && id.back() != '-');
  for (char c : id) Require((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (id.find("--") == std::string_view::npos) Require(IsValidSecretKey(id));
}

int64_t UnitSeconds(char unit) {
  switch (unit) {
    case 's': return 1;
    case 'm': return 60;
    case 'h': return 3600;
    default: return 86400;
  }
}

// A parsed TTL is exactly digits × unit; anything not `digits unit` is refused.
void CheckTtl(std::string_view ttl) {
  std::optional<int64_t> seconds = ParseTtlSeconds(ttl);
  const bool shaped =
      ttl.size() >= 2 && std::string_view("smhd").find(ttl.back()) != std::string_view::npos;
  unsigned __int128 digits = 0;
  bool all_digits = shaped;
  for (char c : ttl.substr(0, ttl.empty() ? 0 : ttl.size() - 1)) {
    all_digits = all_digits && c >= '0' && c <= '9';
    if (all_digits && digits < (unsigned __int128)1 << 100) digits = digits * 10 + (c - '0');
  }
  if (!all_digits) {
    Require(!seconds);
    return;
  }
  const unsigned __int128 expected = digits * UnitSeconds(ttl.back());
  if (digits == 0) Require(!seconds);
  // Up to a hundred years every well-formed duration is accepted.
  if (digits > 0 && expected <= 100ULL * 366 * 86400) Require(seconds.has_value());
  if (seconds) Require(*seconds > 0 && static_cast<unsigned __int128>(*seconds) == expected);
}

void CheckOne(std::string_view text) {
  if (IsValidSecretKey(text)) CheckKey(text);
  if (IsValidKeyPrefix(text)) CheckPrefix(text);
  if (IsValidKeyPattern(text)) CheckPattern(text);
  if (IsValidEnvironmentId(text)) CheckEnvironmentId(text);
  CheckTtl(text);
}

// Both sides valid, as the product calls it (a token's pattern against a requested key).
void CheckMatch(std::string_view pattern, std::string_view key) {
  if (!IsValidKeyPattern(pattern) || !IsValidSecretKey(key)) return;
  const bool matches = KeyPatternMatches(pattern, key);
  if (pattern.find('*') == std::string_view::npos) Require(matches == (pattern == key));
  size_t stars = 0;
  for (char c : pattern) stars += c == '*';
  if (stars <= 3 && key.size() <= 64) Require(matches == ReferenceMatch(pattern, key));
}

}  // namespace
}  // namespace svault::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view pattern = input.substr(0, nul);
  const std::string_view key =
      nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);

  svault::fuzz::CheckOne(input);
  svault::fuzz::CheckOne(pattern);
  svault::fuzz::CheckOne(key);
  svault::fuzz::CheckMatch(pattern, key);
  return 0;
}
