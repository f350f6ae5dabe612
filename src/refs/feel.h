// Just enough of FEEL (the expression language of Camunda attributes that start with `=`) to
// tell string literals from code, and to read and write string literals.
#ifndef SVAULT_REFS_FEEL_H_
#define SVAULT_REFS_FEEL_H_

#include <string_view>
#include <vector>

#include "refs/decoded.h"

namespace svault::refs {

struct FeelSpan {
  bool literal = false;  // a string literal: [begin, end) is between the quotes
  bool comment = false;  // a `//` or `/* */` comment
  size_t begin = 0;
  size_t end = 0;
};

// Splits an expression into code, string literals and comments, in order. An unterminated
// literal or block comment runs to the end.
std::vector<FeelSpan> SplitFeel(std::string_view expression);

// The value of the literal whose content is expression[begin, end); offsets point into
// `expression`. Escapes: \" \\ \' \n \r \t \uXXXX (with surrogate pairs); any other backslash
// stays as it is.
Decoded DecodeFeelString(std::string_view expression, size_t begin, size_t end);

}  // namespace svault::refs

#endif  // SVAULT_REFS_FEEL_H_
