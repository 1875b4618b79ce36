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

use jiff::Timestamp;
use rusqlite::{Row, Transaction, TransactionBehavior, params};

use crate::store::types::{enum_parse, ts};
use crate::store::{
    DeliveryOutcome, LATE_AFTER, Lease, OutboxItem, OutboxState, Recorded, StoreError,
};

use super::SqliteStore;

/// Why a row whose holder vanished is claimed again.
const LEASE_EXPIRED: &str = "lease expired: the process sending it stopped or stalled";

/// Why a row left `sending` at start-up is due again.
const INTERRUPTED: &str = "interrupted: process stopped while sending";

/// The column list that [`outbox_from_row`] decodes.
pub(crate) const OUTBOX_COLUMNS: &str = "id, dedupe_key, occurrence_key, task_id, stage, kind, \
    recipient, channel, fire_at, state, attempts, next_attempt_at, last_error, message, late, \
    plan_version, created_at, updated_at, sent_at, lease_owner, lease_until";

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
        lease_owner: r.get(19)?,
        lease_until: r.get::<_, Option<i64>>(20)?.map(ts).transpose()?,
    })
}

impl SqliteStore {
    /// The earliest time a pending or retry row becomes due, or a lease expires.
    pub(super) fn next_wakeup_impl(&self) -> Result<Option<Timestamp>, StoreError> {
        let secs: Option<i64> = self.conn.query_row(
            "SELECT MIN(t) FROM (
                 SELECT MIN(next_attempt_at) AS t FROM outbox WHERE state IN ('pending', 'retry')
                 UNION ALL
                 SELECT MIN(lease_until) FROM outbox WHERE state = 'sending')",
            [],
            |r| r.get(0),
        )?;
        secs.map(ts).transpose()
    }

    /// Every pending row never attempted whose `fire_at` is before `before`.
    pub(super) fn missed_impl(&self, before: Timestamp) -> Result<Vec<OutboxItem>, StoreError> {
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox
             WHERE state = 'pending' AND attempts = 0 AND next_attempt_at <= ?1
             ORDER BY fire_at, id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([before.as_second()])?;
        let mut items = Vec::new();
        while let Some(row) = rows.next()? {
            items.push(outbox_from_row(row)?);
        }
        Ok(items)
    }

    /// A pending row becomes `skipped` with `reason` (and a `deliveries` line saying so).
    pub(super) fn skip_pending_impl(
        &mut self,
        id: i64,
        now: Timestamp,
        reason: &str,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let item = load(&tx, id)?;
        if item.state != OutboxState::Pending {
            return Err(StoreError::InvalidState {
                id,
                state: item.state,
                action: "skip (only pending rows can be skipped)",
            });
        }
        tx.execute(
            "UPDATE outbox SET state = 'skipped', last_error = ?3, updated_at = ?2 WHERE id = ?1",
            params![id, now.as_second(), reason],
        )?;
        insert_delivery(
            &tx,
            id,
            item.attempts,
            now.as_second(),
            DeliveryOutcome::Skipped,
            reason,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Claims up to `limit` due rows for `lease.owner` in one transaction: pending/retry rows due
    /// at `now` and `sending` rows whose lease expired, oldest `fire_at` first. Each is set
    /// `sending` with `attempts + 1`, the owner and `lease_until = now + ttl`.
    pub(super) fn claim_impl(
        &mut self,
        lease: &Lease,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let now_s = now.as_second();
        let until = now_s.saturating_add(lease.ttl.as_secs());
        let late_before = now_s - LATE_AFTER.as_secs();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<(i64, String)> = tx
            .prepare_cached(
                "SELECT id, state FROM outbox
                 WHERE (state IN ('pending', 'retry') AND next_attempt_at <= ?1)
                    OR (state = 'sending' AND lease_until <= ?1)
                 ORDER BY fire_at, id LIMIT ?2",
            )?
            .query_map(params![now_s, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut items = Vec::with_capacity(ids.len());
        for (id, state) in ids {
            if state == "sending" {
                // The holder died or wedged: its send may have gone out (a bounded duplicate).
                let attempts: u32 =
                    tx.query_row("SELECT attempts FROM outbox WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })?;
                insert_delivery(
                    &tx,
                    id,
                    attempts,
                    now_s,
                    DeliveryOutcome::Retry,
                    LEASE_EXPIRED,
                )?;
            }
            tx.prepare_cached(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?2,
                     late = (late OR fire_at < ?3), lease_owner = ?4, lease_until = ?5
                 WHERE id = ?1",
            )?
            .execute(params![id, now_s, late_before, lease.owner, until])?;
            items.push(load(&tx, id)?);
        }
        tx.commit()?;
        Ok(items)
    }

    /// Records an outcome if `owner` still holds the row's lease (see [`Store::record`]).
    pub(super) fn record_impl(
        &mut self,
        owner: &str,
        outcome: &Recorded,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        record_in(&tx, owner, outcome, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Records several outcomes in one transaction (see [`crate::store::Store::record_many`]).
    pub(super) fn record_many_impl(
        &mut self,
        owner: &str,
        outcomes: &[&Recorded],
        now: Timestamp,
    ) -> Result<Vec<i64>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut lost = Vec::new();
        for &outcome in outcomes {
            match record_in(&tx, owner, outcome, now) {
                Ok(()) => {}
                Err(StoreError::LeaseLost { id, .. }) => lost.push(id),
                // Dropping the transaction rolls the whole batch back.
                Err(e) => return Err(e),
            }
        }
        tx.commit()?;
        Ok(lost)
    }

    /// Extends `owner`'s leases on `ids` (see [`crate::store::Store::renew`]); one transaction.
    pub(super) fn renew_impl(
        &mut self,
        owner: &str,
        ids: &[i64],
        now: Timestamp,
        ttl: jiff::SignedDuration,
    ) -> Result<Vec<i64>, StoreError> {
        let until = now.as_second().saturating_add(ttl.as_secs());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut lost = Vec::new();
        for &id in ids {
            // The owner guard is the whole check: a takeover rewrites `lease_owner`, and a lease
            // that lapsed without one is still this owner's to extend.
            let n = tx
                .prepare_cached(
                    "UPDATE outbox SET lease_until = ?3
                     WHERE id = ?1 AND state = 'sending' AND lease_owner = ?2",
                )?
                .execute(params![id, owner, until])?;
            if n == 0 {
                lost.push(id);
            }
        }
        tx.commit()?;
        Ok(lost)
    }

    /// Start-up recovery: `sending` rows whose lease expired (or all of them, when the caller
    /// holds the database exclusively) become `retry`, due `now`. These are the bounded
    /// duplicates of at-least-once delivery: the send may have gone out before the crash.
    pub(super) fn recover_in_flight_impl(
        &mut self,
        now: Timestamp,
        all: bool,
    ) -> Result<usize, StoreError> {
        let now_s = now.as_second();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cond = "state = 'sending' AND (?2 OR lease_until IS NULL OR lease_until <= ?1)";
        tx.execute(
            &format!(
                "INSERT INTO deliveries (outbox_id, attempt, at, outcome, detail)
                 SELECT id, attempts, ?1, 'retry', '{INTERRUPTED}' FROM outbox WHERE {cond}"
            ),
            params![now_s, all],
        )?;
        let n = tx.execute(
            &format!(
                "UPDATE outbox SET state = 'retry', next_attempt_at = ?1, updated_at = ?1,
                     last_error = '{INTERRUPTED}', lease_owner = NULL, lease_until = NULL
                 WHERE {cond}"
            ),
            params![now_s, all],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// Operator action: a `dead`, `retry` or `skipped` row becomes `retry`, due `now`.
    ///
    /// # Errors
    /// [`StoreError::NoSuchOutboxRow`], or [`StoreError::InvalidState`] for other states.
    pub(super) fn retry_now_impl(&mut self, id: i64, now: Timestamp) -> Result<(), StoreError> {
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

    /// Outbox rows, optionally of one state, by next due time (then id), at most `limit`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Corrupt`].
    pub(super) fn list_outbox_impl(
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
pub(super) fn load(conn: &rusqlite::Connection, id: i64) -> Result<OutboxItem, StoreError> {
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

/// Records one outcome inside `tx` if `owner` still holds the row's lease.
fn record_in(
    tx: &Transaction<'_>,
    owner: &str,
    outcome: &Recorded,
    now: Timestamp,
) -> Result<(), StoreError> {
    let now_s = now.as_second();
    let id = outcome.id();
    let item = load(tx, id)?;

    if item.state != OutboxState::Sending || item.lease_owner.as_deref() != Some(owner) {
        return Err(StoreError::LeaseLost {
            id,
            owner: owner.to_owned(),
        });
    }
    // One statement for every outcome: the state, the error (NULL once sent), the next attempt
    // (kept unless retrying), sent_at and the frozen text (only when sent), lease released.
    let (result, detail, error, next_at, message) = match outcome {
        // Recorded as a retry whose claim is given back (`attempts - 1` below).
        Recorded::Deferred {
            next_at, reason, ..
        } => (
            DeliveryOutcome::Retry,
            reason,
            Some(reason),
            Some(next_at.as_second()),
            None,
        ),
        Recorded::Sent {
            detail, message, ..
        } => (
            DeliveryOutcome::Sent,
            detail,
            None,
            None,
            message.as_deref(),
        ),
        Recorded::Retry { next_at, error, .. } => (
            DeliveryOutcome::Retry,
            error,
            Some(error),
            Some(next_at.as_second()),
            None,
        ),
        Recorded::Dead { error, .. } => (DeliveryOutcome::Dead, error, Some(error), None, None),
        Recorded::Skipped { reason, .. } => {
            (DeliveryOutcome::Skipped, reason, Some(reason), None, None)
        }
    };
    let sent = result == DeliveryOutcome::Sent;
    let give_back = matches!(outcome, Recorded::Deferred { .. });
    tx.prepare_cached(
        "UPDATE outbox SET state = ?3, last_error = ?4,
             attempts = CASE WHEN ?8 AND attempts > 0 THEN attempts - 1 ELSE attempts END,
             next_attempt_at = COALESCE(?5, next_attempt_at),
             sent_at = CASE WHEN ?6 THEN ?2 ELSE sent_at END,
             message = CASE WHEN ?6 AND message = '' THEN COALESCE(?7, '') ELSE message END,
             lease_owner = NULL, lease_until = NULL, updated_at = ?2
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        now_s,
        result.as_str(),
        error,
        next_at,
        sent,
        message,
        give_back
    ])?;
    // A deferral's line carries the attempt count it leaves behind (as PostgreSQL's does).
    let attempt = item.attempts.saturating_sub(u32::from(give_back));
    insert_delivery(tx, id, attempt, now_s, result, detail)?;
    Ok(())
}
