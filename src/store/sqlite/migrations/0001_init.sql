-- 0001: the initial schema. Times are unix seconds (INTEGER); civil dates are ISO `YYYY-MM-DD` TEXT.
-- Rows are never deleted by the program: state changes keep the history auditable.

CREATE TABLE plan_versions (
    id          INTEGER PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    config_hash TEXT    NOT NULL,
    summary     TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE occurrences (
    id           INTEGER PRIMARY KEY,
    key          TEXT    NOT NULL UNIQUE,
    task_id      TEXT    NOT NULL,
    rule_index   INTEGER NOT NULL,
    period_label TEXT    NOT NULL,
    window_start TEXT    NOT NULL,
    window_end   TEXT    NOT NULL,
    due_date     TEXT,
    status       TEXT    NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'done', 'skipped', 'cancelled')),
    colour       TEXT    NOT NULL DEFAULT 'blue' CHECK (colour IN ('blue', 'yellow', 'red')),
    plan_version INTEGER REFERENCES plan_versions (id),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE INDEX occurrences_task ON occurrences (task_id);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    dedupe_key      TEXT    NOT NULL UNIQUE,
    occurrence_key  TEXT    NOT NULL,
    task_id         TEXT    NOT NULL,
    stage           TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    fire_at         INTEGER NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN
                    ('pending', 'sending', 'sent', 'retry', 'dead', 'cancelled', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    message         TEXT    NOT NULL,
    late            INTEGER NOT NULL DEFAULT 0,
    plan_version    INTEGER REFERENCES plan_versions (id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    sent_at         INTEGER
);

CREATE TABLE deliveries (
    id        INTEGER PRIMARY KEY,
    outbox_id INTEGER NOT NULL REFERENCES outbox (id),
    attempt   INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    outcome   TEXT    NOT NULL CHECK (outcome IN ('sent', 'retry', 'dead', 'skipped')),
    detail    TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE progress (
    id             INTEGER PRIMARY KEY,
    task_id        TEXT    NOT NULL,
    occurrence_key TEXT,
    note           TEXT    NOT NULL,
    by_name        TEXT    NOT NULL,
    at             INTEGER NOT NULL,
    done           INTEGER NOT NULL DEFAULT 0,
    source         TEXT    NOT NULL CHECK (source IN ('cli', 'csv'))
);
