// Sends what the outbox holds: claims due items from the Store, sends them through the channel
// (or forwards webhooks to the bot), and records the outcome. Success stores the channel message
// id and `sent`; retryable failures back off exponentially with jitter; permanent ones mark the
// message `failed` with the channel's code and title. Items stay in the database until done, so
// nothing queued is lost across a restart.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "channels/channel_sender.h"
#include "channels/http_client.h"
#include "common/clock.h"
#include "log/logger.h"
#include "metrics/metrics.h"
#include "outbox/rate_limiter.h"
#include "store/store.h"

namespace handoffd {

struct OutboxOptions {
  /// Sends per second per business number (whatsapp.rate_limit_per_second).
  int rate_limit_per_second = 80;
  /// Parallel senders; items for one customer always go to the same sender, in order.
  int sender_threads = 4;
  /// Items claimed per pass.
  int batch_size = 64;
  /// How long a claimed item is reserved for this process before another may take it.
  Duration lease = std::chrono::minutes(5);
  /// Retry delay before jitter: base * 2^attempts, capped at max_backoff.
  Duration base_backoff = std::chrono::seconds(1);
  Duration max_backoff = std::chrono::minutes(5);
  /// A retryable send still failing after this long is marked failed (code 0).
  Duration give_up_after = std::chrono::hours(24);
  /// Longest idle wait between outbox checks (other instances' items, retries).
  Duration poll_interval = std::chrono::seconds(1);
  /// Secret for X-Hub-Signature-256 on forwarded webhooks (bot.forward_secret).
  std::string forward_secret;
  /// Called after a delivery change was committed with its message.status event.
  std::function<void()> on_events;
};

/// Retry delay after `attempts` failures (0-based: the first retry uses attempts = 0):
/// min(max, base * 2^attempts) scaled by `jitter` in [0.5, 1.5].
Duration BackoffDelay(const OutboxOptions& options, int attempts, double jitter);

class OutboxWorker {
 public:
  using SenderFactory = std::function<std::unique_ptr<ChannelSender>()>;
  using HttpFactory = std::function<std::unique_ptr<HttpClient>()>;

  OutboxWorker(Store& store, const Clock& clock, Logger& log, Metrics& metrics,
               SenderFactory sender_factory, HttpFactory http_factory, OutboxOptions options);
  ~OutboxWorker();

  /// Starts the claiming thread and the sender threads.
  void Start();
  /// Stops the threads; items in flight finish their current send first.
  void Stop();
  /// Wakes the claiming thread (called after a commit that queued items).
  void Notify();

  /// One synchronous pass in the calling thread with one sender: claims due items and sends them
  /// all. Returns how many were processed. For tests and `handoffd expire --once`.
  int RunOnce();

 private:
  struct Lane {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<OutboxItem> items;
  };
  void ClaimLoop();
  void SendLoop(Lane& lane);
  /// Sends one item and records the outcome.
  void Process(const OutboxItem& item, ChannelSender& sender, HttpClient& http);
  double Jitter();

  Store& store_;
  const Clock& clock_;
  Logger& log_;
  Metrics& metrics_;
  SenderFactory sender_factory_;
  HttpFactory http_factory_;
  OutboxOptions options_;
  RateLimiter limiter_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<int> in_flight_{0};
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::vector<std::thread> threads_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace handoffd
