// The HTTP client seam over libcurl, for outbound calls (Graph API sends, bot forwarding).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "common/clock.h"

namespace handoffd {

struct HttpResponse {
  /// HTTP status, or 0 when no response arrived (see timed_out / transport_error).
  int status = 0;
  std::string body;
  /// True when the request did not complete within the timeout (kept apart from other
  /// transport failures: STYLE.md habit 9).
  bool timed_out = false;
  /// curl's error text for connection failures, DNS errors, resets; empty when a response came.
  std::string transport_error;
};

/// One reusable connection (a curl easy handle, keep-alive). Not thread-safe: one per thread.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  /// POSTs `body` with the given headers ("Name" -> "value"). Never throws.
  virtual HttpResponse Post(const std::string& url,
                            const std::map<std::string, std::string>& headers,
                            const std::string& body) = 0;
  /// GETs `url`; the answer body is kept in memory (at most 8 MiB). Never throws.
  virtual HttpResponse Get(const std::string& url,
                           const std::map<std::string, std::string>& headers) = 0;
  /// GETs `url` and streams a 2xx body into the file `path` (created or truncated; never held
  /// in memory). More than `max_bytes` aborts the transfer with `too_large` set. Non-2xx bodies
  /// land in HttpResponse::body (at most 64 KiB), not in the file. Never throws.
  virtual HttpResponse GetToFile(const std::string& url,
                                 const std::map<std::string, std::string>& headers,
                                 const std::string& path, int64_t max_bytes, bool& too_large) = 0;
  /// POSTs multipart/form-data: each of `fields` as a text part, then the file at `path` as part
  /// `file` with the given media type and file name (streamed from disk). Never throws.
  virtual HttpResponse PostFile(const std::string& url,
                                const std::map<std::string, std::string>& headers,
                                const std::map<std::string, std::string>& fields,
                                const std::string& path, const std::string& mime_type,
                                const std::string& filename) = 0;
};

struct HttpClientOptions {
  Duration connect_timeout{5000};
  Duration total_timeout{15000};
};

/// A libcurl-backed client.
std::unique_ptr<HttpClient> MakeCurlHttpClient(const HttpClientOptions& options);

}  // namespace handoffd
