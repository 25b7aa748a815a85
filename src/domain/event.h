// Real-time events for dashboards (API.md "Real-time events"). Each is written to the events
// table in the same transaction as the change it describes; its id orders the feed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"
#include "domain/agent.h"
#include "domain/message.h"
#include "domain/session.h"

namespace handoffd {

/// Who may receive an event besides supervisors and admins (who receive every event).
enum class EventAudience {
  kAllAgents,  // waiting sessions, and transitions out of waiting
  kAgent,      // one agent: the session's assignee, or the agent whose status changed
};

const char* ToString(EventAudience a);
std::optional<EventAudience> ParseEventAudience(std::string_view s);

struct EventRecord {
  int64_t id = 0;    // assigned by the database; increasing
  std::string type;  // session.created|session.assigned|session.ended|message.created|
                     // message.status|agent.status
  EventAudience audience = EventAudience::kAllAgents;
  std::optional<int64_t> agent_id;  // for kAgent
  std::string data;                 // the SESSION, MESSAGE or AGENT as JSON text
  TimePoint created_at{};
  /// The web chat visitor (customer key, VisitorKey) the event also concerns; empty: none.
  /// The visitor's own stream (GET /widget/v1/events) filters on it.
  std::string visitor_key;
};

/// True for an event meant for a web chat visitor alone (queue.position, agent.typing, bot
/// messages before a session): audience kAgent with no agent, so no agent receives it.
bool IsVisitorOnly(const EventRecord& event);

/// An event for visitor `visitor_key` alone (see IsVisitorOnly); `data` is JSON text.
EventRecord VisitorOnlyEvent(const std::string& type, const std::string& visitor_key,
                             std::string data, TimePoint now);

/// The event of SessionService::MarkRead: {"session_id","message_id"}, only to its agent.
inline constexpr const char* kReadUpdatedEvent = "read.updated";

/// Sets `event`'s audience for a change to `session`: every agent while it is (or was, when
/// `was_waiting`) waiting or unassigned, else only its assignee.
void SetSessionAudience(EventRecord& event, const Session& session, bool was_waiting);

/// True when `agent` may receive `event`.
bool EventVisibleTo(const EventRecord& event, const Agent& agent);

/// A session event (`type` session.*) with the audience its state calls for: every agent while
/// the session is (or was, when `was_waiting`) waiting, else its assignee.
EventRecord SessionEvent(const std::string& type, const Session& session, bool was_waiting,
                         TimePoint now);
/// The event of a customer message that moved its session's timers (Router, and the webhook's
/// fast path in SQL: store/sql_catalogue_append.cc, store/sql_append.cc):
/// {"session_id","last_customer_message_at","expires_at","window_expires_at"} (RFC 3339, UTC,
/// milliseconds; window_expires_at = last_customer_message_at + kServiceWindow, facts §5),
/// visible like the session. It replaces a whole SESSION because a waiting SESSION's
/// queue_position counts its team's queue: O(queue length) for every customer message.
inline constexpr const char* kSessionExtendedEvent = "session.extended";
EventRecord SessionExtendedEvent(const Session& session, TimePoint now);
/// A message event for a message of `session`, visible like the session.
EventRecord MessageEvent(const std::string& type, const Message& message, const Session& session,
                         TimePoint now);
/// agent.status, visible to that agent and to supervisors.
EventRecord AgentEvent(const Agent& agent, TimePoint now);

}  // namespace handoffd
