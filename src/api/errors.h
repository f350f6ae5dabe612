// The one place where a Status becomes an HTTP status and the error body of DESIGN.md §8:
//   {"error": {"code", "message", "details": [...]}, "request_id"}
#ifndef SVAULT_API_ERRORS_H_
#define SVAULT_API_ERRORS_H_

#include <string_view>

#include "api/http_types.h"
#include "common/status.h"

namespace svault::api {

int HttpStatusFor(Code code);

// The error response for `status` (which must not be OK).
HttpResponse ErrorResponse(const Status& status, std::string_view request_id);

}  // namespace svault::api

#endif  // SVAULT_API_ERRORS_H_
