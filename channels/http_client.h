// The HTTP client seam over libcurl, for outbound calls (Graph API sends, bot forwarding).
#pragma once

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
};

struct HttpClientOptions {
  Duration connect_timeout{5000};
  Duration total_timeout{15000};
};

/// A libcurl-backed client.
std::unique_ptr<HttpClient> MakeCurlHttpClient(const HttpClientOptions& options);

}  // namespace handoffd
