//! The durable outbox as the dispatcher sees it: when to wake, claim due rows, record outcomes.
//!
//! May touch: the `outbox` and `deliveries` tables.
//!
//! Delivery is at-least-once. A row is set `sending` in the same transaction that claims it, and
//! its outcome is recorded in another; a crash in between leaves it `sending`, and
//! [`Store::recover_in_flight`] turns it back into a `retry` at start-up. So the only duplicates
//! are sends that were in flight at a crash: at most one per claimed row, bounded by the claim
//! `limit`. A channel that honours the reminder id (email `Message-ID`, generic `webhook-id`) lets
//! the receiver drop even those.

use jiff::{SignedDuration, Timestamp};
use rusqlite::{Row, Transaction, TransactionBehavior, params};

use super::types::{enum_parse, ts};
use super::{DeliveryOutcome, OutboxItem, OutboxState, Store, StoreError};

/// A row claimed later than this after its `fire_at` is flagged [`OutboxItem::late`], so the
/// message or the log can say the reminder was delayed (e.g. by downtime).
pub const LATE_AFTER: SignedDuration = SignedDuration::from_mins(15);

/// The column list that [`outbox_from_row`] decodes.
pub(crate) const OUTBOX_COLUMNS: &str = "id, dedupe_key, occurrence_key, task_id, stage, kind, \
    recipient, channel, fire_at, state, attempts, next_attempt_at, last_error, message, late, \
    plan_version, created_at, updated_at, sent_at";

/// Decodes a row selected with [`OUTBOX_COLUMNS`].
pub(crate) fn outbox_from_row(r: &Row<'_>) -> Result<OutboxItem, StoreError> {
    Ok(OutboxItem {
        id: r.get(0)?,
        dedupe_key: r.get(1)?,
        occurrence_key: r.get(2)?,
        task_id: r.get(3)?,
        stage: r.get(4)?,
        kind: enum_parse(&r.get::<_, String>(5)?)?,
        recipient: r.get(6)?,
        channel: r.get(7)?,
        fire_at: ts(r.get(8)?)?,
        state: OutboxState::parse(&r.get::<_, String>(9)?)?,
        attempts: r.get(10)?,
        next_attempt_at: ts(r.get(11)?)?,
        last_error: r.get(12)?,
        message: r.get(13)?,
        late: r.get(14)?,
        plan_version: r.get(15)?,
        created_at: ts(r.get(16)?)?,
        updated_at: ts(r.get(17)?)?,
        sent_at: r.get::<_, Option<i64>>(18)?.map(ts).transpose()?,
    })
}

