-- 0003: render at send time, leases, recorded ticks.
--
-- * Plan reminders no longer carry a rendered message: `message` is '' until the row is sent, when
--   the exact text that went out is frozen into it for audit. Unsent plan rows are emptied here;
--   digests, operator alerts and test messages keep their snapshot (they are rendered at enqueue,
--   moments before they are due).
-- * A claim is a lease: `lease_owner` (the claiming process) and `lease_until` (unix seconds on the
--   store's clock). An outcome is recorded only by the lease holder; an expired lease is reclaimed
--   by whoever runs, so a crashed or wedged process can never strand a row in `sending`.
-- * `meta` holds small facts about the database (the inputs hash of the last plan sync).
-- * `ticks` records each periodic job's last completed tick, so a tick missed during downtime runs
--   once at start and never twice.

UPDATE outbox SET message = ''
 WHERE state IN ('pending', 'retry', 'cancelled', 'skipped', 'dead')
   AND kind NOT IN ('digest', 'operator_alert', 'test');

ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until INTEGER;

-- Rows left `sending` by an older binary get an already-expired lease: reclaimed at the next start.
UPDATE outbox SET lease_owner = 'pre-v3', lease_until = 0 WHERE state = 'sending';

CREATE INDEX outbox_lease ON outbox (state, lease_until);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE ticks (
    job       TEXT    PRIMARY KEY,
    last_due  INTEGER NOT NULL,
    done_at   INTEGER NOT NULL
) WITHOUT ROWID;
