-- Accent-insensitive history search (lower(unaccent(x))); unaccent is a trusted extension
-- (PostgreSQL 13+), so the database owner may create it.
CREATE EXTENSION IF NOT EXISTS unaccent;
-- When the channel says the message was sent: inbound, the customer's WhatsApp `timestamp`;
-- outbound, when the channel accepted it (null before). Unix milliseconds, like created_at.
ALTER TABLE agent_messages ADD COLUMN sent_at BIGINT;
-- How far each agent has read each session (unread state across tabs and devices).
CREATE TABLE read_positions (
  agent_id BIGINT NOT NULL REFERENCES agents (id),
  session_id BIGINT NOT NULL REFERENCES agent_sessions (id),
  message_id BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (agent_id, session_id)
);
-- Unix milliseconds as RFC 3339 UTC with milliseconds, exactly as the C++ FormatRfc3339 writes
-- them (for events composed inside one statement, see sql_catalogue.cc kAppendToOpenSession).
CREATE FUNCTION handoffd_rfc3339(ms BIGINT) RETURNS TEXT LANGUAGE SQL IMMUTABLE STRICT AS $$
  SELECT to_char(TIMESTAMP '1970-01-01 00:00:00' + (ms / 1000) * INTERVAL '1 second',
                 'YYYY-MM-DD"T"HH24:MI:SS') || '.' || lpad((ms % 1000)::TEXT, 3, '0') || 'Z'
$$;
