//! The per-bot send bucket on PostgreSQL (see `store/ratelimit.rs`), shared by every replica.
//!
//! May touch: the `send_buckets` table. ONE statement (an upsert) reads the row under its lock,
//! computes the slot and writes it back, on the database clock `now()`: replicas on hosts whose
//! clocks disagree still share one time line. Concurrent callers queue on the row lock; under
//! READ COMMITTED the second re-evaluates the SET expressions on the first one's new row.

use tokio_postgres::Client;

use crate::store::StoreError;
use crate::store::ratelimit::{SendLimit, SendSlot, keep, slot};

/// `now()` in microseconds since the epoch (stable within the statement's transaction).
const NOW_US: &str = "(extract(epoch FROM now()) * 1000000)::bigint";

/// Reserves the next slot of `bucket` under `limits`.
pub(super) async fn reserve(
    c: &Client,
    bucket: &str,
    limits: &[SendLimit],
) -> Result<SendSlot, StoreError> {
    let maxes: Vec<i32> = limits
        .iter()
        .map(|l| i32::try_from(l.max).unwrap_or(i32::MAX))
        .collect();
    let pers: Vec<i64> = limits
        .iter()
        .map(|l| i64::try_from(l.per.as_micros()).unwrap_or(i64::MAX))
        .collect();
    let keep = i32::try_from(keep(limits).max(1)).unwrap_or(i32::MAX);
    // The slot: not before now, not before the last slot (first come, first served), and for
    // each limit not before the send `max` places back plus the window (the in-memory rule).
    let at = "greatest(excluded.last_us, b.last_us,
                 (SELECT max(b.slots[cardinality(b.slots) - l.m + 1] + l.p)
                    FROM unnest($2::int[], $3::bigint[]) AS l(m, p)
                   WHERE l.m > 0 AND cardinality(b.slots) >= l.m))";
    let sql = format!(
        "INSERT INTO send_buckets AS b (bucket, slots, last_us)
         VALUES ($1, ARRAY[{NOW_US}], {NOW_US})
         ON CONFLICT (bucket) DO UPDATE SET
             last_us = {at},
             slots = (b.slots || {at})[greatest(1, cardinality(b.slots) + 2 - $4::int):]
         RETURNING last_us, {NOW_US}"
    );
    let row = c.query_one(&sql, &[&bucket, &maxes, &pers, &keep]).await?;
    slot(row.try_get(0)?, row.try_get(1)?)
}
