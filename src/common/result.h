// Error values used at every module boundary: Status (an error code, a message and optional
// structured details) and Result<T> (a value or a Status). Exceptions from SOCI, libcurl or JSON
// parsing stop at the adapter that raised them and come out as one of these codes.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace handoffd {

/// Canonical error codes. Each maps to exactly one HTTP status and one JSON `code` name in
/// src/http/errors.cc (the API.md error table).
enum class ErrorCode {
  kOk,
  kBadRequest,       // 400: the caller's input is wrong; retrying it unchanged will fail again.
  kUnauthorized,     // 401: missing or invalid credentials or signature.
  kForbidden,        // 403: authenticated, but the role does not allow it.
  kNotMember,        // 403: the agent is not in the session's team.
  kNotFound,         // 404: no such object.
  kConflict,         // 409: the object is not in a state that allows it (e.g. session ended).
  kAtCapacity,       // 409: the agent already holds max_chats chats.
  kWindowClosed,     // 409: WhatsApp's 24-hour customer service window is closed.
  kPayloadTooLarge,  // 413
  kUnsupportedMediaType,  // 415
  kRateLimited,           // 429: over a rate limit; Status::retry_after_seconds says when to retry.
  kUnavailable,           // 503: a dependency (database) failed; retrying later may succeed.
  kInternal,              // 500: a bug (a programming error, never retried by the caller).
};

/// Stable lower-case name of a code as used in JSON error bodies ("not_found", ...).
const char* ErrorCodeName(ErrorCode code);

/// One structured detail of an error, rendered into `error.details` of the JSON body (e.g. the
/// winner of a lost assignment race: {"agent_id": 7, "agent_name": "Ana"}).
struct ErrorDetail {
  std::string key;
  std::variant<int64_t, std::string> value;
};

/// An error code, a human-readable one-line message and optional details. Default-constructed is
/// OK. Copyable value type; not synchronised (like std::string).
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
  /// kRateLimited with the number of seconds after which a retry may succeed (>= 1).
  static Status RateLimited(std::string m, int retry_after_seconds) {
    Status s{ErrorCode::kRateLimited, std::move(m)};
    s.retry_after_seconds_ = retry_after_seconds < 1 ? 1 : retry_after_seconds;
    return s;
  }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<ErrorDetail>& details() const { return details_; }
  /// Seconds for the Retry-After header; 0 when not rate limited.
  int retry_after_seconds() const { return retry_after_seconds_; }
  /// Adds a structured detail; returns *this for chaining.
  Status& WithDetail(std::string key, std::variant<int64_t, std::string> value) {
    details_.push_back({std::move(key), std::move(value)});
    return *this;
  }
  /// "not_found: session 7 not found" (or "ok").
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  std::vector<ErrorDetail> details_;
  int retry_after_seconds_ = 0;
};

/// Either a T or a non-OK Status. Access value() only when ok(). Built from an OK Status (a
/// programming error: there is no value), it holds kInternal instead, in every build type.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status)                      // NOLINT: implicit by design
      : v_(status.ok() ? Status::Internal("Result built from an OK status") : std::move(status)) {}

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

namespace internal {
inline Status AsStatus(Status s) { return s; }
template <typename T>
Status AsStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace handoffd

/// Returns from the enclosing function when `expr` (a Status, or a Result whose value is not
/// needed) is not OK.
#define HANDOFFD_RETURN_IF_ERROR(expr)                             \
  do {                                                             \
    ::handoffd::Status _st = ::handoffd::internal::AsStatus(expr); \
    if (!_st.ok()) return _st;                                     \
  } while (0)

#define HANDOFFD_CONCAT_INNER_(a, b) a##b
#define HANDOFFD_CONCAT_(a, b) HANDOFFD_CONCAT_INNER_(a, b)
#define HANDOFFD_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()

/// Evaluates `expr` (a Result<T>); returns its Status from the enclosing function when it is an
/// error, else assigns or declares `lhs` from the value:
///   HANDOFFD_ASSIGN_OR_RETURN(auto session, tx.LockSession(id));
#define HANDOFFD_ASSIGN_OR_RETURN(lhs, expr) \
  HANDOFFD_ASSIGN_OR_RETURN_IMPL_(HANDOFFD_CONCAT_(_handoffd_result_, __LINE__), lhs, expr)
