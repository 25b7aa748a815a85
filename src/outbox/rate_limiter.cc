#include "outbox/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace handoffd {

Duration RateLimiter::TryAcquire(const std::string& key, TimePoint now) {
  std::lock_guard lock(mu_);
  Bucket& b = buckets_[key];
  if (!b.init) {
    b = Bucket{rate_, now, true};
  } else if (now > b.refilled_at) {
    const double elapsed_s = std::chrono::duration<double>(now - b.refilled_at).count();
    b.tokens = std::min(rate_, b.tokens + elapsed_s * rate_);
    b.refilled_at = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return Duration::zero();
  }
  const double wait_ms = std::ceil((1.0 - b.tokens) / rate_ * 1000.0);
  return Duration(static_cast<int64_t>(std::max(1.0, wait_ms)));
}

bool RateLimiter::Acquire(const std::string& key, const std::atomic<bool>& cancel) {
  while (!cancel.load()) {
    const Duration wait = TryAcquire(key, clock_.Now());
    if (wait == Duration::zero()) return true;
    // Short slices keep a stop request prompt.
    clock_.SleepFor(std::min(wait, Duration(100)));
  }
  return false;
}

}  // namespace handoffd
