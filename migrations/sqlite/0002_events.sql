-- Real-time events for dashboards (API.md "Real-time events"), written in the same transaction
-- as the change each describes; ids order the feed and let a client resume with Last-Event-ID.
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  audience TEXT NOT NULL CHECK (audience IN ('all', 'agent')),
  agent_id BIGINT,
  data TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX events_created ON events (created_at);
-- Last time the agent had an open event stream (an agent without one for 60 s is offline).
ALTER TABLE agents ADD COLUMN last_seen_at BIGINT;
