// The one mapping from Status to HTTP: status numbers, the error body of API.md
// ({"error":{"code","message","details"?}}) and Retry-After. Every handler and httplib's own error
// paths (no route, body too large, malformed request) answer through SendError. Thread-safe (pure).
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace handoffd::http {

/// The HTTP status for an error code (the one place that picks numbers): kBadRequest 400,
/// kUnauthorized 401, kForbidden/kNotMember 403, kNotFound 404, kConflict/kAtCapacity/
/// kWindowClosed 409, kPayloadTooLarge 413, kUnsupportedMediaType 415, kRateLimited 429,
/// kInternal 500, kUnavailable 503; kOk 200.
int HttpStatusFor(ErrorCode code);

/// The code for an HTTP status that httplib produced on its own (404 no route, 413, 400, ...):
/// the inverse of HttpStatusFor; other 5xx are kInternal, other 4xx kBadRequest.
ErrorCode ErrorCodeForHttpStatus(int http_status);

/// {"error":{"code":"not_found","message":"...","details":{...}}}; "details" only when the status
/// carries any.
nlohmann::json ErrorJson(const Status& status);

/// Writes `body` as JSON (application/json) with `http_status`.
void SendJson(httplib::Response& res, int http_status, const nlohmann::json& body);

/// Writes the error body with the status HttpStatusFor picks, plus `Retry-After` (seconds) for
/// kRateLimited.
void SendError(httplib::Response& res, const Status& status);

}  // namespace handoffd::http
