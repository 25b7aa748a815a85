// Error values used at every module boundary: Status (an error code plus a message) and Result<T>
// (a value or a Status). Exceptions from SOCI, libcurl or JSON parsing stop at the adapter that
// raised them and come out as one of these codes.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace handoffd {

/// Canonical error codes. Each maps to exactly one HTTP status in src/http/errors.cc.
enum class ErrorCode {
  kOk,
  kBadRequest,       // 400: the caller's input is wrong; retrying it unchanged will fail again.
  kUnauthorized,     // 401: missing or invalid credentials or signature.
  kForbidden,        // 403: authenticated, but the role does not allow it.
  kNotFound,         // 404: no such object.
  kConflict,         // 409: the object is not in a state that allows it (e.g. session ended).
  kPayloadTooLarge,  // 413
  kUnavailable,      // 503: a dependency (database) failed; retrying later may succeed.
  kInternal,         // 500: a bug.
};

/// Stable lower-case name of a code as used in JSON error bodies ("not_found", ...).
const char* ErrorCodeName(ErrorCode code);

/// An error code and a human-readable, one-line message. Default-constructed is OK.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status BadRequest(std::string m) { return {ErrorCode::kBadRequest, std::move(m)}; }
  static Status Unauthorized(std::string m) { return {ErrorCode::kUnauthorized, std::move(m)}; }
  static Status Forbidden(std::string m) { return {ErrorCode::kForbidden, std::move(m)}; }
  static Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Status Conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
  static Status Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  /// "not_found: session 7 not found" (or "ok").
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

/// Either a T or a non-OK Status. Access value() only when ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace handoffd

/// Returns from the enclosing function when `expr` (a Status) is not OK.
#define HANDOFFD_RETURN_IF_ERROR(expr) \
  do {                                 \
    ::handoffd::Status _st = (expr);   \
    if (!_st.ok()) return _st;         \
  } while (0)
