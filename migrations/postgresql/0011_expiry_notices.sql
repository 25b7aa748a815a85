-- Two-phase expiry (issue 7, defect 6): a sweep first ends every due session, one UPDATE per
-- batch, and marks each here with its status before it ended ('waiting' or 'active'). The
-- "Chat expired" note, the customer's expired text and its outbox item, and the session.ended
-- and message.created events follow in later batches, which clear the marker. The marker is
-- persisted, so a crash between the two phases loses no notice: the next sweep writes it.
ALTER TABLE agent_sessions ADD COLUMN expiry_notice TEXT
  CHECK (expiry_notice IN ('waiting', 'active'));
-- Sessions whose notice is pending, earliest deadline first.
CREATE INDEX agent_sessions_expiry_notice ON agent_sessions (expires_at, id)
  WHERE expiry_notice IS NOT NULL;
-- A prefix of agent_sessions_report (0007): one index fewer to write on every session change.
DROP INDEX agent_sessions_created_at;
