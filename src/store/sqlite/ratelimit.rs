//! The per-bot send bucket on SQLite (see `store/ratelimit.rs`).
//!
//! May touch: the `send_buckets` table. One `BEGIN IMMEDIATE` transaction holds the write lock
//! across read, compute and `UPDATE … RETURNING`, so two handles on one file (or two processes)
//! never hand out the same slot. `now` comes from the caller's clock: a SQLite file serves one
//! host.

use jiff::Timestamp;
use rusqlite::{Connection, TransactionBehavior, params};

use crate::store::StoreError;
use crate::store::ratelimit::{SendLimit, SendSlot, keep, next_slot, remember, slot};

/// Reserves the next slot of `bucket` under `limits` at `now`.
pub(super) fn reserve(
    conn: &mut Connection,
    bucket: &str,
    limits: &[SendLimit],
    now: Timestamp,
) -> Result<SendSlot, StoreError> {
    let now_us = now.as_microsecond();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.prepare_cached("INSERT INTO send_buckets (bucket) VALUES (?1) ON CONFLICT DO NOTHING")?
        .execute([bucket])?;
    let text: String = tx
        .prepare_cached("SELECT slots FROM send_buckets WHERE bucket = ?1")?
        .query_row([bucket], |r| r.get(0))?;
    let mut slots: Vec<i64> = serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("send_buckets.slots: {e}")))?;
    let at = next_slot(&slots, limits, now_us);
    remember(&mut slots, at, keep(limits).max(1));
    let json = serde_json::to_string(&slots).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let stored: i64 = tx
        .prepare_cached(
            "UPDATE send_buckets SET slots = ?2, last_us = ?3 WHERE bucket = ?1 RETURNING last_us",
        )?
        .query_row(params![bucket, json, at], |r| r.get(0))?;
    tx.commit()?;
    slot(stored, now_us)
}
