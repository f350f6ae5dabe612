// Reading secret values (never from argv) and encoding them for the API.
#ifndef SVAULT_CLI_VALUE_INPUT_H_
#define SVAULT_CLI_VALUE_INPUT_H_

#include <boost/json/fwd.hpp>
#include <cstddef>
#include <istream>
#include <string>
#include <string_view>

#include "common/secret.h"
#include "common/status.h"

namespace svault::cli {

// The most the CLI reads for one value: the server's default body limit. The server's value
// limit is lower and decides (413); this bound only keeps an endless input from filling memory.
inline constexpr size_t kMaxValueBytes = 4u << 20;

// The whole content of `path`, byte-exactly (NUL, CR, invalid UTF-8 included). kBadRequest when
// the file cannot be read or holds more than `max_bytes`. Intermediate buffers are wiped.
Result<SecretBytes> ReadFileBytes(const std::string& path, size_t max_bytes = kMaxValueBytes);

// Everything up to the end of `in`, byte-exactly, under the same bound.
Result<SecretBytes> ReadStreamBytes(std::istream& in, size_t max_bytes = kMaxValueBytes);

// Writes `prompt` to stderr and reads one line from the terminal on stdin with echo off; the
// line's newline is dropped, nothing else. The terminal is restored afterwards, also when
// SIGINT, SIGTERM, SIGHUP or SIGQUIT arrives meanwhile. kBadRequest when stdin is not a terminal
// or ends before a line. A terminal line holds at most about 4 KiB: use --file for more.
Result<SecretBytes> PromptNoEcho(std::string_view prompt);

// Appends `text` (valid UTF-8) as a JSON string literal, quotes included.
void AppendJsonString(std::string& out, std::string_view text);

// The JSON body of a value write: `{"value": ...}` when the bytes are valid UTF-8, else
// `{"value_base64": ...}`, followed by the fields of `metadata`. Built in buffers that are wiped.
SecretBytes BuildValueBody(const SecretBytes& value, const boost::json::object& metadata);

// Overwrites a JSON string in place (a revealed value or a token in a parsed answer).
void WipeJsonString(boost::json::string& text);

}  // namespace svault::cli

#endif  // SVAULT_CLI_VALUE_INPUT_H_
