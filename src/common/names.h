// The name grammars of DESIGN.md §2, shared by the API, the CLI and (later) references. A name
// that breaks a rule is rejected as it stands: nothing is trimmed, decoded or rewritten.
#ifndef SVAULT_COMMON_NAMES_H_
#define SVAULT_COMMON_NAMES_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace svault {

inline constexpr size_t kMaxKeyBytes = 256;

// `[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?`.
bool IsValidEnvironmentId(std::string_view id);

// Segments of `[A-Za-z0-9]+` joined by single `/`, `.`, `_` or `-`; 1..256 bytes.
bool IsValidSecretKey(std::string_view key);

// A prefix for listing: empty, or the start of some valid key (so it may end in a separator
// but holds nothing a key cannot, e.g. no `%` and no doubled separator).
bool IsValidKeyPrefix(std::string_view prefix);

// A key pattern for runtime tokens: a key in which whole segments (between `/`) or parts of
// them may be `*` (any run of characters within one `/` segment) or `**` (any run, `/` too).
bool IsValidKeyPattern(std::string_view pattern);
// True when `key` matches `pattern` (both assumed valid).
bool KeyPatternMatches(std::string_view pattern, std::string_view key);

// A duration such as `90s`, `15m`, `24h` or `7d`: a positive integer and one unit.
std::optional<int64_t> ParseTtlSeconds(std::string_view ttl);

}  // namespace svault

#endif  // SVAULT_COMMON_NAMES_H_
