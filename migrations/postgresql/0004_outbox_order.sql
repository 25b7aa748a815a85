-- Per-customer order (issue 7): only the head (lowest id) of each (phone_number_id, recipient)
-- queue is claimable; this index finds a queue's head without a scan.
CREATE INDEX outbox_queue ON outbox (phone_number_id, recipient, id);
-- When the last send of this item began (set just before the call, cleared by a recorded
-- failure). Found set on a claim, the previous attempt's outcome is unknown: the send may have
-- reached the customer (a possible duplicate, counted in metrics and logged).
ALTER TABLE outbox ADD COLUMN attempted_at BIGINT;
