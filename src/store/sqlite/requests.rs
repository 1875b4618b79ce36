//! The web loop's tables: requests (申请办结/申请延期) and their decisions, due overrides, the
//! audit log, and an occurrence's outbox rows for its history page.
//!
//! May touch: the `requests`, `due_overrides`, `audit`, `occurrences` and `outbox` tables.
//! Rules (which effect a decision has) are the service's; this file applies them atomically.

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{OptionalExtension, Row, Transaction, TransactionBehavior, params};

use super::SqliteStore;
use super::outbox::{OUTBOX_COLUMNS, outbox_from_row};
use crate::store::types::{date, ts};
use crate::store::{
    AuditEntry, DecisionEffect, HOLD_REASON, NewAudit, NewRequest, OutboxItem, OutboxState,
    Request, RequestDecision, RequestFilter, RequestKind, RequestState, StoreError,
};

const REQUEST_COLUMNS: &str = "id, kind, task_id, occurrence_key, unit, note, new_due, state, \
    by_name, created_at, decided_at, decided_by, decision_note";

/// Kinds of rows that belong to an occurrence's reminder ladder (digests, alerts and messages
/// from the office are never held or cancelled with it).
const LADDER_ONLY: &str = "kind NOT IN ('digest', 'decision', 'operator_alert', 'test') \
    AND stage NOT LIKE 'web-%'";

fn request_from_row(r: &Row<'_>) -> Result<Request, StoreError> {
    Ok(Request {
        id: r.get(0)?,
        kind: RequestKind::parse(&r.get::<_, String>(1)?)?,
        task_id: r.get(2)?,
        occurrence_key: r.get(3)?,
        unit: r.get(4)?,
        note: r.get(5)?,
        new_due: r
            .get::<_, Option<String>>(6)?
            .map(|d| date(&d))
            .transpose()?,
        state: RequestState::parse(&r.get::<_, String>(7)?)?,
        by_name: r.get(8)?,
        created_at: ts(r.get(9)?)?,
        decided_at: r.get::<_, Option<i64>>(10)?.map(ts).transpose()?,
        decided_by: r.get(11)?,
        decision_note: r.get(12)?,
    })
}

fn insert_audit(tx: &Transaction<'_>, a: &NewAudit, now: i64) -> Result<i64, StoreError> {
    tx.prepare_cached(
        "INSERT INTO audit (at, actor, address, action, subject, before, after)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        now, a.actor, a.address, a.action, a.subject, a.before, a.after
    ])?;
    Ok(tx.last_insert_rowid())
}

fn request_in(tx: &Transaction<'_>, id: i64) -> Result<Request, StoreError> {
    tx.prepare_cached(&format!(
        "SELECT {REQUEST_COLUMNS} FROM requests WHERE id = ?1"
    ))?
    .query_row([id], |r| Ok(request_from_row(r)))
    .optional()?
    .ok_or(StoreError::NoSuchRequest(id))?
}

