#include "scheduler/window_warning.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "domain/event.h"
#include "domain/session.h"

namespace handoffd {

WindowWarningJob::WindowWarningJob(Store& store, const Clock& clock, Logger& log,
                                   WindowWarningOptions options)
    : store_(store), clock_(clock), log_(log), options_(std::move(options)) {}

Result<std::optional<TimePoint>> WindowWarningJob::NextDue() {
  return store_.NextWindowWarning(clock_.Now(), options_.lead);
}

Result<int> WindowWarningJob::RunOnce() {
  const TimePoint now = clock_.Now();
  int total = 0;
  while (true) {
    std::vector<Session> warned;
    size_t marked = 0;
    Status st = store_.Transact([&](StoreTx& tx) -> Status {
      warned.clear();
      HANDOFFD_ASSIGN_OR_RETURN(auto ids,
                                tx.MarkWindowWarnings(now, options_.lead, options_.batch_size));
      marked = ids.size();
      std::vector<EventRecord> events;
      events.reserve(ids.size());
      for (int64_t id : ids) {
        HANDOFFD_ASSIGN_OR_RETURN(auto session, tx.LockSession(id));
        if (!session || !session->last_customer_message_at) continue;
        EventRecord e;
        e.type = kSessionWindowEvent;
        e.created_at = now;
        e.data =
            nlohmann::json{{"session_id", session->id},
                           {"window_expires_at",
                            FormatRfc3339(*session->last_customer_message_at + kServiceWindow)}}
                .dump();
        SetSessionAudience(e, *session, false);
        events.push_back(std::move(e));
        warned.push_back(std::move(*session));
      }
      return tx.AppendEvents(events);
    });
    if (!st.ok()) {
      log_.Error("session.window_warning_failed", {{"error", st.ToString()}});
      return st;
    }
    if (!warned.empty() && options_.on_events) options_.on_events();
    for (const Session& s : warned) {
      log_.Info(
          "session.window_warning",
          {{"session_id", s.id},
           {"window_expires_at", FormatRfc3339(*s.last_customer_message_at + kServiceWindow)}});
    }
    total += static_cast<int>(warned.size());
    if (static_cast<int>(marked) < options_.batch_size) return total;
  }
}

}  // namespace handoffd
