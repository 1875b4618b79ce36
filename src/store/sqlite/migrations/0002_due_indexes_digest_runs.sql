-- 0002: indexes for the dispatcher's "next due" queries and for per-occurrence / per-task lookups,
-- and `digest_runs`, which makes a weekly digest idempotent (two ticks in one week, one digest).

CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_fire ON outbox (state, fire_at);
CREATE INDEX outbox_occurrence ON outbox (occurrence_key);
CREATE INDEX deliveries_outbox ON deliveries (outbox_id);
CREATE INDEX progress_task ON progress (task_id, at);

CREATE TABLE digest_runs (
    digest_id TEXT NOT NULL,
    week      TEXT NOT NULL,
    PRIMARY KEY (digest_id, week)
) WITHOUT ROWID;
