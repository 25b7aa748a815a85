// A local HTTP server playing Meta's Graph API (test-only). It records every request and answers
// POST /{phone_number_id}/messages with a success body carrying a fresh wamid, unless a scripted
// response is queued. Thread-safe. Also usable as a bot endpoint for bot.forward_url.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace handoffd::testing {

struct RecordedRequest {
  std::string method;
  std::string path;                            // e.g. "/v21.0/123456789012345/messages"
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
};

struct ScriptedResponse {
  int status = 200;
  std::string body;                    // JSON text
  std::chrono::milliseconds delay{0};  // wait before answering (to provoke client timeouts)
};

class FakeGraphServer {
 public:
  /// Starts listening on 127.0.0.1 on a free port, in a background thread.
  FakeGraphServer();
  ~FakeGraphServer();

  /// "http://127.0.0.1:PORT/v21.0": the value for whatsapp.api_base.
  std::string api_base() const;
  /// "http://127.0.0.1:PORT".
  std::string base_url() const;
  int port() const;

  /// Answers the next POST with `r` instead of the default success (FIFO).
  void Enqueue(ScriptedResponse r);
  /// A Meta error body: {"error":{"message":"(#CODE) TITLE","type":"OAuthException","code":CODE,
  /// "error_data":{"messaging_product":"whatsapp","details":"..."},"fbtrace_id":"..."}}.
  static ScriptedResponse MetaError(int http_status, int64_t code, const std::string& title);

  /// Every request received so far, in arrival order.
  std::vector<RecordedRequest> Requests() const;
  /// Blocks until at least `n` requests arrived or `timeout` passed; returns the count.
  size_t WaitForRequests(size_t n, std::chrono::milliseconds timeout) const;
  /// The wamid the server returned for its k-th successful send (0-based).
  std::string WamidOf(size_t k) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace handoffd::testing
