// Errors as values. A Status carries one code from a small fixed set, a human message that never
// holds secret material, and optional structured details. The mapping from Code to HTTP status
// lives in exactly one place (api/errors.cc); nothing matches on message text.
#ifndef SVAULT_COMMON_STATUS_H_
#define SVAULT_COMMON_STATUS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace svault {

enum class Code {
  kOk,
  kBadRequest,        // body missing, empty or not parseable
  kUnauthenticated,   // token missing, unknown, expired or revoked
  kForbidden,         // token valid, capability or scope missing
  kNotFound,          // no such key, version or environment (within the caller's scope)
  kConflict,          // check-and-set mismatch, id taken
  kTooLarge,          // value or body over its limit
  kValidationFailed,  // wrong types, unknown fields, bad names
  kUnresolved,        // render or resolve could not complete
  kIntegrityError,    // stored data failed authentication
  kSealed,            // the vault holds no keys
  kUninitialized,     // the vault has never been initialised
  kUnavailable,       // audit file or store cannot be written (fail closed)
  kInternal,          // a bug or an unexpected system failure
};

// The wire name of a code ("validation_failed", ...).
std::string_view CodeName(Code code);

// Where a reference that could not be resolved or rendered stands (DESIGN.md §8).
struct ReferenceDetail {
  std::string key;
  std::optional<uint64_t> version;  // nullopt = unpinned
  std::optional<uint32_t> line;     // nullopt outside a document (batch resolve)
  std::optional<uint32_t> column;
  std::optional<std::string> element;
  std::optional<std::string> pointer;
};

// One entry of an error's details. For validation errors `field` is a JSON pointer; `reason`
// says what is wrong with it. For reference problems `reference` is set and `field` unused.
// Never holds a submitted value.
struct ErrorDetail {
  std::string field;
  std::string reason;
  std::optional<ReferenceDetail> reference = std::nullopt;
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string message, std::vector<ErrorDetail> details = {})
      : code_(code), message_(std::move(message)), details_(std::move(details)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<ErrorDetail>& details() const { return details_; }

  // "code: message", for logs and test failures.
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::vector<ErrorDetail> details_;
};

// Shorthands for the common codes.
Status BadRequest(std::string message);
Status Unauthenticated();
Status Forbidden();
Status NotFound(std::string message);
Status Conflict(std::string message);
Status TooLarge(std::string message);
Status Invalid(std::string field, std::string reason);
Status IntegrityError(std::string message);
Status Unavailable(std::string message);
Status Internal(std::string message);

// A value or an error. Access to value() on an error is a bug and aborts.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status)                      // NOLINT(google-explicit-constructor)
      : v_(std::in_place_type<Status>, NotOk(std::move(status))) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  Status take_status() && { return ok() ? Status() : std::move(std::get<Status>(v_)); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::move(std::get<T>(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  // An OK status carries no value: that is a bug in the caller, reported as an internal error.
  static Status NotOk(Status status) {
    if (status.ok()) return Status(Code::kInternal, "ok status without a value");
    return status;
  }

  std::variant<T, Status> v_;
};

}  // namespace svault

// Early-return helpers. The argument is evaluated once.
#define SVAULT_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::svault::Status svault_status_ = (expr);        \
    if (!svault_status_.ok()) return svault_status_; \
  } while (0)

#define SVAULT_CONCAT_INNER_(a, b) a##b
#define SVAULT_CONCAT_(a, b) SVAULT_CONCAT_INNER_(a, b)
#define SVAULT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).take_status(); \
  lhs = std::move(tmp).value()
#define SVAULT_ASSIGN_OR_RETURN(lhs, expr) \
  SVAULT_ASSIGN_OR_RETURN_IMPL_(SVAULT_CONCAT_(svault_result_, __LINE__), lhs, expr)

#endif  // SVAULT_COMMON_STATUS_H_
