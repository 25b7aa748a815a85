// The thread that runs ExpiryJob: it sleeps until the next session deadline or the next
// safety-net sweep (handoff.expiry_sweep_interval), whichever is first, and can be woken early
// when a session opens. It also gives the session.window warnings at their deadlines
// (scheduler/window_warning.h). With several instances on one PostgreSQL only the holder of the
// "expiry" advisory lock sweeps; the others retry the lock every `leader_retry`.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "scheduler/expiry.h"
#include "scheduler/window_warning.h"

namespace handoffd {

struct ExpiryThreadOptions {
  Duration sweep_interval = std::chrono::minutes(5);
  Duration leader_retry = std::chrono::seconds(5);
  /// Also called every sweep_interval by the leader (e.g. pruning old webhook keys).
  std::function<void()> housekeeping;
  /// The session.window warnings, run by the leader at their deadlines too (after expiry, so a
  /// session that expires at the same moment is not warned); null: none.
  WindowWarningJob* window_warnings = nullptr;
};

class ExpiryThread {
 public:
  ExpiryThread(ExpiryJob& job, Store& store, const Clock& clock, Logger& log,
               ExpiryThreadOptions options);
  ~ExpiryThread();

  void Start();
  void Stop();
  /// Re-reads the next deadline now (a session opened or changed).
  void Nudge();

 private:
  void Loop();

  ExpiryJob& job_;
  Store& store_;
  const Clock& clock_;
  Logger& log_;
  ExpiryThreadOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool nudged_ = false;
  std::thread thread_;
};

}  // namespace handoffd
