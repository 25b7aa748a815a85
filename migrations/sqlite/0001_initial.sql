-- handoffd initial schema (SQLite). Timestamps are Unix milliseconds UTC (BIGINT).
-- Statements end with a semicolon at the end of a line; Migrate() splits on those.

CREATE TABLE contacts (
  id INTEGER PRIMARY KEY,
  channel TEXT NOT NULL,
  customer_key TEXT NOT NULL,
  wa_id TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (channel, customer_key)
);

CREATE TABLE agents (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'supervisor', 'admin')),
  status TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'away', 'offline')),
  max_chats INTEGER NOT NULL DEFAULT 5,
  password_hash TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL
);

CREATE TABLE auth_tokens (
  token_hash TEXT PRIMARY KEY,
  agent_id INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX auth_tokens_expires_at ON auth_tokens (expires_at);
CREATE INDEX auth_tokens_agent ON auth_tokens (agent_id);

CREATE TABLE agent_sessions (
  id INTEGER PRIMARY KEY,
  channel TEXT NOT NULL,
  contact_id INTEGER NOT NULL REFERENCES contacts (id),
  phone_number TEXT NOT NULL,
  customer_name TEXT NOT NULL DEFAULT '',
  phone_number_id TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'active', 'ended')),
  agent_id INTEGER REFERENCES agents (id),
  created_at BIGINT NOT NULL,
  assigned_at BIGINT,
  ended_at BIGINT,
  end_reason TEXT CHECK (end_reason IN ('agent', 'customer', 'expired', 'supervisor')),
  expires_at BIGINT NOT NULL,
  last_customer_message_at BIGINT
);
-- At most one open session per customer: concurrent opens cannot both succeed.
CREATE UNIQUE INDEX agent_sessions_one_open ON agent_sessions (channel, phone_number)
  WHERE status IN ('waiting', 'active');
-- Expiry: due open sessions and the next deadline without scanning ended ones.
CREATE INDEX agent_sessions_due ON agent_sessions (expires_at)
  WHERE status IN ('waiting', 'active');
CREATE INDEX agent_sessions_waiting ON agent_sessions (created_at) WHERE status = 'waiting';
CREATE INDEX agent_sessions_agent_active ON agent_sessions (agent_id, assigned_at)
  WHERE status = 'active';
CREATE INDEX agent_sessions_created_at ON agent_sessions (created_at);
CREATE INDEX agent_sessions_agent_created_at ON agent_sessions (agent_id, created_at);
CREATE INDEX agent_sessions_contact ON agent_sessions (contact_id);

CREATE TABLE agent_messages (
  id INTEGER PRIMARY KEY,
  session_id INTEGER REFERENCES agent_sessions (id),
  contact_id INTEGER NOT NULL REFERENCES contacts (id),
  sender_type TEXT NOT NULL CHECK (sender_type IN ('customer', 'agent', 'system', 'bot')),
  sender_id TEXT NOT NULL DEFAULT '',
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'internal')),
  type TEXT NOT NULL,
  content TEXT NOT NULL DEFAULT '',
  metadata TEXT NOT NULL DEFAULT '{}',
  channel_message_id TEXT,
  delivery_status TEXT NOT NULL CHECK (delivery_status IN
    ('received', 'queued', 'sent', 'delivered', 'read', 'failed', 'internal')),
  error_code BIGINT,
  error_title TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX agent_messages_session ON agent_messages (session_id, id);
-- One inbound message per wamid (the webhook dedupe). Outbound wamids come from the channel and
-- are only looked up (status webhooks), never trusted to be unique.
CREATE UNIQUE INDEX agent_messages_inbound_wamid ON agent_messages (channel_message_id)
  WHERE direction = 'in';
CREATE INDEX agent_messages_outbound_wamid ON agent_messages (channel_message_id)
  WHERE direction = 'out';
-- Bot-phase messages not yet attached to a session (AttachRecentMessages).
CREATE INDEX agent_messages_unattached ON agent_messages (contact_id, created_at)
  WHERE session_id IS NULL;

CREATE TABLE processed_webhook_ids (
  key TEXT PRIMARY KEY,
  created_at BIGINT NOT NULL
);
CREATE INDEX processed_webhook_ids_created_at ON processed_webhook_ids (created_at);

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- ids never reused: they trace sends in logs
  message_id INTEGER REFERENCES agent_messages (id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  phone_number_id TEXT NOT NULL DEFAULT '',
  recipient TEXT NOT NULL DEFAULT '',
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  leased_until BIGINT,
  last_error TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX outbox_next_attempt_at ON outbox (next_attempt_at, id);
CREATE INDEX outbox_message ON outbox (message_id);
