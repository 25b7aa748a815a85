// Inbound media downloads (PRODUCT.md "Inbound media", facts §12): a worker of its own that
// runs after the webhook's commit, never in the webhook's path. For each inbound media message
// it resolves the media id (GET {api_base}/{media_id} with the bearer token: a URL valid for
// 5 minutes, mime_type, sha256, file_size), downloads the URL with the same token into a
// temporary file (streamed, never held in memory, bounded by media.max_bytes), checks the
// SHA-256 against the webhook's (base64) or the API's (hex), moves the file to its content
// address under media.dir, and updates the message metadata (media_status ready, media_url,
// size_bytes, sha256, mime_type, filename) with a message.updated event.
//
// Failures: transport errors, 5xx and 429 are retried with exponential backoff (up to
// max_attempts); a download answered 401/403/404/410 (an expired URL) is re-resolved once at
// once; a 404 when resolving, a hash mismatch or a file over max_bytes is permanent:
// media_status failed with `error`, and a message.updated event. Work is found in the database
// (Store::ClaimMediaFetches, leased): pending downloads resume after a restart and several
// instances share the work.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "channels/http_client.h"
#include "common/clock.h"
#include "log/logger.h"
#include "media/media_files.h"
#include "store/store.h"

namespace handoffd {

struct MediaFetcherOptions {
  std::string api_base = "https://graph.facebook.com/v21.0";
  std::string access_token;
  /// phone_number_id -> its own token (whatsapp.numbers).
  std::map<std::string, std::string> number_tokens;
  std::string media_dir = "var/media";
  int64_t max_bytes = 104857600;
  /// Parallel downloads.
  int threads = 4;
  /// How long a claimed download is reserved for this process (longer than a download).
  Duration lease = std::chrono::minutes(10);
  /// Retry delay: base * 2^attempts, capped at max_backoff.
  Duration base_backoff = std::chrono::seconds(2);
  Duration max_backoff = std::chrono::minutes(10);
  /// After this many failed attempts the failure is permanent.
  int max_attempts = 8;
  /// Meta's media URLs live 5 minutes; a URL older than this is resolved again.
  Duration url_life = std::chrono::minutes(4);
  /// Longest idle wait between database checks (retries due, other instances' work).
  Duration poll_interval = std::chrono::seconds(2);
  /// Called after a commit that wrote a message.updated event.
  std::function<void()> on_events;
};

/// The outcome of one download attempt (exposed for tests).
enum class FetchOutcome { kReady, kRetry, kFailed, kSkipped };

class MediaFetcher {
 public:
  using ClientFactory = std::function<std::unique_ptr<HttpClient>()>;
  MediaFetcher(Store& store, const Clock& clock, Logger& log, ClientFactory client_factory,
               MediaFetcherOptions options);
  ~MediaFetcher();
  MediaFetcher(const MediaFetcher&) = delete;
  MediaFetcher& operator=(const MediaFetcher&) = delete;

  /// Starts the worker threads.
  void Start();
  /// Stops them; a download under way finishes first (its lease lets another take it otherwise).
  void Stop();
  /// Wakes the workers (called after a webhook committed messages).
  void Notify();
  /// Claims and processes everything due now in the calling thread; returns how many were
  /// processed. For tests (with a manual clock) and one-shot use.
  int RunOnce();
  /// One attempt for a claimed message (exposed for tests).
  FetchOutcome Process(const MediaFetch& fetch, HttpClient& client);

 private:
  void Loop();
  Duration Backoff(int attempts) const;
  /// Writes the new metadata/state; with an event for ready/failed.
  void Record(const Message& m, const nlohmann::json& meta, const std::string& state, int attempts,
              std::optional<TimePoint> next_at);
  FetchOutcome Fail(const Message& m, nlohmann::json meta, const MediaFetch& fetch,
                    const std::string& error, bool permanent);

  Store& store_;
  const Clock& clock_;
  Logger& log_;
  ClientFactory client_factory_;
  MediaFetcherOptions options_;
  MediaFiles files_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

}  // namespace handoffd
