-- 0005: per-bot rate-limit buckets (issue 16). One row per bot: the last send slots, so every
-- process using this file shares one limit. `bucket` is a SHA-256 of channel id + webhook URL,
-- never the URL itself (it holds the bot key). `slots`: JSON array of microseconds since the
-- epoch, ascending, at most the largest limit's `max` entries. `last_us`: the newest slot.
CREATE TABLE send_buckets (
    bucket  TEXT    PRIMARY KEY,
    slots   TEXT    NOT NULL DEFAULT '[]',
    last_us INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
