// A Clock that moves only when told to (test-only). Thread-safe.
#pragma once

#include <atomic>

#include "common/clock.h"

namespace handoffd::testing {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = FromUnixSeconds(1767261600)) : now_(ToUnixMillis(start)) {}
  TimePoint Now() const override { return FromUnixMillis(now_.load()); }
  void Set(TimePoint t) { now_.store(ToUnixMillis(t)); }
  void Advance(Duration d) { now_.fetch_add(d.count()); }
  /// Waiting on a manual clock moves it: paced code (the rate limiter) returns at once.
  void SleepFor(Duration d) const override {
    if (d > Duration::zero()) now_.fetch_add(d.count());
  }

 private:
  mutable std::atomic<int64_t> now_;
};

}  // namespace handoffd::testing
