// The HTTP server's worker pool. A connection is served by one worker for its whole life
// (keep-alive requests, and an SSE stream until it closes), so the pool starts `min_threads`
// workers and adds one whenever a job arrives while none is idle, up to `max_threads` (beyond
// that, jobs wait in the queue). A worker above `min_threads` that stays idle for `idle_timeout`
// exits, so a peak's threads are released after its clients leave (issue 9 #2). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

#include "common/clock.h"

namespace handoffd::http {

class GrowingThreadPool final {
 public:
  /// `stack_bytes`: each worker's stack size; 0: the system default.
  GrowingThreadPool(size_t min_threads, size_t max_threads, Duration idle_timeout,
                    size_t stack_bytes = 0);
  ~GrowingThreadPool();

  /// Runs `fn` on a worker (an idle one, else a new one, else when one frees up).
  void Enqueue(std::function<void()> fn);
  /// Lets queued jobs finish, then waits for every worker to exit. Idempotent.
  void Shutdown();

  /// Workers alive now.
  size_t threads() const;
  /// Workers waiting for a job now.
  size_t idle() const;

 private:
  void Spawn();  // mu_ held
  void Work();

  const size_t min_threads_;
  const size_t max_threads_;
  const Duration idle_timeout_;
  const size_t stack_bytes_;
  mutable std::mutex mu_;
  std::condition_variable cv_;    // workers wait for jobs here
  std::condition_variable gone_;  // Shutdown() waits here for the last worker
  std::deque<std::function<void()>> jobs_;
  size_t live_ = 0;
  size_t idle_ = 0;
  bool shutdown_ = false;
};

}  // namespace handoffd::http
