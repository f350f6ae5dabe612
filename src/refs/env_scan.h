// A .env file as lines of NAME=value (optionally `export NAME=value`), blank lines and `#`
// comments. Values are unquoted (up to a ` #` comment or the line end), double-quoted (escapes
// \\ \" \$ \` \n; may span lines) or single-quoted (literal; may span lines).
#ifndef SVAULT_REFS_ENV_SCAN_H_
#define SVAULT_REFS_ENV_SCAN_H_

#include <string_view>
#include <vector>

#include "common/status.h"
#include "refs/decoded.h"

namespace svault::refs {

struct EnvPiece {
  enum class Kind {
    kName,          // the variable name
    kUnquoted,      // a whole unquoted value, trimmed
    kDoubleQuoted,  // between the double quotes
    kSingleQuoted,  // between the single quotes
    kTrailing,      // text after a closing quote that is not a comment
  };
  Kind kind = Kind::kName;
  size_t begin = 0;
  size_t end = 0;
};

// Splits `doc` into pieces, in order. kBadRequest (with the line) for a line that is not a
// comment, blank or NAME=value, or an unterminated quoted value.
Status ScanEnv(std::string_view doc, std::vector<EnvPiece>& out);

// The content of a double-quoted value with its escapes resolved; offsets point into `doc`.
Decoded DecodeEnvQuoted(std::string_view doc, size_t begin, size_t end);

}  // namespace svault::refs

#endif  // SVAULT_REFS_ENV_SCAN_H_
