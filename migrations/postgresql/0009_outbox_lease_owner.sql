-- Owner-checked leases (issue 7): the store instance that claimed an outbox item. Renewing a
-- lease, beginning a send and releasing an item apply only while the lease is still this
-- owner's, so an instance that stalled longer than its lease cannot take back an item another
-- instance claimed meanwhile.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
