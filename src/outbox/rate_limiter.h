// Per-key token buckets (one per business number): `rate` sends per second with a burst of
// `rate`. Time comes from the injected Clock, and so does the wait: with a manual clock a paced
// run of any length returns at once. Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "common/clock.h"

namespace handoffd {

class RateLimiter {
 public:
  RateLimiter(int rate_per_second, const Clock& clock)
      : rate_(rate_per_second > 0 ? rate_per_second : 1), clock_(clock) {}

  /// Takes one token for `key` at `now` if available and returns Duration::zero(); otherwise
  /// takes nothing and returns how long to wait until one is available.
  Duration TryAcquire(const std::string& key, TimePoint now);

  /// Takes one token for `key`, waiting on the clock until one is available. False (no token
  /// taken) when `cancel` became true meanwhile.
  bool Acquire(const std::string& key, const std::atomic<bool>& cancel);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint refilled_at{};
    bool init = false;
  };
  const double rate_;
  const Clock& clock_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace handoffd
