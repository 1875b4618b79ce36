//! Small facts about the database (`meta`) and the last completed tick of each periodic job
//! (`ticks`).
//!
//! May touch: the `meta` and `ticks` tables.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::store::StoreError;
use crate::store::types::ts;

/// The value stored under `key`.
pub(super) fn get(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// Stores `value` under `key`.
pub(super) fn set(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

/// Stores `value` under `key` unless it has one; the value stored (see [`crate::store::Store::meta_first`]).
pub(super) fn first(conn: &Connection, key: &str, value: &str) -> Result<String, StoreError> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
    )?
    .execute(params![key, value])?;
    Ok(get(conn, key)?.unwrap_or_else(|| value.to_owned()))
}

/// Adds one to the counter under `key`, in one statement (see [`crate::store::Store::meta_count`]).
pub(super) fn count(conn: &Connection, key: &str) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached(
            "INSERT INTO meta (key, value) VALUES (?1, '1')
             ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)
             RETURNING CAST(value AS INTEGER)",
        )?
        .query_row([key], |r| r.get(0))?)
}

/// The due instant of the last completed tick of `job`.
pub(super) fn last_tick(conn: &Connection, job: &str) -> Result<Option<Timestamp>, StoreError> {
    let secs: Option<i64> = conn
        .prepare_cached("SELECT last_due FROM ticks WHERE job = ?1")?
        .query_row([job], |r| r.get(0))
        .optional()?;
    secs.map(ts).transpose()
}

/// Records the tick of `job` due at `due`; false when that tick (or a later one) was recorded
/// already, so a tick is acted on once even if two wakes race for it.
pub(super) fn record_tick(
    conn: &mut Connection,
    job: &str,
    due: Timestamp,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let n = tx
        .prepare_cached(
            "INSERT INTO ticks (job, last_due, done_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (job) DO UPDATE SET last_due = excluded.last_due,
                 done_at = excluded.done_at
             WHERE ticks.last_due < excluded.last_due",
        )?
        .execute(params![job, due.as_second(), now.as_second()])?;
    tx.commit()?;
    Ok(n == 1)
}
