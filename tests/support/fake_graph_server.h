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

/// One part of a multipart/form-data request (media uploads).
struct RecordedPart {
  std::string name;
  std::string filename;
  std::string content_type;
  std::string content;
};

struct RecordedRequest {
  std::string method;
  std::string path;                            // e.g. "/v21.0/123456789012345/messages"
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  std::vector<RecordedPart> parts;  // multipart requests
};

/// A media object the fake serves (facts §12): GET {api_base}/{id} resolves it to a download
/// URL on this server that lives `url_life`; GET of that URL needs a bearer token.
struct FakeMedia {
  std::string bytes;
  std::string mime_type = "image/jpeg";
  /// Failure modes: the first `resolve_errors` resolves answer 500; `not_found` answers 404 to
  /// every resolve; the first `expired_downloads` downloads answer 404 as an expired URL does;
  /// `wrong_hash` announces a sha256 that does not match the bytes; `announced_size` (>= 0)
  /// replaces file_size in the resolve answer.
  int resolve_errors = 0;
  bool not_found = false;
  int expired_downloads = 0;
  bool wrong_hash = false;
  int64_t announced_size = -1;
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

  /// Serves `media` under `media_id` (replacing any earlier one).
  void AddMedia(const std::string& media_id, FakeMedia media);
  /// The SHA-256 of `bytes`, hex (as the media API writes it) and base64 (as webhooks do).
  static std::string Sha256Hex(const std::string& bytes);
  static std::string Sha256Base64(const std::string& bytes);
  /// Upload answers are {"id":"<prefix><n>"}: the id of the k-th upload (0-based).
  std::string UploadIdOf(size_t k) const;
  /// How long download URLs live (default 5 minutes; a download after it answers 404).
  void set_url_life(std::chrono::milliseconds life);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace handoffd::testing
