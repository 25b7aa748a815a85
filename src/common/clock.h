// Time for handoffd. Nothing reads the wall clock except SystemClock; everything that depends on
// time takes a Clock& so tests can use ManualClock (tests/support/manual_clock.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace handoffd {

/// A UTC instant with millisecond resolution (Unix epoch based, like WhatsApp's timestamps).
using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;
using Duration = std::chrono::milliseconds;

/// Source of the current time. Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  /// The current UTC time, millisecond resolution.
  virtual TimePoint Now() const = 0;
  /// Waits `d` of this clock's time (the rate limiter's pacing). The real clock sleeps; a manual
  /// clock moves itself forward, so paced work finishes in tests without real waiting.
  virtual void SleepFor(Duration d) const;
};

/// The real wall clock (std::chrono::system_clock).
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
};

/// Milliseconds since the Unix epoch (the database representation of every timestamp).
inline int64_t ToUnixMillis(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint FromUnixMillis(int64_t ms) { return TimePoint(Duration(ms)); }
inline TimePoint FromUnixSeconds(int64_t s) { return TimePoint(std::chrono::seconds(s)); }

/// RFC 3339 UTC with milliseconds, e.g. "2026-11-21T05:30:00.123Z" (API.md "HTTP").
std::string FormatRfc3339(TimePoint t);

/// Parses "YYYY-MM-DD" as 00:00:00 UTC of that day; nullopt if malformed or not a real date.
std::optional<TimePoint> ParseDate(std::string_view ymd);

}  // namespace handoffd
