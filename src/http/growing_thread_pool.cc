#include "http/growing_thread_pool.h"

#include <pthread.h>

#include <algorithm>

namespace handoffd::http {

GrowingThreadPool::GrowingThreadPool(size_t min_threads, size_t max_threads, Duration idle_timeout,
                                     size_t stack_bytes)
    : min_threads_(std::min(min_threads, std::max<size_t>(1, max_threads))),
      max_threads_(std::max<size_t>(1, max_threads)),
      idle_timeout_(idle_timeout),
      stack_bytes_(stack_bytes) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < min_threads_; ++i) Spawn();
}

GrowingThreadPool::~GrowingThreadPool() { Shutdown(); }

void GrowingThreadPool::Spawn() {
  // Detached: a worker that retires cannot be joined by itself; Shutdown() waits for live_ == 0.
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (stack_bytes_ > 0) pthread_attr_setstacksize(&attr, std::max<size_t>(stack_bytes_, 65536));
  pthread_t id;
  const int rc = pthread_create(
      &id, &attr,
      [](void* self) -> void* {
        static_cast<GrowingThreadPool*>(self)->Work();
        return nullptr;
      },
      this);
  pthread_attr_destroy(&attr);
  if (rc == 0) ++live_;  // else the job waits for a busy worker to free up
}

void GrowingThreadPool::Enqueue(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(fn));
    // Every idle worker may already be claimed by queued jobs: grow when jobs outnumber them.
    if (jobs_.size() > idle_ && live_ < max_threads_) Spawn();
  }
  cv_.notify_one();
}

void GrowingThreadPool::Shutdown() {
  std::unique_lock lock(mu_);
  shutdown_ = true;
  cv_.notify_all();
  gone_.wait(lock, [this] { return live_ == 0; });
}

size_t GrowingThreadPool::threads() const {
  std::lock_guard lock(mu_);
  return live_;
}

size_t GrowingThreadPool::idle() const {
  std::lock_guard lock(mu_);
  return idle_;
}

void GrowingThreadPool::Work() {
  std::unique_lock lock(mu_);
  while (true) {
    ++idle_;
    const bool woke =
        cv_.wait_for(lock, idle_timeout_, [this] { return shutdown_ || !jobs_.empty(); });
    --idle_;
    if (jobs_.empty() && (shutdown_ || (!woke && live_ > min_threads_))) break;
    if (jobs_.empty()) continue;
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    job = nullptr;  // the connection's state goes before the worker waits again
    lock.lock();
  }
  --live_;
  // Notified under the lock: Shutdown() cannot return (and the pool be destroyed) before this
  // worker lets go of mu_, its last use of the pool.
  if (live_ == 0) gone_.notify_all();
}

}  // namespace handoffd::http
