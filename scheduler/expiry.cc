#include "scheduler/expiry.h"

#include <algorithm>
#include <chrono>

namespace handoffd {

bool IsDue(const Session& session, TimePoint t) {
  return IsOpen(session.status) && session.expires_at <= t;
}

TimePoint NextWake(TimePoint now, std::optional<TimePoint> next_deadline, TimePoint next_sweep) {
  TimePoint wake = next_sweep;
  if (next_deadline) wake = std::min(wake, *next_deadline);
  return std::max(wake, now);
}

ExpiryJob::ExpiryJob(Store& store, SessionService& sessions, const Clock& clock, Logger& log,
                     Metrics& metrics, int batch_size)
    : store_(store),
      sessions_(sessions),
      clock_(clock),
      log_(log),
      metrics_(metrics),
      batch_size_(batch_size) {}

std::string ExpiryJob::EndAllDue(TimePoint now, SweepReport& report) {
  // A short batch means nothing more is due at `now` (rows locked by a writer were skipped: the
  // next sweep sees them again).
  while (true) {
    auto ended = sessions_.EndDue(now, batch_size_);
    if (!ended.ok()) {
      ++report.notification_failures;
      return ended.status().ToString();
    }
    report.examined += *ended;
    report.expired += *ended;
    if (*ended < batch_size_) return "";
  }
}

SweepReport ExpiryJob::RunOnce() {
  const auto started = std::chrono::steady_clock::now();
  const auto since_start = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started)
        .count();
  };
  const TimePoint now = clock_.Now();
  SweepReport report;
  // Phase 1: end every due session.
  std::string error = EndAllDue(now, report);
  report.ended_ms = since_start();
  // Phase 2: the notices of every ended session (this sweep's and any an earlier one left).
  const bool log_info = log_.InfoEnabled();
  while (true) {
    auto noticed = sessions_.NotifyExpired(batch_size_);
    if (!noticed.ok()) {
      ++report.notification_failures;
      error = noticed.status().ToString();
      break;
    }
    for (const ExpiredSession& e : *noticed) {
      const Session& s = e.session;
      ++report.noticed;
      if (e.notified) ++report.notified;
      if (!log_info) continue;
      log_.Info(
          "session.expired",
          {{"session_id", s.id},
           {"phone_number_id", s.phone_number_id},
           {"agent_id", s.agent_id ? nlohmann::json(*s.agent_id) : nlohmann::json()},
           {"expires_at", FormatRfc3339(s.expires_at)},
           {"last_customer_message_at",
            s.last_customer_message_at ? nlohmann::json(FormatRfc3339(*s.last_customer_message_at))
                                       : nlohmann::json()},
           {"notified", e.notified}});
    }
    if (static_cast<int>(noticed->size()) < batch_size_) break;
    // Many notices take a while: sessions falling due meanwhile end on time, not next sweep.
    if (std::string e = EndAllDue(clock_.Now(), report); !e.empty()) {
      error = e;
      break;
    }
  }
  report.duration_ms = since_start();
  ++metrics_.expiry_sweeps;
  metrics_.sessions_expired += report.expired;
  nlohmann::json fields = {{"examined", report.examined},
                           {"expired", report.expired},
                           {"noticed", report.noticed},
                           {"notified", report.notified},
                           {"notification_failures", report.notification_failures},
                           {"ended_ms", report.ended_ms},
                           {"duration_ms", report.duration_ms},
                           {"at", FormatRfc3339(now)}};
  if (!error.empty()) {
    fields["error"] = error;
    log_.Error("expiry.sweep", fields);
  } else {
    log_.Info("expiry.sweep", fields);
  }
  return report;
}

}  // namespace handoffd
