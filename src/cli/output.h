// Human-readable output: tables, field lists, API errors. Everything the server sent is made
// printable first, so a description cannot drive the terminal with escape sequences.
#ifndef SVAULT_CLI_OUTPUT_H_
#define SVAULT_CLI_OUTPUT_H_

#include <boost/json/fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cli/request.h"
#include "common/secret.h"

namespace svault::cli {

// `text` with control characters (C0, DEL, C1) and bytes that are not UTF-8 shown as `\xNN`;
// everything else, including multi-byte UTF-8, as it is.
std::string Printable(std::string_view text);

// The width of `text` on a terminal, counted in code points.
size_t DisplayWidth(std::string_view text);

// Rows under a header, columns separated by two spaces and aligned; the last column is not padded.
// Cells are made Printable. Rows shorter than the header get empty cells.
std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows);

// How a JSON value reads in a table cell: strings as they are, null as "-", numbers and booleans
// as JSON, arrays joined by ",", objects as "k=v" joined by "," (sorted by key).
std::string ValueText(const boost::json::value& value);
// ValueText of `object[name]`, "-" when the field is missing.
std::string FieldText(const boost::json::object& object, std::string_view name);

// One table row per item of a list, one column per name in `columns` (headers are the names in
// upper case).
std::string FormatItems(const boost::json::array& items, const std::vector<std::string>& columns);

// Aligned "name  value" lines: the names in `order` first (when present), then the object's other
// fields in the server's order.
std::string FormatFields(const boost::json::object& object, const std::vector<std::string>& order);

// Replaces each occurrence of each `sensitive` string (of 4 bytes or more: shorter ones would match
// ordinary text) in `text` with "[redacted]".
std::string Redact(std::string_view text, const std::vector<SecretBytes>& sensitive);

// The lines that describe a failed answer (non-2xx), for stderr:
//   error: <code>: <message> (request_id <id>)
//     <field>: <reason>                            one line per detail
// An answer that is not the API's error shape is described by its HTTP status alone: its body is
// never shown. Every piece is redacted against `sensitive`, then made Printable.
std::string FormatApiError(const Response& response, const std::vector<SecretBytes>& sensitive);

}  // namespace svault::cli

#endif  // SVAULT_CLI_OUTPUT_H_
