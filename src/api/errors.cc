#include "api/errors.h"

#include <boost/json.hpp>

namespace svault::api {

boost::json::object ReferenceDetailJson(const ReferenceDetail& ref, std::string_view reason) {
  auto optional = [](const auto& v) -> boost::json::value {
    if (v) return boost::json::value_from(*v);
    return nullptr;
  };
  // A malformed key in a batch is never echoed: it may be anything, a pasted value included.
  boost::json::object o{
      {"key", ref.key.empty() ? boost::json::value(nullptr) : boost::json::value(ref.key)},
      {"version", optional(ref.version)},
      {"line", optional(ref.line)},
      {"column", optional(ref.column)},
      {"element", optional(ref.element)},
      {"pointer", optional(ref.pointer)}};
  if (!reason.empty()) o["reason"] = reason;
  return o;
}

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kBadRequest: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kForbidden: return 403;
    case Code::kNotFound: return 404;
    case Code::kConflict: return 409;
    case Code::kTooLarge: return 413;
    case Code::kValidationFailed: return 422;
    case Code::kUnresolved: return 422;
    case Code::kIntegrityError: return 500;
    case Code::kSealed: return 503;
    case Code::kUninitialized: return 503;
    case Code::kUnavailable: return 503;
    case Code::kInternal: return 500;
  }
  return 500;
}

HttpResponse ErrorResponse(const Status& status, std::string_view request_id,
                           boost::json::object extra) {
  boost::json::array details;
  for (const ErrorDetail& d : status.details()) {
    details.push_back(d.reference ? ReferenceDetailJson(*d.reference, d.reason)
                                  : boost::json::object{{"field", d.field}, {"reason", d.reason}});
  }
  boost::json::object error{{"code", CodeName(status.code())},
                            {"message", status.message()},
                            {"details", std::move(details)}};
  boost::json::object body = std::move(extra);
  body["error"] = std::move(error);
  body["request_id"] = request_id;

  HttpResponse response;
  response.status = HttpStatusFor(status.code());
  response.body = boost::json::serialize(body);
  return response;
}

}  // namespace svault::api
