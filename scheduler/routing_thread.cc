#include "scheduler/routing_thread.h"

namespace handoffd {

RoutingThread::RoutingThread(RoutingService& routing, Logger& log, Duration sweep_interval)
    : routing_(routing), log_(log), sweep_interval_(sweep_interval) {}

RoutingThread::~RoutingThread() { Stop(); }

void RoutingThread::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  nudged_ = true;  // a first pass at start: whatever queued while no instance ran
  thread_ = std::thread([this] { Loop(); });
}

void RoutingThread::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RoutingThread::Nudge() {
  {
    std::lock_guard lock(mu_);
    nudged_ = true;
  }
  cv_.notify_all();
}

void RoutingThread::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, sweep_interval_, [this] { return stop_ || nudged_; });
    if (stop_) break;
    nudged_ = false;
    lock.unlock();
    auto report = routing_.RunPass();
    if (!report.ok()) {
      log_.Warn("routing.pass_failed", {{"error", report.status().ToString()}});
    } else if (report->assigned + report->lease_expired + report->notices > 0) {
      log_.Info("routing.pass", {{"assigned", report->assigned},
                                 {"lease_expired", report->lease_expired},
                                 {"notices", report->notices}});
    }
    lock.lock();
  }
}

}  // namespace handoffd
