// Internal to src/store: do not include from outside the store layer.
//
// Change notices across instances on PostgreSQL (store.h Store::Announce / Store::Listen), over
// plain libpq connections of their own (never pooled ones):
//
// - PgNotifier sends `NOTIFY handoffd_<what>` after this instance committed such rows. Announce()
//   only sets a flag and wakes the notifier thread, so a commit never waits for it; calls that
//   arrive while a NOTIFY is in flight are folded into the next one. The connection runs with
//   synchronous_commit off: a notify-only transaction need not wait for a WAL flush, and a notice
//   lost in a crash costs only the polling interval. NOTIFY is sent after the writer's commit,
//   not inside it, because PostgreSQL serializes the commits of notifying transactions (a lock
//   held through the commit's WAL flush) and that would serialize every webhook's commit.
// - PgListener LISTENs on every channel on a dedicated connection and calls its subscribers
//   from its thread. It reconnects after a lost connection (with back-off) and then reports
//   every kind once, since notices sent meanwhile are lost. Notices this store's own notifier
//   sent are ignored (its writers have woken their local waiters already).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/store.h"

namespace handoffd::sqlstore {

/// "handoffd_events" / "handoffd_outbox".
const char* ChangeChannel(Change what);

class PgNotifier {
 public:
  /// `conninfo`: a libpq connection string or URI.
  explicit PgNotifier(std::string conninfo);
  ~PgNotifier();

  void Announce(Change what);
  /// The backend pid of the notifier's connection (0 while not connected).
  int backend_pid() const { return pid_.load(); }

 private:
  void Loop();

  const std::string conninfo_;
  std::mutex mu_;
  std::condition_variable cv_;
  unsigned pending_ = 0;  // bit per Change
  bool stop_ = false;
  std::atomic<int> pid_{0};
  std::thread thread_;
};

class PgListener {
 public:
  /// `own_pid` is asked for the pid whose notices are ignored (this store's notifier).
  PgListener(std::string conninfo, std::function<int()> own_pid);
  ~PgListener();

  /// Adds a subscriber; it is removed when the handle is destroyed. Starts the thread on first
  /// use.
  std::unique_ptr<Listening> Subscribe(std::function<void(Change)> on_change);

 private:
  class Handle;
  void Loop();
  void Deliver(Change what);
  void Unsubscribe(std::list<std::function<void(Change)>>::iterator it);

  const std::string conninfo_;
  const std::function<int()> own_pid_;
  std::mutex mu_;
  std::list<std::function<void(Change)>> subscribers_;
  std::mutex deliver_mu_;  // held while callbacks run: unsubscribing waits for them
  int wake_fd_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace handoffd::sqlstore
