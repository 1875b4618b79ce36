//! Operator views: counts by state, what is next, what failed (`dutybell status`, `outbox`).
//!
//! May touch: the `outbox` and `deliveries` tables, read only.

use jiff::Timestamp;
use rusqlite::{Row, params};

use super::outbox::{OUTBOX_COLUMNS, outbox_from_row};
use crate::store::types::ts;
use crate::store::{
    DeliveryOutcome, DeliveryRecord, OutboxItem, OutboxState, STATUS_LIST_LIMIT, StatusReport,
    StoreError,
};

use super::SqliteStore;

impl SqliteStore {
    /// The operator's snapshot at `now`; each list holds at most [`STATUS_LIST_LIMIT`] rows.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Corrupt`].
    pub(super) fn status_impl(&self, now: Timestamp) -> Result<StatusReport, StoreError> {
        let mut counts: Vec<(OutboxState, u64)> =
            OutboxState::ALL.iter().map(|s| (*s, 0)).collect();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT state, COUNT(*) FROM outbox GROUP BY state")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let state = OutboxState::parse(&row.get::<_, String>(0)?)?;
            if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
                slot.1 = row.get::<_, i64>(1)? as u64;
            }
        }
        let due_now: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'retry')
               AND next_attempt_at <= ?1",
            [now.as_second()],
            |r| r.get(0),
        )?;
        Ok(StatusReport {
            counts,
            due_now: due_now as u64,
            next_wakeup: self.next_wakeup_impl()?,
            next_pending: self.next_pending_impl(STATUS_LIST_LIMIT)?,
            recent_failures: self.recent_failures()?,
            dead: self.outbox_query("state = 'dead' ORDER BY updated_at DESC, id DESC")?,
        })
    }

    /// The `limit` pending or retry rows due soonest. One indexed query per state, merged: an
    /// `IN (…) ORDER BY` would read and sort every waiting row (1.4 s at a million rows).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Corrupt`].
    pub(super) fn next_pending_impl(&self, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        let mut items = Vec::new();
        for state in ["pending", "retry"] {
            let sql = format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state = ?1
                 ORDER BY next_attempt_at, id LIMIT ?2"
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(params![state, limit as i64])?;
            while let Some(row) = rows.next()? {
                items.push(outbox_from_row(row)?);
            }
        }
        items.sort_by_key(|i| (i.next_attempt_at, i.id));
        items.truncate(limit);
        Ok(items)
    }

    /// Every delivery attempt of one outbox row, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Corrupt`].
    pub(super) fn deliveries_impl(
        &self,
        outbox_id: i64,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        self.delivery_query("d.outbox_id = ?1 ORDER BY d.id", outbox_id)
    }

    fn recent_failures(&self) -> Result<Vec<DeliveryRecord>, StoreError> {
        let limit = STATUS_LIST_LIMIT as i64;
        self.delivery_query(
            "d.outcome IN ('retry', 'dead') ORDER BY d.at DESC, d.id DESC LIMIT ?1",
            limit,
        )
    }

    fn outbox_query(&self, tail: &str) -> Result<Vec<OutboxItem>, StoreError> {
        let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE {tail} LIMIT ?1");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([STATUS_LIST_LIMIT as i64])?;
        let mut items = Vec::new();
        while let Some(row) = rows.next()? {
            items.push(outbox_from_row(row)?);
        }
        Ok(items)
    }

    fn delivery_query(&self, tail: &str, arg: i64) -> Result<Vec<DeliveryRecord>, StoreError> {
        let sql = format!(
            "SELECT d.outbox_id, o.task_id, o.stage, o.channel, d.attempt, d.at, d.outcome,
                    d.detail
             FROM deliveries d JOIN outbox o ON o.id = d.outbox_id WHERE {tail}"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![arg])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(delivery_from_row(row)?);
        }
        Ok(out)
    }
}

fn delivery_from_row(r: &Row<'_>) -> Result<DeliveryRecord, StoreError> {
    Ok(DeliveryRecord {
        outbox_id: r.get(0)?,
        task_id: r.get(1)?,
        stage: r.get(2)?,
        channel: r.get(3)?,
        attempt: r.get(4)?,
        at: ts(r.get(5)?)?,
        outcome: DeliveryOutcome::parse(&r.get::<_, String>(6)?)?,
        detail: r.get(7)?,
    })
}