impl Store {
    /// The earliest time a pending or retry row becomes due, or `None` if nothing is waiting.
    /// The daemon sleeps until then (or until woken).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn next_wakeup(&self) -> Result<Option<Timestamp>, StoreError> {
        let secs: Option<i64> = self.conn.query_row(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE state IN ('pending', 'retry')",
            [],
            |r| r.get(0),
        )?;
        secs.map(ts).transpose()
    }

    /// Claims up to `limit` pending/retry rows due at `now`, oldest `fire_at` first: each is set
    /// `sending` with `attempts + 1` in one transaction, so no other handle can claim it too.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`]; on error nothing is claimed.
    pub fn claim_due(
        &mut self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let now_s = now.as_second();
        let late_before = now_s - LATE_AFTER.as_secs();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<i64> = tx
            .prepare_cached(
                "SELECT id FROM outbox WHERE state IN ('pending', 'retry') AND next_attempt_at <= ?1
                 ORDER BY fire_at, id LIMIT ?2",
            )?
            .query_map(params![now_s, limit as i64], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut items = Vec::with_capacity(ids.len());
        for id in ids {
            tx.prepare_cached(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?2,
                     late = (late OR fire_at < ?3)
                 WHERE id = ?1",
            )?
            .execute(params![id, now_s, late_before])?;
            items.push(load(&tx, id)?);
        }
        tx.commit()?;
        Ok(items)
    }

    /// Records a successful send of a claimed row.
    ///
    /// # Errors
    /// [`StoreError::NoSuchOutboxRow`], or [`StoreError::InvalidState`] unless the row is `sending`.
    pub fn record_sent(&mut self, id: i64, now: Timestamp, detail: &str) -> Result<(), StoreError> {
        let sql = "UPDATE outbox SET state = 'sent', sent_at = ?2, last_error = NULL,
                       updated_at = ?2 WHERE id = ?1";
        self.finish(
            id,
            now,
            DeliveryOutcome::Sent,
            detail,
            sql,
            params![id, now.as_second()],
        )
    }

    /// Records a transient failure of a claimed row; it is due again at `next_at`.
    ///
    /// # Errors
    /// As [`Store::record_sent`].
    pub fn record_retry(
        &mut self,
        id: i64,
        now: Timestamp,
        next_at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE outbox SET state = 'retry', next_attempt_at = ?3, last_error = ?4,
                       updated_at = ?2 WHERE id = ?1";
        let p = params![id, now.as_second(), next_at.as_second(), error];
        self.finish(id, now, DeliveryOutcome::Retry, error, sql, p)
    }

    /// Records that a claimed row is given up (permanent error or retries exhausted).
    ///
    /// # Errors
    /// As [`Store::record_sent`].
    pub fn record_dead(&mut self, id: i64, now: Timestamp, error: &str) -> Result<(), StoreError> {
        let sql =
            "UPDATE outbox SET state = 'dead', last_error = ?3, updated_at = ?2 WHERE id = ?1";
        let p = params![id, now.as_second(), error];
        self.finish(id, now, DeliveryOutcome::Dead, error, sql, p)
    }

    /// Records that a claimed row is deliberately not sent (e.g. its channel was removed).
    ///
    /// # Errors
    /// As [`Store::record_sent`].
    pub fn record_skipped(
        &mut self,
        id: i64,
        now: Timestamp,
        reason: &str,
    ) -> Result<(), StoreError> {
        let sql =
            "UPDATE outbox SET state = 'skipped', last_error = ?3, updated_at = ?2 WHERE id = ?1";
        let p = params![id, now.as_second(), reason];
        self.finish(id, now, DeliveryOutcome::Skipped, reason, sql, p)
    }

    /// Shared body of the `record_*` calls: check the row is `sending`, apply `sql`, and write
    /// the `deliveries` row, all in one transaction.
    fn finish(
        &mut self,
        id: i64,
        now: Timestamp,
        outcome: DeliveryOutcome,
        detail: &str,
        sql: &str,
        sql_params: &[&dyn rusqlite::ToSql],
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let item = load(&tx, id)?;
        if item.state != OutboxState::Sending {
            return Err(StoreError::InvalidState {
                id,
                state: item.state,
                action: "record a delivery outcome (row is not claimed)",
            });
        }
        tx.execute(sql, sql_params)?;
        insert_delivery(&tx, id, item.attempts, now.as_second(), outcome, detail)?;
        tx.commit()?;
        Ok(())
    }

    /// Start-up recovery: rows left `sending` by a crash become `retry`, due `now`. Returns how
    /// many. These are the bounded duplicates described in the module docs: the send may have
    /// gone out before the crash.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn recover_in_flight(&mut self, now: Timestamp) -> Result<usize, StoreError> {
        let now_s = now.as_second();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO deliveries (outbox_id, attempt, at, outcome, detail)
             SELECT id, attempts, ?1, 'retry', 'interrupted: process stopped while sending'
             FROM outbox WHERE state = 'sending'",
            [now_s],
        )?;
        let n = tx.execute(
            "UPDATE outbox SET state = 'retry', next_attempt_at = ?1, updated_at = ?1,
                 last_error = 'interrupted: process stopped while sending'
             WHERE state = 'sending'",
            [now_s],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// Operator action: a `dead`, `retry` or `skipped` row becomes `retry`, due `now`.
    ///
    /// # Errors
    /// [`StoreError::NoSuchOutboxRow`], or [`StoreError::InvalidState`] for other states.
    pub fn retry_now(&mut self, id: i64, now: Timestamp) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let item = load(&tx, id)?;
        if !matches!(
            item.state,
            OutboxState::Dead | OutboxState::Retry | OutboxState::Skipped
        ) {
            return Err(StoreError::InvalidState {
                id,
                state: item.state,
                action: "retry now (only dead, retry or skipped rows can be retried)",
            });
        }
        tx.execute(
            "UPDATE outbox SET state = 'retry', next_attempt_at = ?2, updated_at = ?2 WHERE id = ?1",
            params![id, now.as_second()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// One outbox row by id.
    ///
    /// # Errors
    /// [`StoreError::NoSuchOutboxRow`].
    pub fn outbox_item(&self, id: i64) -> Result<OutboxItem, StoreError> {
        load(&self.conn, id)
    }

    /// Outbox rows, optionally of one state, by next due time (then id), at most `limit`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Corrupt`].
    pub fn list_outbox(
        &self,
        state: Option<OutboxState>,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE (?1 IS NULL OR state = ?1)
             ORDER BY next_attempt_at, id LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![state.map(|s| s.as_str()), limit as i64])?;
        let mut items = Vec::new();
        while let Some(row) = rows.next()? {
            items.push(outbox_from_row(row)?);
        }
        Ok(items)
    }
}

/// Loads one row (inside or outside a transaction).
fn load(conn: &rusqlite::Connection, id: i64) -> Result<OutboxItem, StoreError> {
    let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(row) => outbox_from_row(row),
        None => Err(StoreError::NoSuchOutboxRow(id)),
    }
}

fn insert_delivery(
    tx: &Transaction<'_>,
    outbox_id: i64,
    attempt: u32,
    at: i64,
    outcome: DeliveryOutcome,
    detail: &str,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO deliveries (outbox_id, attempt, at, outcome, detail)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![outbox_id, attempt, at, outcome.as_str(), detail])?;
    Ok(())
}
