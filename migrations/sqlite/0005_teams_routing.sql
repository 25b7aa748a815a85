-- Teams, queues and routing (issue 10; PRODUCT.md "Teams, queues and routing"). A team is a
-- queue with its own members, business hours (IANA time zone, weekly hours, holidays) and
-- trigger ids. Every session belongs to one team; the default team `general` takes the
-- configured handoff trigger (AGENT_MODE) and every session and agent that existed before.
CREATE TABLE teams (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  slug TEXT NOT NULL UNIQUE,
  timezone TEXT NOT NULL DEFAULT 'UTC',
  hours TEXT NOT NULL DEFAULT '',
  holidays TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL
);
-- A trigger id (a reply button or list row id) opens sessions in one team, with a priority.
CREATE TABLE team_triggers (
  trigger_id TEXT PRIMARY KEY,
  team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  priority INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX team_triggers_team ON team_triggers (team_id);
CREATE TABLE team_members (
  team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  agent_id INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  PRIMARY KEY (team_id, agent_id)
);
CREATE INDEX team_members_agent ON team_members (agent_id);
-- Agents a session is not offered to again (they declined it, or their claim lease ran out).
CREATE TABLE session_declines (
  session_id INTEGER NOT NULL REFERENCES agent_sessions (id),
  agent_id INTEGER NOT NULL REFERENCES agents (id),
  created_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, agent_id)
);
INSERT INTO teams (name, slug, timezone, hours, holidays, created_at)
  VALUES ('General', 'general', 'UTC', '', '', 0);
ALTER TABLE agent_sessions ADD COLUMN team_id INTEGER REFERENCES teams (id);
-- 0 normal .. 3 urgent: queues and auto-assignment take higher priority first.
ALTER TABLE agent_sessions ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
-- Sort key within a priority: created_at when the session queues; 0 when a decline or an
-- expired claim lease puts it back at the front of its queue (ties then by id).
ALTER TABLE agent_sessions ADD COLUMN queue_order BIGINT NOT NULL DEFAULT 0;
-- The queue position last told to the customer and when (NULL: not told yet; 0: never tell, a
-- session started from the dashboard), for the queued text and its updates.
ALTER TABLE agent_sessions ADD COLUMN queue_told_position INTEGER;
ALTER TABLE agent_sessions ADD COLUMN queue_told_at BIGINT;
UPDATE agent_sessions SET queue_told_position = 0;
UPDATE agent_sessions SET team_id = (SELECT id FROM teams WHERE slug = 'general'),
  queue_order = created_at;
INSERT INTO team_members (team_id, agent_id)
  SELECT t.id, a.id FROM teams t CROSS JOIN agents a WHERE t.slug = 'general';
-- A team's queue in routing order, and an agent's most recent assignment (routing ties).
CREATE INDEX agent_sessions_queue ON agent_sessions (team_id, priority, queue_order, id)
  WHERE status = 'waiting';
CREATE INDEX agent_sessions_agent_assigned ON agent_sessions (agent_id, assigned_at);
CREATE INDEX agent_sessions_team_assigned ON agent_sessions (team_id, assigned_at);
