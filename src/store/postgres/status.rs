//! Operator views on PostgreSQL: counts by state, what is next, what failed.
//!
//! May touch: the `outbox` and `deliveries` tables, read only.

use jiff::Timestamp;
use tokio_postgres::Client;

use super::outbox::next_wakeup;
use super::rows::{self, OUTBOX_COLUMNS};
use crate::store::{
    DeliveryRecord, OutboxItem, OutboxState, STATUS_LIST_LIMIT, StatusReport, StoreError,
};

const DELIVERY_SELECT: &str = "SELECT d.outbox_id, o.task_id, o.stage, o.channel, d.attempt, \
    d.at, d.outcome, d.detail FROM deliveries d JOIN outbox o ON o.id = d.outbox_id";

/// The operator's snapshot at `now`.
pub(super) async fn status(c: &Client, now: Timestamp) -> Result<StatusReport, StoreError> {
    let mut counts: Vec<(OutboxState, u64)> = OutboxState::ALL.iter().map(|s| (*s, 0)).collect();
    for r in c
        .query("SELECT state, COUNT(*) FROM outbox GROUP BY state", &[])
        .await?
    {
        let state = OutboxState::parse(r.try_get::<_, &str>(0)?)?;
        if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
            slot.1 = r.try_get::<_, i64>(1)?.unsigned_abs();
        }
    }
    let due_now: i64 = c
        .query_one(
            "SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'retry')
               AND next_attempt_at <= $1",
            &[&now.as_second()],
        )
        .await?
        .try_get(0)?;
    let limit = STATUS_LIST_LIMIT as i64;
    let failures = c
        .query(
            &format!(
                "{DELIVERY_SELECT} WHERE d.outcome IN ('retry', 'dead')
                 ORDER BY d.at DESC, d.id DESC LIMIT $1"
            ),
            &[&limit],
        )
        .await?;
    let dead = c
        .query(
            &format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state = 'dead'
                 ORDER BY updated_at DESC, id DESC LIMIT $1"
            ),
            &[&limit],
        )
        .await?;
    Ok(StatusReport {
        counts,
        due_now: due_now.unsigned_abs(),
        next_wakeup: next_wakeup(c).await?,
        next_pending: next_pending(c, STATUS_LIST_LIMIT).await?,
        recent_failures: rows::all(&failures, rows::delivery)?,
        dead: rows::all(&dead, rows::outbox)?,
    })
}

/// The `limit` pending or retry rows due soonest (one indexed query per state, merged, as in
/// SQLite).
pub(super) async fn next_pending(c: &Client, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state = $1
         ORDER BY next_attempt_at, id LIMIT $2"
    );
    let n = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut items = Vec::new();
    for state in ["pending", "retry"] {
        items.extend(rows::all(
            &c.query(&sql, &[&state, &n]).await?,
            rows::outbox,
        )?);
    }
    items.sort_by_key(|i| (i.next_attempt_at, i.id));
    items.truncate(limit);
    Ok(items)
}

/// Every delivery attempt of one row, oldest first.
pub(super) async fn deliveries(
    c: &Client,
    outbox_id: i64,
) -> Result<Vec<DeliveryRecord>, StoreError> {
    let sql = format!("{DELIVERY_SELECT} WHERE d.outbox_id = $1 ORDER BY d.id");
    rows::all(&c.query(&sql, &[&outbox_id]).await?, rows::delivery)
}
