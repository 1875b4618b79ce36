-- 0003: per-bot rate-limit buckets (issue 16), as SQLite's 0005. One row per bot holding its last
-- send slots, so every replica shares one limit. `bucket` is a SHA-256 of channel id + webhook URL,
-- never the URL itself (it holds the bot key). `slots`: microseconds since the epoch on the
-- DATABASE clock, ascending, at most the largest limit's `max` entries. `last_us`: the newest slot.
CREATE TABLE send_buckets (
    bucket  TEXT     PRIMARY KEY,
    slots   BIGINT[] NOT NULL DEFAULT '{}',
    last_us BIGINT   NOT NULL DEFAULT 0
);
