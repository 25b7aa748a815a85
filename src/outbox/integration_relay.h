// Integration webhooks ([[integrations.webhooks]], API.md "Agent tools and reports"): copies the
// real-time events feed into the outbox, one item per event and receiver, which the outbox worker
// POSTs signed (X-Handoffd-Signature) with retries and backoff until a 2xx.
//
// Guarantees: every event is queued once per receiver (the receiver's cursor in
// integration_cursors moves in the same transaction that queues the items; on PostgreSQL the
// cursor row is locked, so instances take turns); delivery is at least once with the event's id
// as the stable `id`; items of one session share an outbox queue (recipient
// "integration:<hook>:<session id>"), so they arrive in order per session. Events are read only
// up to the event hub's gap-free high-water mark, so a late-committing smaller id is never
// skipped. Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "domain/event.h"
#include "log/logger.h"
#include "store/store.h"

namespace handoffd {

/// One receiver: `events` holds event types, or "*" for all.
struct IntegrationHook {
  std::string url;
  std::vector<std::string> events = {"*"};
};

struct IntegrationRelayOptions {
  std::vector<IntegrationHook> hooks;
  /// Longest pause between passes (a local commit wakes it sooner through Notify()).
  Duration poll_interval = std::chrono::milliseconds(200);
  /// Events read per pass and receiver.
  int batch_size = 500;
  /// Every event id <= the returned one is committed (EventHub::HighWater).
  std::function<int64_t()> high_water;
  /// Called after a pass queued items (wakes the outbox worker).
  std::function<void()> on_outbox;
};

/// The POST body of one event: {"id","type","created_at","data"} (data parsed from the stored
/// JSON text).
std::string IntegrationEventBody(const EventRecord& e);
/// The outbox queue of an event for receiver `url`: "integration:<url>:<session id>" (0 for
/// events of no session).
std::string IntegrationQueue(const std::string& url, const EventRecord& e);

class IntegrationRelay {
 public:
  IntegrationRelay(Store& store, const Clock& clock, Logger& log, IntegrationRelayOptions options);
  ~IntegrationRelay();

  /// Starts the relay thread (nothing when no hook is configured). Call after the event hub
  /// started: a receiver seen for the first time receives the events after its high-water mark.
  void Start();
  void Stop();
  /// Wakes the relay (after a commit that wrote events).
  void Notify();
  /// One pass over every receiver; returns the number of items queued.
  Result<int> RunOnce();

 private:
  void Loop();

  Store& store_;
  const Clock& clock_;
  Logger& log_;
  IntegrationRelayOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
  bool stop_ = false;
  /// The feed's high-water mark at Start(): where a receiver seen for the first time begins.
  int64_t start_high_ = 0;
  std::thread thread_;
};

}  // namespace handoffd
