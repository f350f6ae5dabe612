// The reference grammar of DESIGN.md §3, applied to decoded text. One grammar serves every
// format and every path (listing, validation, rendering, batch resolve, the CLI): the format
// scanners decode a piece of a document and hand it here; this file never sees raw bytes.
#ifndef SVAULT_REFS_GRAMMAR_H_
#define SVAULT_REFS_GRAMMAR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace svault::refs {

// The largest version a reference may pin.
inline constexpr uint64_t kMaxPinnedVersion = 999'999'999'999ULL;

enum class MatchKind {
  kReference,  // a well-formed reference
  kMalformed,  // `{{secrets.` followed by something that is not a key, pin and `}}`
  kEscape,     // backslashes before `{{`: [begin, end) is the part that goes
};

// One finding in a decoded string. Offsets are into that string.
struct Match {
  MatchKind kind = MatchKind::kReference;
  size_t begin = 0;
  size_t end = 0;
  std::string key;                  // kReference: the key; kMalformed: what stood there (bounded)
  std::optional<uint64_t> version;  // a pin, when there is one
  size_t covered_end = 0;           // kEscape of a literal `{{`: where the text it protects ends
};

// Finds `{{secrets.KEY}}` references (spaces or tabs inside the braces, optional `@N`), the
// malformed ones, and escapes, in order. A run of n backslashes right before `{{` keeps n/2 of
// them; when n is odd the `{{` is literal text and is not looked at further. Any other `{{…}}`
// is left alone.
std::vector<Match> FindReferences(std::string_view text);

// How the older bare form `secrets.KEY` ends (dialect=camunda only).
enum class BareKey {
  kKeyGrammar,  // the longest prefix that follows the §2 key grammar (plain attribute values)
  kFeelName,    // the longest [A-Za-z0-9_]+ run (FEEL code, where `secrets.A-B` subtracts)
};

// Finds bare references in `text`, never right after a letter, digit, `_` or `.`. Only the
// parts of `text` in [from, to) are looked at.
void FindBareReferences(std::string_view text, size_t from, size_t to, BareKey kind,
                        std::vector<Match>& out);

// Parses "KEY" or "KEY@N" (the batch resolve form). nullopt when malformed.
struct KeySpec {
  std::string key;
  std::optional<uint64_t> version;
};
std::optional<KeySpec> ParseKeySpec(std::string_view spec);

}  // namespace svault::refs

#endif  // SVAULT_REFS_GRAMMAR_H_
