// Session expiry (PRODUCT.md "Expiry"): sessions whose expires_at has passed are ended with
// end_reason `expired` and the customer is told. The decisions are plain functions of time; the
// job does one sweep; scheduler/expiry_thread.h runs it at the right moments.
#pragma once

#include <optional>
#include <string>

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
  int expired = 0;                // ended by this sweep (phase 1)
  int noticed = 0;                // sessions whose expiry notice this sweep wrote (phase 2; may
                                  // include sessions an earlier, interrupted sweep ended)
  int notified = 0;               // expired texts queued to customers
  int notification_failures = 0;  // batches that failed (rolled back, left for the next sweep)
  int64_t ended_ms = 0;           // from the start until every due session was ended
  int64_t duration_ms = 0;        // the whole sweep, notices included
};

class ExpiryJob {
 public:
  ExpiryJob(Store& store, SessionService& sessions, const Clock& clock, Logger& log,
            Metrics& metrics, int batch_size = kDefaultBatchSize);

  static constexpr int kDefaultBatchSize = 1000;

  /// Ends every session due at clock.Now(), then writes the pending notices (two phases, each in
  /// batches of `batch_size` until none is left; PRODUCT.md "Expiry", issue 7 defect 6).
  /// Phase 1 (SessionService::EndDue, one statement per batch) ends the due sessions, each at its
  /// own expires_at, and marks their notices pending; phase 2 (SessionService::NotifyExpired, a
  /// few set-based statements per batch) writes each ended session's events, note, expired text
  /// and outbox item, also for sessions an interrupted earlier sweep ended. Logs one line per
  /// noticed session ("session.expired", info level) and one per sweep ("expiry.sweep").
  /// Between notice batches it ends what fell due meanwhile, so a long notice phase delays no
  /// end. Store errors end the phase early; they are counted and logged, and the next sweep
  /// retries.
  SweepReport RunOnce();

 private:
  /// Phase 1: ends every session due at `now`, batch after batch, counting into `report`.
  /// Returns the error of a failed batch, or "" when none failed.
  std::string EndAllDue(TimePoint now, SweepReport& report);

  Store& store_;
  SessionService& sessions_;
  const Clock& clock_;
  Logger& log_;
  Metrics& metrics_;
  int batch_size_;
};

}  // namespace handoffd
