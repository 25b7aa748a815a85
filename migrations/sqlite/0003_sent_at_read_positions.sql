-- When the channel says the message was sent: inbound, the customer's WhatsApp `timestamp`;
-- outbound, when the channel accepted it (null before). Unix milliseconds, like created_at.
-- (Accent-insensitive search uses the handoffd_fold() function each connection registers.)
ALTER TABLE agent_messages ADD COLUMN sent_at INTEGER;
-- How far each agent has read each session (unread state across tabs and devices).
CREATE TABLE read_positions (
  agent_id INTEGER NOT NULL REFERENCES agents (id),
  session_id INTEGER NOT NULL REFERENCES agent_sessions (id),
  message_id INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (agent_id, session_id)
);
