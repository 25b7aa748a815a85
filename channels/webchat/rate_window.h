// A per-key fixed-budget rate limit over a sliding window (visitor messages per minute per
// visitor, visitor creations per minute per client address; API.md "Web chat"). Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"

namespace handoffd::webchat {

class RateWindow {
 public:
  /// At most `limit` acquisitions per key within any `window`. Keys idle for a whole window
  /// are forgotten, and at most `max_keys` are tracked (the oldest is dropped beyond).
  RateWindow(const Clock& clock, int limit, Duration window, size_t max_keys = 200000);

  /// Takes one unit for `key`: nullopt when allowed, else the seconds (>= 1) until one frees.
  std::optional<int> Acquire(const std::string& key);

 private:
  void Prune(TimePoint now);

  const Clock& clock_;
  const size_t limit_;
  const Duration window_;
  const size_t max_keys_;
  std::mutex mu_;
  std::map<std::string, std::deque<TimePoint>> hits_;
  TimePoint last_prune_{};
};

}  // namespace handoffd::webchat
