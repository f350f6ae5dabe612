#include "common/status.h"

namespace svault {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kBadRequest: return "bad_request";
    case Code::kUnauthenticated: return "unauthenticated";
    case Code::kForbidden: return "forbidden";
    case Code::kNotFound: return "not_found";
    case Code::kConflict: return "conflict";
    case Code::kTooLarge: return "too_large";
    case Code::kValidationFailed: return "validation_failed";
    case Code::kUnresolved: return "unresolved";
    case Code::kIntegrityError: return "integrity_error";
    case Code::kSealed: return "sealed";
    case Code::kUninitialized: return "uninitialized";
    case Code::kUnavailable: return "unavailable";
    case Code::kInternal: return "internal";
  }
  return "internal";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(CodeName(code_));
  out += ": ";
  out += message_;
  for (const ErrorDetail& d : details_) out += " [" + d.field + ": " + d.reason + "]";
  return out;
}

Status BadRequest(std::string message) { return {Code::kBadRequest, std::move(message)}; }
Status Unauthenticated() { return {Code::kUnauthenticated, "missing or invalid token"}; }
Status Forbidden() { return {Code::kForbidden, "permission denied"}; }
Status NotFound(std::string message) { return {Code::kNotFound, std::move(message)}; }
Status Conflict(std::string message) { return {Code::kConflict, std::move(message)}; }
Status TooLarge(std::string message) { return {Code::kTooLarge, std::move(message)}; }
Status Invalid(std::string field, std::string reason) {
  std::string message = "invalid " + (field.empty() ? std::string("request") : field);
  return {Code::kValidationFailed, std::move(message), {{std::move(field), std::move(reason)}}};
}
Status IntegrityError(std::string message) { return {Code::kIntegrityError, std::move(message)}; }
Status Unavailable(std::string message) { return {Code::kUnavailable, std::move(message)}; }
Status Internal(std::string message) { return {Code::kInternal, std::move(message)}; }

}  // namespace svault
