// The HTTP server's worker pool. cpp-httplib serves each connection on one worker for its whole
// life (keep-alive requests, and an SSE stream until it closes), so a fixed pool of N caps the
// open connections at N. This pool starts `min_threads` workers and adds one whenever a
// connection arrives while none is idle, up to `max_threads`; so thread use grows with open
// streams, one thread each. Threads stay until shutdown (a peak's threads are reused).
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace handoffd::http {

class GrowingThreadPool final : public httplib::TaskQueue {
 public:
  GrowingThreadPool(size_t min_threads, size_t max_threads);
  ~GrowingThreadPool() override;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  /// Workers started so far.
  size_t threads() const;

 private:
  void Spawn();  // mu_ held
  void Work();

  const size_t max_threads_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool shutdown_ = false;
};

}  // namespace handoffd::http
