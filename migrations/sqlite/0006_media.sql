-- WhatsApp media, idempotent sends (issue "whatsapp-media").
-- Idempotency-Key of an agent send, unique per session: a repeat finds the first message.
ALTER TABLE agent_messages ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX agent_messages_idempotency ON agent_messages (session_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
-- Inbound media download state (the media fetcher): NULL = not yet looked at, 'fetching' (leased
-- until media_next_at), 'retry' (due at media_next_at), 'ready', 'failed', 'none' (not fetched:
-- stored before this version).
ALTER TABLE agent_messages ADD COLUMN media_state TEXT;
ALTER TABLE agent_messages ADD COLUMN media_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agent_messages ADD COLUMN media_next_at BIGINT;
UPDATE agent_messages SET media_state = 'none'
  WHERE direction = 'in' AND type IN ('image', 'audio', 'video', 'document', 'sticker');
CREATE INDEX agent_messages_media_pending ON agent_messages (id)
  WHERE direction = 'in' AND type IN ('image', 'audio', 'video', 'document', 'sticker')
  AND (media_state IS NULL OR media_state IN ('fetching', 'retry'));
-- The last inbound message of a session (read receipts and typing).
CREATE INDEX agent_messages_session_inbound ON agent_messages (session_id, id)
  WHERE direction = 'in';
