// Writing a value where a reference stood, escaped for the reference's context (the table in
// DESIGN.md §3). Values are appended piece by piece to the output, never copied elsewhere.
#ifndef SVAULT_REFS_ENCODE_H_
#define SVAULT_REFS_ENCODE_H_

#include <string>
#include <string_view>

#include "refs/document.h"

namespace svault::refs {

// Whether `value` can be carried in `context`: json and xml need valid UTF-8, xml refuses the
// characters XML 1.0 forbids (unless an inner JSON or FEEL layer escapes them), CDATA refuses
// CR, env refuses NUL.
bool CanEncode(Context context, std::string_view value);

// The largest number of output bytes one value byte can become, and the most bytes a value adds
// besides (the sections around a CDATA value: 2 x `]]><![CDATA[`).
inline constexpr size_t kMaxExpansion = 12;
inline constexpr size_t kMaxFixedOverhead = 24;

// How many bytes AppendEncoded would append.
size_t EncodedSize(Context context, char quote, std::string_view value);

// Appends `value` escaped for `context` (CanEncode must hold). `quote` is the attribute's quote
// for the XML attribute contexts.
void AppendEncoded(Context context, char quote, std::string_view value, std::string& out);

}  // namespace svault::refs

#endif  // SVAULT_REFS_ENCODE_H_
