-- Agent tools and reports (issue 12). Times are Unix milliseconds, durations milliseconds.
-- Labels of a session, sorted and each wrapped in commas (",billing,vip,"), so that a label
-- filter is one LIKE ',label,' without a join; '' when none.
ALTER TABLE agent_sessions ADD COLUMN labels TEXT NOT NULL DEFAULT '';
-- Per-session times, written at the transitions (never recomputed per report): wait = created to
-- first assignment, first response = first assignment to the first agent message, handle =
-- first assignment to end; missed = 1 when ended without ever being assigned.
ALTER TABLE agent_sessions ADD COLUMN wait_ms BIGINT;
ALTER TABLE agent_sessions ADD COLUMN first_response_ms BIGINT;
ALTER TABLE agent_sessions ADD COLUMN handle_ms BIGINT;
ALTER TABLE agent_sessions ADD COLUMN missed INTEGER NOT NULL DEFAULT 0;
-- CSAT: when the rating was asked (eligible end), the score 1-3, when it came, and the comment.
ALTER TABLE agent_sessions ADD COLUMN csat_asked_at BIGINT;
ALTER TABLE agent_sessions ADD COLUMN csat_score INTEGER;
ALTER TABLE agent_sessions ADD COLUMN csat_answered_at BIGINT;
ALTER TABLE agent_sessions ADD COLUMN csat_comment TEXT;
-- Backfill of sessions stored before this migration: the current assignment stands in for the
-- first one, the first agent message after it is the first response.
UPDATE agent_sessions SET wait_ms = assigned_at - created_at WHERE assigned_at IS NOT NULL;
UPDATE agent_sessions SET first_response_ms = (SELECT MIN(m.created_at) FROM agent_messages m
  WHERE m.session_id = agent_sessions.id AND m.sender_type = 'agent'
  AND m.created_at >= agent_sessions.assigned_at) - assigned_at WHERE assigned_at IS NOT NULL;
UPDATE agent_sessions SET handle_ms = ended_at - assigned_at
  WHERE assigned_at IS NOT NULL AND ended_at IS NOT NULL;
UPDATE agent_sessions SET missed = 1 WHERE status = 'ended' AND assigned_at IS NULL;
-- Reports: one range scan on created_at that reads every reported column from the index.
CREATE INDEX agent_sessions_report ON agent_sessions (created_at, agent_id, wait_ms,
  first_response_ms, handle_ms, missed, csat_score);
CREATE INDEX agent_sessions_csat_asked ON agent_sessions (phone_number, csat_asked_at)
  WHERE csat_asked_at IS NOT NULL;

-- Canned responses: a shortcut ([a-z0-9_-]{1,32}, unique) that expands to a saved text.
CREATE TABLE canned_responses (
  id INTEGER PRIMARY KEY,
  shortcut TEXT NOT NULL UNIQUE,
  content TEXT NOT NULL,
  created_by INTEGER REFERENCES agents (id),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- Integration webhooks: how far the relay has copied the events feed into the outbox, per
-- configured hook (by its URL), so that every event is queued once.
CREATE TABLE integration_cursors (
  hook TEXT PRIMARY KEY,
  last_event_id BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
