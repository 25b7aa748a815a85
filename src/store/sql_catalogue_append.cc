// The webhook's fast path on PostgreSQL: a customer message joining its open session in one
// data-modifying statement (kAppendToOpenSession), and group commit's multi-row form of it
// (kAppendManyToOpenSessions), which must match it row for row and event for event
// (store_append_many_test checks that). Both build their events with the helpers below.
#include <string>

#include "store/sql_catalogue.h"

namespace handoffd::sqlstore {

namespace {

// The SQL expression of handoffd_rfc3339(`millis`) (migration 0003) written out: the same text
// (NULL for NULL), evaluated inline; the SQL function is not inlined by the planner (it reads
// its argument twice) and costs a function-executor setup per call site and statement.
std::string Rfc3339Sql(const std::string& millis) {
  return "(to_char(TIMESTAMP '1970-01-01 00:00:00' + ((" + millis +
         ") / 1000) * INTERVAL '1 second', 'YYYY-MM-DD\"T\"HH24:MI:SS') || '.' || lpad(((" +
         millis + ") % 1000)::TEXT, 3, '0') || 'Z')";
}

// The audience and agent_id columns of an event about session `s` (event.cc SetSessionAudience).
std::string AudienceSql(const std::string& s) {
  return "CASE WHEN " + s + ".status = 'waiting' OR " + s +
         ".agent_id IS NULL THEN 'all' ELSE 'agent' END";
}
std::string AudienceAgentSql(const std::string& s) {
  return "CASE WHEN " + s + ".status = 'waiting' THEN NULL ELSE " + s + ".agent_id END";
}

// session.extended's data (domain/event.h SessionExtendedEvent) for the updated session row `u`:
// the timers a customer message moved. No SESSION here: its queue position would count the
// team's queue for every message (store_history_test checks that the two agree).
std::string ExtendedJsonSql(const std::string& u) {
  return "json_build_object('session_id', " + u + ".id, 'last_customer_message_at', " +
         Rfc3339Sql(u + ".last_customer_message_at") + ", 'expires_at', " +
         Rfc3339Sql(u + ".expires_at") + ", 'window_expires_at', " +
         Rfc3339Sql(u + ".last_customer_message_at + 86400000") + ")::TEXT";
}

}  // namespace

void AddAppendQueries(Catalogue& c, SqlDialect d) {
  // SQLite has no data-modifying CTEs: it runs the three statements in one transaction instead
  // (sql_append.cc AppendStepByStep). PostgreSQL: find, insert and extend in one round trip.
  c[kAppendToOpenSession] = {
      "WITH s AS (SELECT id, contact_id, status, agent_id FROM agent_sessions"
      " WHERE channel = :channel AND phone_number = :phone AND status IN ('waiting', 'active')"
      " FOR UPDATE),"
      " m AS (INSERT INTO agent_messages (session_id, contact_id, sender_type, sender_id,"
      " direction, type, content, metadata, channel_message_id, delivery_status, created_at,"
      " sent_at) SELECT s.id, s.contact_id, :sender_type, :sender_id, :direction, :type,"
      " :content, :metadata, :wamid, :delivery, :created, :sent FROM s"
      " ON CONFLICT (channel_message_id) WHERE direction = 'in' DO NOTHING"
      " RETURNING id, session_id),"
      " u AS (UPDATE agent_sessions a SET"
      " last_customer_message_at = CASE WHEN a.last_customer_message_at IS NULL"
      " OR a.last_customer_message_at < :last1 THEN :last2 ELSE a.last_customer_message_at END,"
      " expires_at = CASE WHEN a.expires_at < :exp1 THEN :exp2 ELSE a.expires_at END"
      " FROM m WHERE a.id = m.session_id AND :extend = 1 RETURNING a.*),"
      " e AS (INSERT INTO events (type, audience, agent_id, data, created_at)"
      " SELECT 'message.created', " +
          AudienceSql("s") + ", " + AudienceAgentSql("s") +
          ","
          " '{\"id\":' || m.id || ',\"session_id\":' || m.session_id || ',' || :tail, :ecreated"
          " FROM m JOIN s ON s.id = m.session_id WHERE :with_event = 1 RETURNING id),"
          // The moved timers reach every dashboard.
          " e2 AS (INSERT INTO events (type, audience, agent_id, data, created_at)"
          " SELECT 'session.extended', " +
          AudienceSql("u") + ", " + AudienceAgentSql("u") + ", " + ExtendedJsonSql("u") +
          ", :ecreated2 FROM u WHERE :with_event2 = 1 RETURNING id)"
          " SELECT COALESCE((SELECT id FROM s), 0), COALESCE((SELECT id FROM m), 0),"
          " (SELECT COUNT(*) FROM u) + (SELECT COUNT(*) FROM e) + (SELECT COUNT(*) FROM e2)",
      "ttttttttttiiiiiiitiiii", "iii"};
  if (d != SqlDialect::kPostgres) {
    c[kAppendManyToOpenSessions] = {"", "", ""};  // SQLite appends step by step
    return;
  }
  // Parameter: a JSON array, one object per message, in order (distinct customers and wamids).
  // Result: one row per message: its 1-based position, the open session's id (0: none) and the
  // stored message's id (0: none, or a duplicate wamid). Sessions are locked in array order and
  // rows and events are inserted in array order (events of one message: message.created, then
  // session.extended when it extended the session), so ids follow the order of single appends.
  c[kAppendManyToOpenSessions] = {
      "WITH r AS (SELECT * FROM ROWS FROM (json_to_recordset(CAST(:rows AS json)) AS"
      " (channel text, phone text, sender_type text, sender_id text, direction text, type text,"
      " content text, metadata text, wamid text, delivery text, created bigint, sent bigint,"
      " last bigint, expires bigint, extend integer, tail text)) WITH ORDINALITY AS"
      " r(channel, phone, sender_type, sender_id, direction, type, content, metadata, wamid,"
      " delivery, created, sent, last, expires, extend, tail, n)),"
      // Each customer's open session by an index probe (agent_sessions_one_open): LIMIT 1 keeps
      // the planner from flattening the lookup into a hash join over every open session, which
      // it chose from 2,000 open sessions on (json_to_recordset is estimated at 100 rows).
      " s AS (SELECT r.n, a.id, a.contact_id, a.status, a.agent_id FROM r CROSS JOIN LATERAL"
      " (SELECT x.id, x.contact_id, x.status, x.agent_id FROM agent_sessions x"
      " WHERE x.channel = r.channel AND x.phone_number = r.phone"
      " AND x.status IN ('waiting', 'active') LIMIT 1) a ORDER BY r.n FOR UPDATE OF a),"
      " m AS (INSERT INTO agent_messages (session_id, contact_id, sender_type, sender_id,"
      " direction, type, content, metadata, channel_message_id, delivery_status, created_at,"
      " sent_at) SELECT s.id, s.contact_id, r.sender_type, r.sender_id, r.direction, r.type,"
      " r.content, r.metadata, r.wamid, r.delivery, r.created, r.sent FROM r JOIN s ON s.n = r.n"
      " ORDER BY r.n ON CONFLICT (channel_message_id) WHERE direction = 'in' DO NOTHING"
      " RETURNING id, session_id, channel_message_id),"
      " mr AS (SELECT r.n, m.id, m.session_id FROM m JOIN r ON r.wamid = m.channel_message_id),"
      " u AS (UPDATE agent_sessions a SET"
      " last_customer_message_at = CASE WHEN a.last_customer_message_at IS NULL"
      " OR a.last_customer_message_at < x.last THEN x.last ELSE a.last_customer_message_at END,"
      " expires_at = CASE WHEN a.expires_at < x.expires THEN x.expires ELSE a.expires_at END"
      " FROM (SELECT mr.n, mr.session_id, r.last, r.expires, r.created, r.tail FROM mr"
      " JOIN r ON r.n = mr.n WHERE r.extend = 1) x WHERE a.id = x.session_id"
      " RETURNING a.*, x.n AS x_n, x.created AS x_created, x.tail AS x_tail),"
      " ev AS (INSERT INTO events (type, audience, agent_id, data, created_at)"
      " SELECT e.type, e.audience, e.agent_id, e.data, e.created FROM ("
      " SELECT mr.n, 0 AS k, 'message.created' AS type, " +
          AudienceSql("s") + " AS audience, " + AudienceAgentSql("s") +
          " AS agent_id,"
          " '{\"id\":' || mr.id || ',\"session_id\":' || mr.session_id || ',' || r.tail AS data,"
          " r.created AS created FROM mr JOIN s ON s.n = mr.n JOIN r ON r.n = mr.n"
          " WHERE r.tail <> ''"
          " UNION ALL"
          // The moved timers: session.extended.
          " SELECT u.x_n, 1, 'session.extended', " +
          AudienceSql("u") + ", " + AudienceAgentSql("u") + ", " + ExtendedJsonSql("u") +
          ", u.x_created FROM u WHERE u.x_tail <> ''"
          ") e ORDER BY e.n, e.k RETURNING id)"
          " SELECT r.n, COALESCE(s.id, 0), COALESCE(mr.id, 0) FROM r LEFT JOIN s ON s.n = r.n"
          " LEFT JOIN mr ON mr.n = r.n ORDER BY r.n",
      "t", "iii"};
}

}  // namespace handoffd::sqlstore