impl SqliteStore {
    pub(super) fn add_request_impl(
        &mut self,
        r: &NewRequest,
        hold: bool,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let now = now.as_second();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM occurrences WHERE key = ?1",
                [&r.occurrence_key],
                |row| row.get(0),
            )
            .optional()?;
        if exists.is_none() {
            return Err(StoreError::NoSuchOccurrence(r.occurrence_key.clone()));
        }
        tx.execute(
            "INSERT INTO requests (kind, task_id, occurrence_key, unit, note, new_due, by_name,
                 created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                r.kind.as_str(),
                r.task_id,
                r.occurrence_key,
                r.unit,
                r.note,
                r.new_due.map(|d| d.to_string()),
                r.by_name,
                now
            ],
        )?;
        let id = tx.last_insert_rowid();
        if hold {
            tx.execute(
                &format!(
                    "UPDATE outbox SET state = 'cancelled', last_error = ?2, updated_at = ?3
                     WHERE occurrence_key = ?1 AND state IN ('pending', 'retry') AND {LADDER_ONLY}"
                ),
                params![r.occurrence_key, HOLD_REASON, now],
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    pub(super) fn requests_impl(&self, f: &RequestFilter) -> Result<Vec<Request>, StoreError> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM requests
             WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR occurrence_key = ?2)
               AND (?3 IS NULL OR unit = ?3)
             ORDER BY created_at DESC, id DESC"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![
            f.state.map(RequestState::as_str),
            f.occurrence_key,
            f.unit
        ])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(request_from_row(row)?);
        }
        Ok(out)
    }

    pub(super) fn request_impl(&self, id: i64) -> Result<Request, StoreError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {REQUEST_COLUMNS} FROM requests WHERE id = ?1"
            ))?
            .query_row([id], |r| Ok(request_from_row(r)))
            .optional()?
            .ok_or(StoreError::NoSuchRequest(id))?
    }

    pub(super) fn decide_request_impl(
        &mut self,
        d: &RequestDecision,
        now: Timestamp,
    ) -> Result<Request, StoreError> {
        let now_s = now.as_second();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let req = request_in(&tx, d.id)?;
        if req.state != RequestState::Pending {
            return Err(StoreError::RequestDecided {
                id: d.id,
                state: req.state,
            });
        }
        tx.execute(
            "UPDATE requests SET state = ?2, decided_at = ?3, decided_by = ?4, decision_note = ?5
             WHERE id = ?1",
            params![d.id, d.state.as_str(), now_s, d.by, d.note],
        )?;
        apply_effect(&tx, &req, &d.effect, now_s)?;
        insert_audit(&tx, &d.audit, now_s)?;
        for m in &d.messages {
            super::sync::insert_reminder(&tx, m, OutboxState::Pending, None, None, now_s)?;
        }
        let out = request_in(&tx, d.id)?;
        tx.commit()?;
        Ok(out)
    }

    pub(super) fn due_overrides_impl(&self) -> Result<Vec<(String, Date)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT occurrence_key, due_date FROM due_overrides ORDER BY 1")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push((row.get(0)?, date(&row.get::<_, String>(1)?)?));
        }
        Ok(out)
    }

    pub(super) fn add_audit_impl(
        &mut self,
        a: &NewAudit,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = insert_audit(&tx, a, now.as_second())?;
        tx.commit()?;
        Ok(id)
    }

    pub(super) fn audit_log_impl(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, at, actor, address, action, subject, before, after FROM audit
             ORDER BY id DESC LIMIT ?1",
        )?;
        let mut rows = stmt.query([i64::try_from(limit).unwrap_or(i64::MAX)])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(AuditEntry {
                id: r.get(0)?,
                at: ts(r.get(1)?)?,
                actor: r.get(2)?,
                address: r.get(3)?,
                action: r.get(4)?,
                subject: r.get(5)?,
                before: r.get(6)?,
                after: r.get(7)?,
            });
        }
        Ok(out)
    }

    pub(super) fn outbox_for_occurrence_impl(
        &self,
        key: &str,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE occurrence_key = ?1 ORDER BY fire_at, id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([key])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(outbox_from_row(row)?);
        }
        Ok(out)
    }
}

fn apply_effect(
    tx: &Transaction<'_>,
    req: &Request,
    effect: &DecisionEffect,
    now: i64,
) -> Result<(), StoreError> {
    let key = &req.occurrence_key;
    match effect {
        DecisionEffect::Nothing => {}
        DecisionEffect::CloseOccurrence => {
            tx.execute(
                "UPDATE occurrences SET status = 'done', updated_at = ?2 WHERE key = ?1",
                params![key, now],
            )?;
            tx.execute(
                &format!(
                    "UPDATE outbox SET state = 'cancelled', last_error = 'occurrence done (办结)',
                         updated_at = ?2
                     WHERE occurrence_key = ?1 AND state IN ('pending', 'retry') AND {LADDER_ONLY}"
                ),
                params![key, now],
            )?;
        }
        DecisionEffect::Release => {
            // Only reminders still ahead come back; those whose time passed during the hold stay
            // cancelled (the overdue ladder repeats anyway, and the 退办 message says what to do).
            tx.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = fire_at, last_error = NULL,
                     updated_at = ?3
                 WHERE occurrence_key = ?1 AND state = 'cancelled' AND last_error = ?2
                   AND fire_at >= ?3",
                params![key, HOLD_REASON, now],
            )?;
        }
        DecisionEffect::MoveDue(d) => {
            tx.execute(
                "INSERT INTO due_overrides (occurrence_key, due_date, request_id, created_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (occurrence_key) DO UPDATE SET due_date = ?2, request_id = ?3,
                     created_at = ?4",
                params![key, d.to_string(), req.id, now],
            )?;
            tx.execute(
                "UPDATE occurrences SET due_date = ?2, updated_at = ?3 WHERE key = ?1",
                params![key, d.to_string(), now],
            )?;
        }
    }
    Ok(())
}
