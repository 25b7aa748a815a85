#include "http/growing_thread_pool.h"

namespace handoffd::http {

GrowingThreadPool::GrowingThreadPool(size_t min_threads, size_t max_threads)
    : max_threads_(std::max<size_t>(1, max_threads)) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < std::min(min_threads, max_threads_); ++i) Spawn();
}

GrowingThreadPool::~GrowingThreadPool() { shutdown(); }

void GrowingThreadPool::Spawn() {
  threads_.emplace_back([this] { Work(); });
}

void GrowingThreadPool::enqueue(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(fn));
    // Every idle worker may already be claimed by queued jobs: grow when jobs outnumber them.
    if (jobs_.size() > idle_ && threads_.size() < max_threads_) Spawn();
  }
  cv_.notify_one();
}

void GrowingThreadPool::shutdown() {
  {
    std::lock_guard lock(mu_);
    if (shutdown_) return;
    shutdown_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

size_t GrowingThreadPool::threads() const {
  std::lock_guard lock(mu_);
  return threads_.size();
}

void GrowingThreadPool::Work() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      ++idle_;
      cv_.wait(lock, [this] { return shutdown_ || !jobs_.empty(); });
      --idle_;
      if (jobs_.empty()) return;  // shutting down with nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace handoffd::http
