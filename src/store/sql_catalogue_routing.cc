// The teams-and-routing part of the statement catalogue (sql_catalogue.h): teams, triggers,
// members, capacity locks, queues, declines, claim leases, queue notices, assignment passes.
#include "store/sql_catalogue.h"
#include "store/sql_rows.h"

namespace handoffd::sqlstore {

void AddRoutingQueries(Catalogue& c, SqlDialect d) {
  const bool pg = d == SqlDialect::kPostgres;
  const std::string session_select = "SELECT " + SelectList(kSessionCols) + kSessionFrom;
  const std::string session_kinds = Kinds(kSessionCols);
  const std::string agent_select = "SELECT " + SelectList(kAgentCols);
  const std::string agent_kinds = Kinds(kAgentCols);
  const std::string team_cols = "id, name, slug, timezone, hours, holidays";
  c[kCreateTeam] = {
      "INSERT INTO teams (name, slug, timezone, hours, holidays, created_at)"
      " VALUES (:name, :slug, :tz, :hours, :holidays, :created)"
      " ON CONFLICT (slug) DO NOTHING RETURNING id",
      "ttttti", "i"};
  c[kUpdateTeam] = {
      "UPDATE teams SET name = :name, slug = :slug, timezone = :tz, hours = :hours,"
      " holidays = :holidays WHERE id = :id",
      "ttttti", ""};
  c[kListTeams] = {"SELECT " + team_cols + " FROM teams ORDER BY id", "", "ittttt"};
  c[kGetTeamIdBySlug] = {"SELECT id FROM teams WHERE slug = :slug", "t", "i"};
  c[kInsertTrigger] = {
      "INSERT INTO team_triggers (trigger_id, team_id, priority) VALUES (:id, :team, :priority)"
      " ON CONFLICT (trigger_id) DO NOTHING RETURNING team_id",
      "tii", "i"};
  c[kDeleteTriggers] = {"DELETE FROM team_triggers WHERE team_id = :team", "i", ""};
  c[kListTriggers] = {
      "SELECT team_id, trigger_id, priority FROM team_triggers ORDER BY team_id, trigger_id", "",
      "iti"};
  c[kFindTrigger] = {"SELECT team_id, priority FROM team_triggers WHERE trigger_id = :id", "t",
                     "ii"};
  c[kAddMember] = {
      "INSERT INTO team_members (team_id, agent_id) VALUES (:team, :agent)"
      " ON CONFLICT (team_id, agent_id) DO NOTHING",
      "ii", ""};
  c[kAddMemberBySlug] = {
      "INSERT INTO team_members (team_id, agent_id) SELECT id, :agent FROM teams"
      " WHERE slug = :slug ON CONFLICT (team_id, agent_id) DO NOTHING",
      "it", ""};
  c[kRemoveMember] = {"DELETE FROM team_members WHERE team_id = :team AND agent_id = :agent", "ii",
                      ""};
  c[kListMembers] = {"SELECT team_id, agent_id FROM team_members ORDER BY team_id, agent_id", "",
                     "ii"};
  c[kIsMember] = {"SELECT COUNT(*) FROM team_members WHERE team_id = :team AND agent_id = :agent",
                  "ii", "i"};
  // Every assignment path locks the agent row before counting its active chats: concurrent
  // assignments to one agent queue on that lock (PostgreSQL; SQLite has one writer anyway), so
  // max_chats holds across instances. The count is read by a second statement: under READ
  // COMMITTED a statement that waited for a row lock still counts with its own older snapshot.
  c[kLockAgent] = {"SELECT id FROM agents WHERE id = :id" + std::string(pg ? " FOR UPDATE" : ""),
                   "i", "i"};
  c[kLockRoutingAgents] = {
      "SELECT id FROM agents WHERE status = 'online' AND role = 'agent'"
      " AND last_seen_at >= :cutoff ORDER BY id" +
          std::string(pg ? " FOR UPDATE" : ""),
      "i", "i"};
  c[kListRoutingAgents] = {agent_select +
                               " FROM agents a WHERE a.status = 'online' AND a.role = 'agent'"
                               " AND a.last_seen_at >= :cutoff ORDER BY a.id",
                           "i", agent_kinds};
  // The head of a team's queue; rows another transaction holds (an accept, a customer message)
  // are skipped on PostgreSQL and routed at the next pass.
  c[kLockTeamQueue] = {
      "SELECT s.id, s.priority, s.queue_order FROM agent_sessions s"
      " WHERE s.status = 'waiting' AND s.team_id = :team"
      " ORDER BY s.priority DESC, s.queue_order, s.id LIMIT :limit" +
          std::string(pg ? " FOR UPDATE OF s SKIP LOCKED" : ""),
      "ii", "iii"};
  c[kListWaitingDeclines] = {
      "SELECT d.session_id, d.agent_id FROM session_declines d"
      " JOIN agent_sessions s ON s.id = d.session_id WHERE s.status = 'waiting'",
      "", "ii"};
  c[kRequeueSession] = {
      "UPDATE agent_sessions SET status = 'waiting', agent_id = NULL, assigned_at = NULL,"
      " team_id = :team, queue_order = :order WHERE id = :id AND status IN ('waiting', 'active')",
      "iii", ""};
  c[kRecordDecline] = {
      "INSERT INTO session_declines (session_id, agent_id, created_at)"
      " VALUES (:session, :agent, :now) ON CONFLICT (session_id, agent_id) DO NOTHING",
      "iii", ""};
  c[kSetPriority] = {"UPDATE agent_sessions SET priority = :priority WHERE id = :id", "ii", ""};
  c[kAgentReplied] = {
      "SELECT COUNT(*) FROM agent_messages WHERE session_id = :session"
      " AND sender_type = 'agent' AND created_at >= :since",
      "ii", "i"};
  c[kListLeaseDue] = {
      session_select +
          " WHERE s.status = 'active' AND s.assigned_at <= :cutoff AND NOT EXISTS (SELECT 1"
          " FROM agent_messages m WHERE m.session_id = s.id AND m.sender_type = 'agent'"
          " AND m.created_at >= s.assigned_at) ORDER BY s.assigned_at, s.id LIMIT :limit" +
          (pg ? " FOR UPDATE OF s SKIP LOCKED" : ""),
      "ii", session_kinds};
  c[kRecentWaits] = {
      "SELECT assigned_at - created_at FROM agent_sessions WHERE team_id = :team"
      " AND assigned_at >= :since ORDER BY assigned_at DESC LIMIT :limit",
      "iii", "i"};
  // Waiting sessions whose customer has not been told their place yet, or (updates) was told
  // before `cutoff`; with the position last told.
  c[kLockQueueNotices] = {
      "SELECT " + SessionSelectListRanked() + ", s.queue_told_position" + kSessionFromRanked +
          " WHERE s.status = 'waiting' AND (s.queue_told_position IS NULL OR (:updates = 1"
          " AND s.queue_told_position > 1 AND s.queue_told_at <= :cutoff))"
          " ORDER BY s.id LIMIT :limit" +
          (pg ? " FOR UPDATE OF s SKIP LOCKED" : ""),
      "iii", session_kinds + "i"};
  c[kMarkQueueTold] = {
      "UPDATE agent_sessions SET queue_told_position = :position, queue_told_at = :now"
      " WHERE id = :id",
      "iii", ""};
  // The assignments of one auto-assignment pass (kAssignSession for each). PostgreSQL: one
  // statement over a JSON array of {session_id, agent_id}, returning each assigned session as
  // kLockSession reads it (the rows are already locked by kLockTeamQueue) in plan order.
  // SQLite: kAssignSession then kLockSession per session.
  c[kAssignSessions] = {
      pg ? "WITH p AS (SELECT r.session_id, r.agent_id, r.n FROM ROWS FROM"
           " (json_to_recordset(CAST(:rows AS json)) AS (session_id bigint, agent_id bigint))"
           " WITH ORDINALITY AS r(session_id, agent_id, n)),"
           " u AS (UPDATE agent_sessions x SET status = 'active', agent_id = p.agent_id,"
           " assigned_at = :now, wait_ms = COALESCE(x.wait_ms, :now2 - x.created_at)"
           " FROM p WHERE x.id = p.session_id AND x.status = 'waiting'"
           " RETURNING x.*, p.n AS plan_n)"
           " SELECT " +
               SelectList(kSessionCols) +
               " FROM u s LEFT JOIN agents a ON a.id = s.agent_id"
               " LEFT JOIN teams t ON t.id = s.team_id ORDER BY s.plan_n"
         : "",
      pg ? "tii" : "", pg ? session_kinds : ""};
  // Read first by a pass (RoutingState::untold): whom its queue texts may go to.
  c[kListUntoldWaiting] = {
      "SELECT id FROM agent_sessions WHERE status = 'waiting' AND queue_told_position IS NULL"
      " ORDER BY id LIMIT :limit",
      "i", "i"};
  c[kQueueStatsByTeam] = {
      "SELECT t.id, t.slug, COUNT(s.id), MIN(s.created_at) FROM teams t"
      " LEFT JOIN agent_sessions s ON s.team_id = t.id AND s.status = 'waiting'"
      " GROUP BY t.id, t.slug ORDER BY t.id",
      "", "itii"};
}

}  // namespace handoffd::sqlstore
