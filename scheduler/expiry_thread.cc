#include "scheduler/expiry_thread.h"

namespace handoffd {

ExpiryThread::ExpiryThread(ExpiryJob& job, Store& store, const Clock& clock, Logger& log,
                           ExpiryThreadOptions options)
    : job_(job), store_(store), clock_(clock), log_(log), options_(std::move(options)) {}

ExpiryThread::~ExpiryThread() { Stop(); }

void ExpiryThread::Start() {
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void ExpiryThread::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ExpiryThread::Nudge() {
  {
    std::lock_guard lock(mu_);
    nudged_ = true;
  }
  cv_.notify_all();
}

void ExpiryThread::Loop() {
  std::unique_ptr<LeaderLock> leadership;
  TimePoint next_sweep = clock_.Now();  // catch up at start: whatever fell due while down
  while (true) {
    TimePoint wake = clock_.Now() + options_.leader_retry;
    if (!leadership || !leadership->StillHeld()) {
      if (leadership) log_.Warn("expiry.leadership_lost");
      leadership.reset();
      auto lock = store_.TryAcquireLeadership("expiry");
      if (lock.ok() && *lock) {
        leadership = std::move(*lock);
        log_.Info("expiry.leadership_acquired");
        next_sweep = clock_.Now();
      } else if (!lock.ok()) {
        log_.Error("expiry.leadership_error", {{"error", lock.status().ToString()}});
      }
    }
    if (leadership) {
      const TimePoint now = clock_.Now();
      auto next_deadline = store_.NextExpiry();
      const bool deadline_due =
          next_deadline.ok() && next_deadline->has_value() && **next_deadline <= now;
      if (now >= next_sweep || deadline_due) {
        job_.RunOnce();
        if (now >= next_sweep) {
          if (options_.housekeeping) options_.housekeeping();
          next_sweep = now + options_.sweep_interval;
        }
        next_deadline = store_.NextExpiry();
      }
      std::optional<TimePoint> deadline;
      if (next_deadline.ok()) deadline = *next_deadline;
      if (options_.window_warnings) {
        auto warning = options_.window_warnings->NextDue();
        if (warning.ok() && warning->has_value() && **warning <= clock_.Now()) {
          (void)options_.window_warnings->RunOnce();  // logged by the job; retried next wake
          warning = options_.window_warnings->NextDue();
        }
        if (warning.ok() && warning->has_value() && (!deadline || **warning < *deadline)) {
          deadline = **warning;
        }
      }
      // At least 100 ms between sweeps, so a session that cannot be ended (database down) does
      // not spin the thread.
      wake = std::max(NextWake(clock_.Now(), deadline, next_sweep), clock_.Now() + Duration(100));
    }
    std::unique_lock lock(mu_);
    const Duration wait = std::max(Duration(0), wake - clock_.Now());
    cv_.wait_for(lock, wait, [this] { return stop_ || nudged_; });
    if (stop_) return;
    nudged_ = false;
  }
}

}  // namespace handoffd
