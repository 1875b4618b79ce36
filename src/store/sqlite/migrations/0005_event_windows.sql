-- 0005: office-declared event windows (issue 14): `dutybell event start/end NAME`.
--
-- One row per window of a declared event (防汛应急响应): its first day, and its last day once the
-- office ends it. `during:` rules plan inside these windows. At most one open window per event:
-- the partial unique index refuses a second start even from two processes at once.

CREATE TABLE event_windows (
    id          INTEGER PRIMARY KEY,
    event       TEXT    NOT NULL,
    start_date  TEXT    NOT NULL,
    end_date    TEXT,
    started_by  TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    ended_by    TEXT,
    ended_at    INTEGER,
    CHECK (end_date IS NULL OR end_date >= start_date)
);

CREATE UNIQUE INDEX event_windows_one_open ON event_windows (event) WHERE end_date IS NULL;
CREATE INDEX event_windows_event ON event_windows (event, start_date);
