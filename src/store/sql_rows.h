// Internal to src/store: do not include from outside the store layer (it brings in SOCI).
//
// The select lists of the domain rows and their decoding: Col lists (shared by the catalogue and
// the dynamic session query), Read* row decoders and the One/All helpers that run a statement
// and decode its rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "domain/agent.h"
#include "domain/event.h"
#include "domain/message.h"
#include "domain/session.h"
#include "store/sql_statement.h"
#include "store/store.h"

namespace handoffd::sqlstore {

/// One column of a select list: its SQL expression and kind ('i' integer, 't' text).
struct Col {
  const char* expr;
  char kind;
};

/// A waiting session's place in its team's queue (priority high first, then queue_order, then
/// id), counted for session row `s`: O(queue length) per row. Lists use kSessionQueueJoin.
inline constexpr const char* kQueuePositionCountSql =
    "CASE WHEN s.status = 'waiting' THEN (SELECT COUNT(*) FROM agent_sessions w"
    " WHERE w.status = 'waiting' AND w.team_id = s.team_id AND (w.priority > s.priority"
    " OR (w.priority = s.priority AND (w.queue_order < s.queue_order"
    " OR (w.queue_order = s.queue_order AND w.id <= s.id))))) END";

/// Sessions, aliased s, joined to agents a (for the assignee's name).
inline constexpr Col kSessionCols[] = {
    {"s.id", 'i'},
    {"s.channel", 't'},
    {"s.contact_id", 'i'},
    {"s.phone_number", 't'},
    {"s.customer_name", 't'},
    {"s.phone_number_id", 't'},
    {"s.status", 't'},
    {"s.agent_id", 'i'},
    {"a.name", 't'},
    {"s.created_at", 'i'},
    {"s.assigned_at", 'i'},
    {"s.ended_at", 'i'},
    {"s.end_reason", 't'},
    {"s.expires_at", 'i'},
    {"s.last_customer_message_at", 'i'},
    {"s.team_id", 'i'},
    {"t.name", 't'},
    {"s.priority", 'i'},
    {kQueuePositionCountSql, 'i'},  // queue_position
    {"s.labels", 't'},
    {"s.wait_ms", 'i'},
    {"s.first_response_ms", 'i'},
    {"s.handle_ms", 'i'},
    {"s.missed", 'i'},
    {"s.csat_asked_at", 'i'},
    {"s.csat_score", 'i'},
    {"s.csat_answered_at", 'i'},
    {"s.csat_comment", 't'},
};

/// The FROM clause of kSessionCols (sessions s, their agent a and team t).
inline constexpr const char* kSessionFrom =
    " FROM agent_sessions s LEFT JOIN agents a ON a.id = s.agent_id"
    " LEFT JOIN teams t ON t.id = s.team_id";

/// For lists that may hold many waiting sessions: kSessionFrom plus `qp`, every waiting
/// session's queue position numbered in one window pass (O(n log n) for the whole list instead
/// of kQueuePositionCountSql's count per row, O(n^2): 8 s for 10,000 waiting sessions on
/// PostgreSQL 15, 18 ms this way). Select with SessionSelectListRanked().
inline constexpr const char* kSessionFromRanked =
    " FROM agent_sessions s LEFT JOIN agents a ON a.id = s.agent_id"
    " LEFT JOIN teams t ON t.id = s.team_id"
    " LEFT JOIN (SELECT id, ROW_NUMBER() OVER (PARTITION BY team_id"
    " ORDER BY priority DESC, queue_order, id) AS position FROM agent_sessions"
    " WHERE status = 'waiting') qp ON qp.id = s.id";

/// SelectList(kSessionCols) with `position_sql` in place of kQueuePositionCountSql.
std::string SessionSelectListWith(const std::string& position_sql);
/// SelectList(kSessionCols) with the queue position read from kSessionFromRanked's `qp`.
inline std::string SessionSelectListRanked() { return SessionSelectListWith("qp.position"); }
/// SelectList(kSessionCols) without a queue position (NULL): for reads that need only the
/// session's state, e.g. an event's audience.
inline std::string SessionSelectListUnplaced() {
  return SessionSelectListWith("CAST(NULL AS BIGINT)");
}

inline constexpr Col kMessageCols[] = {
    {"id", 'i'},
    {"session_id", 'i'},
    {"contact_id", 'i'},
    {"sender_type", 't'},
    {"sender_id", 't'},
    {"direction", 't'},
    {"type", 't'},
    {"content", 't'},
    {"metadata", 't'},
    {"channel_message_id", 't'},
    {"delivery_status", 't'},
    {"error_code", 'i'},
    {"error_title", 't'},
    {"created_at", 'i'},
    {"sent_at", 'i'},
};

/// Agents, aliased a, with their number of active sessions.
inline constexpr Col kAgentCols[] = {
    {"a.id", 'i'},
    {"a.email", 't'},
    {"a.name", 't'},
    {"a.role", 't'},
    {"a.status", 't'},
    {"a.max_chats", 'i'},
    {"a.password_hash", 't'},
    {"(SELECT COUNT(*) FROM agent_sessions c WHERE c.agent_id = a.id AND c.status = 'active')",
     'i'},
    {"a.last_seen_at", 'i'},
    // The agent's teams as "id:name" joined by U+001F (team names hold no control characters).
    {"(SELECT group_concat(CAST(tm.id AS TEXT) || ':' || tm.name, '\x1f') FROM team_members m"
     " JOIN teams tm ON tm.id = m.team_id WHERE m.agent_id = a.id)",
     't'},
    {"(SELECT MAX(x.assigned_at) FROM agent_sessions x WHERE x.agent_id = a.id)", 'i'},
};

inline constexpr Col kOutboxCols[] = {
    {"id", 'i'},         {"message_id", 'i'},   {"channel", 't'},      {"phone_number_id", 't'},
    {"recipient", 't'},  {"payload", 't'},      {"attempts", 'i'},     {"next_attempt_at", 'i'},
    {"created_at", 'i'}, {"attempted_at", 'i'}, {"leased_until", 'i'},
};

/// "expr1, expr2, ..."
template <size_t N>
std::string SelectList(const Col (&cols)[N]) {
  std::string out;
  for (size_t k = 0; k < N; ++k) {
    if (k > 0) out += ", ";
    out += cols[k].expr;
  }
  return out;
}

/// The kinds of the columns, as Stmt takes them.
template <size_t N>
std::string Kinds(const Col (&cols)[N]) {
  std::string out;
  for (const Col& c : cols) out += c.kind;
  return out;
}

/// Row decoders, one per select list above (events: id, type, audience, agent_id, data,
/// created_at). Throw DataError for a stored value the domain cannot represent.
Session ReadSession(const std::vector<Cell>& row);
Message ReadMessage(const std::vector<Cell>& row);
Agent ReadAgent(const std::vector<Cell>& row);
EventRecord ReadEvent(const std::vector<Cell>& row);
OutboxItem ReadOutbox(const std::vector<Cell>& row);

/// Run the bound statement and decode its first row (nullopt when none) or all rows.
std::optional<Session> OneSession(Stmt& st);
std::vector<Session> AllSessions(Stmt& st);
std::optional<Message> OneMessage(Stmt& st);
std::optional<Agent> OneAgent(Stmt& st);

/// Runs an INSERT ... RETURNING of one integer; nullopt when no row came back (conflict).
std::optional<int64_t> ReturnedId(Stmt& st);

/// Runs a SELECT MIN(...) of one time column; nullopt when NULL or no row.
std::optional<TimePoint> MinTime(Stmt& st);

/// Binds an event to the kAppendEvent statement; a zero created_at becomes clock.Now().
Stmt& BindEvent(Stmt& st, const EventRecord& e, const Clock& clock);

}  // namespace handoffd::sqlstore
