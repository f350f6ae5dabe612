// Byte encodings used on the wire and in storage: hex, standard base64 (with padding), and
// UTF-8 validation. Decoders reject anything that is not exactly their alphabet.
#ifndef SVAULT_COMMON_ENCODING_H_
#define SVAULT_COMMON_ENCODING_H_

#include <optional>
#include <string>
#include <string_view>

namespace svault {

std::string HexEncode(std::string_view bytes);
std::optional<std::string> HexDecode(std::string_view hex);

std::string Base64Encode(std::string_view bytes);
// Strict: standard alphabet, padding required, no whitespace.
std::optional<std::string> Base64Decode(std::string_view text);

// True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view bytes);

// `n` random bytes from the system CSPRNG.
std::string RandomBytes(size_t n);
// A random identifier: `prefix` followed by `n` random bytes in lowercase hex.
std::string RandomId(std::string_view prefix, size_t n = 8);

}  // namespace svault

#endif  // SVAULT_COMMON_ENCODING_H_
