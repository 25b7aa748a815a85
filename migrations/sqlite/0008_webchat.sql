-- The web chat channel (API.md "Web chat"). Visitors are the channel's customers: each has a
-- contact (channel 'webchat', customer_key 'v' || id) and a random bearer token stored hashed.
CREATE TABLE webchat_visitors (
  id INTEGER PRIMARY KEY,
  widget_key TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  contact_id BIGINT NOT NULL REFERENCES contacts (id),
  name TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL
);
-- Messages left through the widget's offline form, listed for agents until handled.
CREATE TABLE webchat_offline_messages (
  id INTEGER PRIMARY KEY,
  widget_key TEXT NOT NULL,
  visitor_id BIGINT,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  message TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  handled_at BIGINT,
  handled_by BIGINT
);
CREATE INDEX webchat_offline_unhandled ON webchat_offline_messages (handled_at, id);
-- The visitor an event also goes to (the customer key of a web chat session), or null.
-- Events for the visitor alone have audience 'agent' with no agent_id.
ALTER TABLE events ADD COLUMN visitor_key TEXT;
CREATE INDEX events_visitor ON events (visitor_key, id);
