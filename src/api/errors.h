// The one place where a Status becomes an HTTP status and the error body of DESIGN.md §8:
//   {"error": {"code", "message", "details": [...]}, "request_id"}
#ifndef SVAULT_API_ERRORS_H_
#define SVAULT_API_ERRORS_H_

#include <boost/json/object.hpp>
#include <string_view>

#include "api/http_types.h"
#include "common/status.h"

namespace svault::api {

int HttpStatusFor(Code code);

// A reference as listings and errors show it: {key, version, line, column, element, pointer},
// plus `reason` when it is not empty.
boost::json::object ReferenceDetailJson(const ReferenceDetail& ref, std::string_view reason);

// The error response for `status` (which must not be OK). `extra` adds top-level fields beside
// "error" and "request_id" (an unseal answer keeps the seal-status shape even when it fails).
HttpResponse ErrorResponse(const Status& status, std::string_view request_id,
                           boost::json::object extra = {});

}  // namespace svault::api

#endif  // SVAULT_API_ERRORS_H_
