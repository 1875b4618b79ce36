-- 0004: the web loop (issue 13): requests, due overrides, audit, web progress notes.
--
-- * `requests`: a unit's 申请办结 (kind 'done') or 申请延期 (kind 'extend'), pending until the
--   office decides. A pending 'done' request holds its occurrence: sync never (re)activates its
--   reminders while it waits (see sync.rs `occurrence_open`).
-- * `due_overrides`: a granted 延期 moves an occurrence's due date; the planner honours it, so a
--   re-plan moves the occurrence's pending reminders instead of fighting the decision.
-- * `audit`: who changed what, when, from which address, before -> after. Never updated.
-- * `progress.source` gains 'web': SQLite cannot alter a CHECK, so the table is rebuilt.

CREATE TABLE requests (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('done', 'extend')),
    task_id        TEXT    NOT NULL,
    occurrence_key TEXT    NOT NULL,
    unit           TEXT    NOT NULL,
    note           TEXT    NOT NULL,
    new_due        TEXT,
    state          TEXT    NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'confirmed', 'refused', 'granted')),
    by_name        TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    decided_at     INTEGER,
    decided_by     TEXT,
    decision_note  TEXT
);

CREATE INDEX requests_state ON requests (state, created_at);
CREATE INDEX requests_occurrence ON requests (occurrence_key, kind, state);

CREATE TABLE due_overrides (
    occurrence_key TEXT    PRIMARY KEY,
    due_date       TEXT    NOT NULL,
    request_id     INTEGER REFERENCES requests (id),
    created_at     INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT    NOT NULL,
    address TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    subject TEXT    NOT NULL,
    before  TEXT    NOT NULL,
    after   TEXT    NOT NULL
);

CREATE TABLE progress_v4 (
    id             INTEGER PRIMARY KEY,
    task_id        TEXT    NOT NULL,
    occurrence_key TEXT,
    note           TEXT    NOT NULL,
    by_name        TEXT    NOT NULL,
    at             INTEGER NOT NULL,
    done           INTEGER NOT NULL DEFAULT 0,
    source         TEXT    NOT NULL CHECK (source IN ('cli', 'csv', 'web'))
);
INSERT INTO progress_v4 (id, task_id, occurrence_key, note, by_name, at, done, source)
    SELECT id, task_id, occurrence_key, note, by_name, at, done, source FROM progress;
DROP TABLE progress;
ALTER TABLE progress_v4 RENAME TO progress;
CREATE INDEX progress_task ON progress (task_id, at);
