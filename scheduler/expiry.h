// Session expiry (PRODUCT.md "Expiry"): sessions whose expires_at has passed are ended with
// end_reason `expired` and the customer is told. The decisions are plain functions of time; the
// job does one sweep; scheduler/expiry_thread.h runs it at the right moments.
#pragma once

#include <optional>

#include "common/clock.h"
#include "domain/session.h"
#include "log/logger.h"
#include "metrics/metrics.h"
#include "router/session_service.h"
#include "store/store.h"

namespace handoffd {

/// True when the session is open and its expires_at is at or before `t` (expiry is exactly at
/// the deadline: a session expiring at 12:00:00.000 is due at 12:00:00.000).
bool IsDue(const Session& session, TimePoint t);

/// When the scheduler should next wake: the earlier of the next session deadline (if any) and
/// the next safety-net sweep, never before `now`.
TimePoint NextWake(TimePoint now, std::optional<TimePoint> next_deadline, TimePoint next_sweep);

/// What one sweep did; logged as one JSON line ("expiry.sweep").
struct SweepReport {
  int examined = 0;               // due sessions found (and ended: the sweep is set-based)
  int expired = 0;                // ended by this sweep
  int notified = 0;               // expired texts queued to customers
  int notification_failures = 0;  // batches that failed (rolled back, left for the next sweep)
  int64_t duration_ms = 0;
};

class ExpiryJob {
 public:
  ExpiryJob(Store& store, SessionService& sessions, const Clock& clock, Logger& log,
            Metrics& metrics, int batch_size = kDefaultBatchSize);

  static constexpr int kDefaultBatchSize = 1000;

  /// Ends every session due at clock.Now() in batches of `batch_size` until none is left (each
  /// batch one transaction of a few set-based statements, SessionService::ExpireDue; each
  /// session ends at its own expires_at), logging one line per expired session
  /// ("session.expired", info level) and one per sweep ("expiry.sweep"). Store errors end the
  /// sweep early; they are counted and logged, and the next sweep retries.
  SweepReport RunOnce();

 private:
  Store& store_;
  SessionService& sessions_;
  const Clock& clock_;
  Logger& log_;
  Metrics& metrics_;
  int batch_size_;
};

}  // namespace handoffd
