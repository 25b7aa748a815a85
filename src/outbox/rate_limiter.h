// Per-key token buckets (one per business number): `rate` sends per second with a burst of
// `rate`. Time comes from the caller, so the limiter is pure and testable. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "common/clock.h"

namespace handoffd {

class RateLimiter {
 public:
  explicit RateLimiter(int rate_per_second) : rate_(rate_per_second > 0 ? rate_per_second : 1) {}

  /// Takes one token for `key` at `now` if available and returns Duration::zero(); otherwise
  /// takes nothing and returns how long to wait until one is available.
  Duration TryAcquire(const std::string& key, TimePoint now);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint refilled_at{};
    bool init = false;
  };
  const double rate_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace handoffd
