// A small JSON (RFC 8259) scanner that keeps raw offsets: it checks that the input is one JSON
// value and reports every string with its JSON pointer, without building a tree.
#ifndef SVAULT_REFS_JSON_SCAN_H_
#define SVAULT_REFS_JSON_SCAN_H_

#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "refs/decoded.h"

namespace svault::refs {

struct JsonString {
  bool is_key = false;
  const std::string* pointer = nullptr;  // of the string itself (a member's, for a key)
  size_t begin = 0;                      // content between the quotes, offsets into the input
  size_t end = 0;
};

// Deeper nesting than this is refused rather than recursed into.
inline constexpr int kMaxJsonDepth = 256;

// Checks that `input` is exactly one JSON value (whitespace around it allowed) and calls
// `on_string` for each string in document order. kBadRequest naming the byte offset otherwise.
Status ScanJson(std::string_view input, const std::function<void(const JsonString&)>& on_string);

// Whether `input` is one JSON value.
bool IsJson(std::string_view input);

// The unescaped content of a string that ScanJson accepted; offsets point into `input`.
Decoded DecodeJsonString(std::string_view input, size_t begin, size_t end);

}  // namespace svault::refs

#endif  // SVAULT_REFS_JSON_SCAN_H_
