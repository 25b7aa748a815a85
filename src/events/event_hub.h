// Fans the events table out to open dashboard streams. One pump thread reads new events from the
// store (woken by local commits, and polling for other instances' commits) into an in-memory
// ring; streams read from the ring, or from the store when they resume from further back.
//
// Ordering without gaps: ids are assigned at insert but transactions commit in any order, so an
// event with a smaller id can become visible after a larger one. The pump therefore only
// publishes a contiguous run of ids (the "high water" mark); a hole is waited for up to
// `gap_timeout` (it normally fills within milliseconds) and then taken as a rolled-back
// transaction. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "domain/event.h"
#include "log/logger.h"
#include "store/store.h"

namespace handoffd {

struct EventHubOptions {
  /// How often the pump looks for events committed by other instances.
  Duration poll_interval = std::chrono::milliseconds(250);
  /// How long a hole in the ids is waited for before it is skipped.
  Duration gap_timeout = std::chrono::seconds(2);
  /// Events kept in memory for live streams and short reconnects.
  size_t ring_capacity = 20000;
};

/// What a stream gets from Next().
struct EventBatch {
  std::vector<EventRecord> events;  // ids > the cursor, ascending
  /// The cursor is older than the retained events: the client must reload its state.
  bool reset = false;
  /// The hub is stopping: end the stream.
  bool stopping = false;
};

class EventHub {
 public:
  EventHub(Store& store, Logger& log, EventHubOptions options = {});
  ~EventHub();

  /// Reads the current newest event id (streams start after it) and starts the pump.
  Status Start();
  /// Stops the pump and wakes every waiting stream with `stopping`.
  void Stop();
  /// Wakes the pump (call after committing events).
  void Notify();

  /// Every event id <= this is published (contiguous or given up on).
  int64_t HighWater() const;

  /// Calls `fn` (from the pump thread, without the hub's lock held) after each publication and
  /// when the hub stops: how an event loop holding many streams learns there is something to
  /// send (http/stream_loop.h). `fn` must be cheap and thread-safe, and stay callable for the
  /// hub's life (capture a weak reference when its owner may go first).
  void AddListener(std::function<void()> fn);

  /// Events after `cursor` (at most `limit`), waiting up to `wait` when there are none yet.
  /// Served from memory when possible, else from the store (up to the high water mark).
  EventBatch Next(int64_t cursor, size_t limit, Duration wait);

  /// One pump pass (used by the thread; public for tests): reads committed events past the high
  /// water mark and publishes the contiguous run. `now` is a steady-clock reading for gaps.
  void PumpOnce(std::chrono::steady_clock::time_point now);

 private:
  void Loop();

  Store& store_;
  Logger& log_;
  EventHubOptions options_;
  mutable std::mutex mu_;
  std::condition_variable published_;  // streams wait here
  std::condition_variable wake_;       // the pump waits here
  bool notified_ = false;
  bool stopping_ = false;
  int64_t high_water_ = 0;
  bool base_unknown_ = false;
  std::deque<EventRecord> ring_;
  std::optional<std::chrono::steady_clock::time_point> gap_since_;
  std::vector<std::function<void()>> listeners_;
  std::thread thread_;
};

}  // namespace handoffd
