-- The session.window warning (issue 8 item 3): the window_expires_at (ms) a session was last
-- warned for, 2 hours before it closes. A customer message moves the window, so the next one is
-- warned for again; the marker is written in the transaction that appends the event, so the
-- warning is given once per window across restarts and instances.
ALTER TABLE agent_sessions ADD COLUMN window_warning_for BIGINT;
-- Open sessions by their customer's last message: the next warning without a scan.
CREATE INDEX agent_sessions_window ON agent_sessions (last_customer_message_at)
  WHERE status IN ('waiting', 'active');
