// The session.window warning (PRODUCT.md "The 24-hour window": agents see a warning in the
// window's last 2 hours). For each open WhatsApp session whose window_expires_at is within
// `lead` (2 h) of now, one `session.window` event `{"session_id","window_expires_at"}` is
// appended, visible like the session (every agent while it waits, else its assignee;
// supervisors always). The marker agent_sessions.window_warning_for is written in the same
// transaction, so each window is warned for once across restarts and instances; a customer
// message that moves the window makes the new one due again. Runs on the expiry thread
// (scheduler/expiry_thread.h), at the deadlines NextDue() reports.
#pragma once

#include <functional>
#include <optional>

#include "common/clock.h"
#include "common/result.h"
#include "log/logger.h"
#include "store/store.h"

namespace handoffd {

/// The event type of the warning.
inline constexpr const char* kSessionWindowEvent = "session.window";

struct WindowWarningOptions {
  /// How long before the window closes the warning is given.
  Duration lead = std::chrono::hours(2);
  /// Sessions marked per transaction.
  int batch_size = 500;
  /// Called after a commit that appended events (wakes the event hub).
  std::function<void()> on_events;
};

class WindowWarningJob {
 public:
  WindowWarningJob(Store& store, const Clock& clock, Logger& log, WindowWarningOptions options);

  /// Warns for every window due at clock.Now() (in batches of batch_size, each one transaction:
  /// mark, then append the events), logging one "session.window_warning" line per session.
  /// Returns how many were warned; a store error ends the run (the rest stay due).
  Result<int> RunOnce();

  /// When the next warning falls due (may be in the past: due now); nullopt when none.
  Result<std::optional<TimePoint>> NextDue();

 private:
  Store& store_;
  const Clock& clock_;
  Logger& log_;
  WindowWarningOptions options_;
};

}  // namespace handoffd
