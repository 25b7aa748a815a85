// Sends what the outbox holds: claims due items from the Store, sends them through the channel
// (or forwards webhooks to the bot), and records the outcome. Success stores the channel message
// id and `sent`; retryable failures back off exponentially with jitter; permanent ones mark the
// message `failed` with the channel's code and title. Items stay in the database until done, so
// nothing queued is lost across a restart.
//
// Delivery guarantees (README "Delivery guarantees"):
// - Per-customer order: the store hands out only the head of each (number, recipient) queue, so
//   at most one send per customer is in flight across threads and instances, and a later item
//   never overtakes an earlier unsent one (a head that backs off holds the ones behind it).
// - Leases are short (`lease`, 8 s) and renewed every lease/3 while this process holds the
//   item; Stop() gives back every claimed item not yet sent, so a restart never waits for leases,
//   and a crashed instance's items are retaken within one lease.
// - At-least-once: the attempt is recorded (attempted_at) before the call leaves the process; an
//   item claimed with attempted_at set was possibly sent already (metric and log line).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "channels/channel_sender.h"
#include "common/clock.h"
#include "log/logger.h"
#include "metrics/metrics.h"
#include "outbox/rate_limiter.h"
#include "store/store.h"

namespace handoffd {

struct OutboxOptions {
  /// Sends per second per business number (whatsapp.rate_limit_per_second).
  int rate_limit_per_second = 80;
  /// Parallel senders.
  int sender_threads = 4;
  /// Items claimed per pass.
  int batch_size = 64;
  /// How long a claimed item is reserved for this process before another may take it. Renewed
  /// every lease/3 while held, so it bounds how long a crashed instance's items wait.
  Duration lease = std::chrono::seconds(8);
  /// Retry delay before jitter: base * 2^attempts, capped at max_backoff.
  Duration base_backoff = std::chrono::seconds(1);
  Duration max_backoff = std::chrono::minutes(5);
  /// A retryable send still failing after this long is marked failed (code 0).
  Duration give_up_after = std::chrono::hours(24);
  /// Longest idle wait between outbox checks (other instances' items, retries).
  Duration poll_interval = std::chrono::seconds(1);
  /// Called after a delivery change was committed with its message.status event.
  std::function<void()> on_events;
  /// Called (on a sender thread) after a bot forward was accepted and recorded, with the
  /// forwarded webhook body and the bot's non-empty answer (a handoff request, docs/api.md "Bot
  /// forwarding"). A forward redone after a crash may call it twice for one webhook.
  std::function<void(const std::string& forwarded_body, const std::string& answer)> on_bot_answer;
};

/// Retry delay after `attempts` failures (0-based: the first retry uses attempts = 0):
/// min(max, base * 2^attempts) scaled by `jitter` in [0.5, 1.5].
Duration BackoffDelay(const OutboxOptions& options, int attempts, double jitter);

class OutboxWorker {
 public:
  using SenderFactory = std::function<std::unique_ptr<ChannelSender>()>;
  using ForwarderFactory = std::function<std::unique_ptr<BotForwarder>()>;

  OutboxWorker(Store& store, const Clock& clock, Logger& log, Metrics& metrics,
               SenderFactory sender_factory, ForwarderFactory forwarder_factory,
               OutboxOptions options);
  ~OutboxWorker();

  /// Starts the claiming thread and the sender threads.
  void Start();
  /// Stops claiming at once and wakes every sender: sends already under way finish and are
  /// recorded; nothing new starts. Returns immediately (Stop() waits).
  void BeginStop();
  /// BeginStop(), waits for the sends under way, then releases every claimed item not sent.
  void Stop();
  /// Wakes the claiming thread (called after a commit that queued items).
  void Notify();

  /// Synchronous passes in the calling thread with one sender until nothing is due: claims due
  /// items and sends them. Returns how many were processed. For tests and one-shot commands.
  int RunOnce();

  /// Items claimed and not yet finished or released (test hook).
  size_t held() const;

 private:
  struct Lane {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<OutboxItem> items;
  };
  void ClaimLoop();
  void SendLoop(Lane& lane);
  /// Renews the leases of held items when a third of the lease has passed.
  void MaybeRenew();
  /// Sends one item and records the outcome. False when it was not sent (stopping, or the
  /// attempt could not be recorded): the caller gives it back.
  bool Process(const OutboxItem& item, ChannelSender& sender, BotForwarder& forwarder);
  void Hold(const std::vector<OutboxItem>& items);
  void Unhold(int64_t id);
  double Jitter();

  Store& store_;
  const Clock& clock_;
  Logger& log_;
  Metrics& metrics_;
  SenderFactory sender_factory_;
  ForwarderFactory forwarder_factory_;
  OutboxOptions options_;
  RateLimiter limiter_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<int> in_flight_{0};
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::vector<std::thread> threads_;
  mutable std::mutex held_mu_;
  std::set<int64_t> held_;
  TimePoint renewed_at_{};
  std::mutex rng_mu_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace handoffd
