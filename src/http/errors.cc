#include "http/errors.h"

#include <string>

namespace handoffd::http {

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return 200;
    case ErrorCode::kBadRequest:
      return 400;
    case ErrorCode::kUnauthorized:
      return 401;
    case ErrorCode::kForbidden:
    case ErrorCode::kNotMember:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
    case ErrorCode::kAtCapacity:
    case ErrorCode::kWindowClosed:
      return 409;
    case ErrorCode::kPayloadTooLarge:
      return 413;
    case ErrorCode::kUnsupportedMediaType:
      return 415;
    case ErrorCode::kRateLimited:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

ErrorCode ErrorCodeForHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
      return ErrorCode::kBadRequest;
    case 401:
      return ErrorCode::kUnauthorized;
    case 403:
      return ErrorCode::kForbidden;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
      return ErrorCode::kConflict;
    case 413:
      return ErrorCode::kPayloadTooLarge;
    case 415:
      return ErrorCode::kUnsupportedMediaType;
    case 429:
      return ErrorCode::kRateLimited;
    case 503:
      return ErrorCode::kUnavailable;
    default:
      return http_status >= 500 ? ErrorCode::kInternal : ErrorCode::kBadRequest;
  }
}

nlohmann::json ErrorJson(const Status& status) {
  nlohmann::json error = {{"code", ErrorCodeName(status.code())}, {"message", status.message()}};
  if (!status.details().empty()) {
    nlohmann::json details = nlohmann::json::object();
    for (const ErrorDetail& d : status.details()) {
      std::visit([&](const auto& v) { details[d.key] = v; }, d.value);
    }
    error["details"] = std::move(details);
  }
  return {{"error", std::move(error)}};
}

void SendJson(httplib::Response& res, int http_status, const nlohmann::json& body) {
  res.status = http_status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void SendError(httplib::Response& res, const Status& status) {
  if (status.code() == ErrorCode::kRateLimited) {
    res.set_header("Retry-After", std::to_string(status.retry_after_seconds()));
  }
  SendJson(res, HttpStatusFor(status.code()), ErrorJson(status));
}

}  // namespace handoffd::http
