//! The web loop's tables on PostgreSQL (the rules of `store/sqlite/requests.rs`): requests
//! (申请办结/申请延期) and their decisions, due overrides, the audit log, and an occurrence's
//! outbox rows for its history page.
//!
//! May touch: the `requests`, `due_overrides`, `audit`, `occurrences` and `outbox` tables.
//! Rules (which effect a decision has) are the service's; this file applies them atomically.

use deadpool_postgres::Object;
use deadpool_postgres::{GenericClient, Transaction};
use jiff::Timestamp;
use jiff::civil::Date;
use tokio_postgres::{Client, Row};

use super::rows::{self, OUTBOX_COLUMNS};
use crate::store::types::{date, enum_text, ts};
use crate::store::{
    AuditEntry, DecisionEffect, HOLD_REASON, NewAudit, NewRequest, OutboxItem, Request,
    RequestDecision, RequestFilter, RequestKind, RequestState, StoreError,
};

const REQUEST_COLUMNS: &str = "id, kind, task_id, occurrence_key, unit, note, new_due, state, \
    by_name, created_at, decided_at, decided_by, decision_note";

/// Rows of an occurrence's reminder ladder (digests, alerts and office messages are never held
/// or cancelled with it).
const LADDER_ONLY: &str = "kind NOT IN ('digest', 'decision', 'operator_alert', 'test') \
    AND stage NOT LIKE 'web-%'";

fn request(r: &Row) -> Result<Request, StoreError> {
    Ok(Request {
        id: r.try_get(0)?,
        kind: RequestKind::parse(r.try_get::<_, &str>(1)?)?,
        task_id: r.try_get(2)?,
        occurrence_key: r.try_get(3)?,
        unit: r.try_get(4)?,
        note: r.try_get(5)?,
        new_due: r.try_get::<_, Option<&str>>(6)?.map(date).transpose()?,
        state: RequestState::parse(r.try_get::<_, &str>(7)?)?,
        by_name: r.try_get(8)?,
        created_at: ts(r.try_get(9)?)?,
        decided_at: r.try_get::<_, Option<i64>>(10)?.map(ts).transpose()?,
        decided_by: r.try_get(11)?,
        decision_note: r.try_get(12)?,
    })
}

async fn request_in(c: &impl GenericClient, id: i64) -> Result<Request, StoreError> {
    let row = c
        .query_opt(
            &format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE id = $1"),
            &[&id],
        )
        .await?
        .ok_or(StoreError::NoSuchRequest(id))?;
    request(&row)
}

async fn insert_audit(c: &impl GenericClient, a: &NewAudit, now: i64) -> Result<i64, StoreError> {
    Ok(c.query_one(
        "INSERT INTO audit (at, actor, address, action, subject, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        &[
            &now, &a.actor, &a.address, &a.action, &a.subject, &a.before, &a.after,
        ],
    )
    .await?
    .try_get(0)?)
}

/// Files a request; with `hold`, the occurrence's pending/retry ladder rows are cancelled.
pub(super) async fn add(
    c: &mut Object,
    r: &NewRequest,
    hold: bool,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let now = now.as_second();
    let tx = c.transaction().await?;
    if tx
        .query_opt(
            "SELECT 1 FROM occurrences WHERE key = $1",
            &[&r.occurrence_key],
        )
        .await?
        .is_none()
    {
        return Err(StoreError::NoSuchOccurrence(r.occurrence_key.clone()));
    }
    let new_due = r.new_due.map(|d| d.to_string());
    let id: i64 = tx
        .query_one(
            "INSERT INTO requests (kind, task_id, occurrence_key, unit, note, new_due, by_name,
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            &[
                &r.kind.as_str(),
                &r.task_id,
                &r.occurrence_key,
                &r.unit,
                &r.note,
                &new_due,
                &r.by_name,
                &now,
            ],
        )
        .await?
        .try_get(0)?;
    if hold {
        tx.execute(
            &format!(
                "UPDATE outbox SET state = 'cancelled', last_error = $2, updated_at = $3
                 WHERE occurrence_key = $1 AND state IN ('pending', 'retry') AND {LADDER_ONLY}"
            ),
            &[&r.occurrence_key, &HOLD_REASON, &now],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Requests matching `f`, newest first.
pub(super) async fn list(c: &Client, f: &RequestFilter) -> Result<Vec<Request>, StoreError> {
    let state = f.state.map(RequestState::as_str);
    let found = c
        .query(
            &format!(
                "SELECT {REQUEST_COLUMNS} FROM requests
                 WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR occurrence_key = $2)
                   AND ($3::text IS NULL OR unit = $3)
                 ORDER BY created_at DESC, id DESC"
            ),
            &[&state, &f.occurrence_key, &f.unit],
        )
        .await?;
    rows::all(&found, request)
}

/// One request by id.
pub(super) async fn one(c: &Object, id: i64) -> Result<Request, StoreError> {
    request_in(c, id).await
}

/// Applies an office decision, its effect, audit line and messages in one transaction.
pub(super) async fn decide(
    c: &mut Object,
    d: &RequestDecision,
    now: Timestamp,
) -> Result<Request, StoreError> {
    let now = now.as_second();
    let tx = c.transaction().await?;
    // Lock the request row: two office users deciding at once must not both apply an effect.
    let req = {
        let row = tx
            .query_opt(
                &format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE id = $1 FOR UPDATE"),
                &[&d.id],
            )
            .await?
            .ok_or(StoreError::NoSuchRequest(d.id))?;
        request(&row)?
    };
    if req.state != RequestState::Pending {
        return Err(StoreError::RequestDecided {
            id: d.id,
            state: req.state,
        });
    }
    tx.execute(
        "UPDATE requests SET state = $2, decided_at = $3, decided_by = $4, decision_note = $5
         WHERE id = $1",
        &[&d.id, &d.state.as_str(), &now, &d.by, &d.note],
    )
    .await?;
    apply_effect(&tx, &req, &d.effect, now).await?;
    insert_audit(&tx, &d.audit, now).await?;
    for m in &d.messages {
        tx.execute(
            "INSERT INTO outbox (dedupe_key, occurrence_key, task_id, stage, kind, recipient,
                 channel, fire_at, state, next_attempt_at, message, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $8, $9, $10, $10)
             ON CONFLICT (dedupe_key) DO NOTHING",
            &[
                &m.dedupe_key,
                &m.occurrence_key,
                &m.task_id,
                &m.stage,
                &enum_text(&m.kind),
                &m.recipient,
                &m.channel,
                &m.fire_at.as_second(),
                &m.message.as_deref().unwrap_or(""),
                &now,
            ],
        )
        .await?;
    }
    let out = request_in(&tx, d.id).await?;
    if !d.messages.is_empty() || matches!(d.effect, DecisionEffect::Release) {
        // Rows came back or were added: other replicas may take them at once.
        super::listen::notify(&*tx).await?;
    }
    tx.commit().await?;
    Ok(out)
}

async fn apply_effect(
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
                "UPDATE occurrences SET status = 'done', updated_at = $2 WHERE key = $1",
                &[key, &now],
            )
            .await?;
            tx.execute(
                &format!(
                    "UPDATE outbox SET state = 'cancelled', last_error = 'occurrence done (办结)',
                         updated_at = $2
                     WHERE occurrence_key = $1 AND state IN ('pending', 'retry') AND {LADDER_ONLY}"
                ),
                &[key, &now],
            )
            .await?;
        }
        DecisionEffect::Release => {
            // Only reminders still ahead come back (as on SQLite).
            tx.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = fire_at, last_error = NULL,
                     updated_at = $3
                 WHERE occurrence_key = $1 AND state = 'cancelled' AND last_error = $2
                   AND fire_at >= $3",
                &[key, &HOLD_REASON, &now],
            )
            .await?;
        }
        DecisionEffect::MoveDue(d) => {
            let due = d.to_string();
            tx.execute(
                "INSERT INTO due_overrides (occurrence_key, due_date, request_id, created_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (occurrence_key) DO UPDATE SET due_date = $2, request_id = $3,
                     created_at = $4",
                &[key, &due, &req.id, &now],
            )
            .await?;
            tx.execute(
                "UPDATE occurrences SET due_date = $2, updated_at = $3 WHERE key = $1",
                &[key, &due, &now],
            )
            .await?;
        }
    }
    Ok(())
}

/// Every due override, by key.
pub(super) async fn overrides(c: &Client) -> Result<Vec<(String, Date)>, StoreError> {
    let found = c
        .query(
            "SELECT occurrence_key, due_date FROM due_overrides ORDER BY 1",
            &[],
        )
        .await?;
    found
        .iter()
        .map(|r| Ok((r.try_get(0)?, date(r.try_get::<_, &str>(1)?)?)))
        .collect()
}

/// Writes one audit line.
pub(super) async fn add_audit(c: &Object, a: &NewAudit, now: Timestamp) -> Result<i64, StoreError> {
    insert_audit(c, a, now.as_second()).await
}

/// The latest `limit` audit lines, newest first.
pub(super) async fn audit_log(c: &Client, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let found = c
        .query(
            "SELECT id, at, actor, address, action, subject, before, after FROM audit
             ORDER BY id DESC LIMIT $1",
            &[&limit],
        )
        .await?;
    rows::all(&found, |r| {
        Ok(AuditEntry {
            id: r.try_get(0)?,
            at: ts(r.try_get(1)?)?,
            actor: r.try_get(2)?,
            address: r.try_get(3)?,
            action: r.try_get(4)?,
            subject: r.try_get(5)?,
            before: r.try_get(6)?,
            after: r.try_get(7)?,
        })
    })
}

/// Every outbox row of one occurrence, by fire time.
pub(super) async fn for_occurrence(c: &Client, key: &str) -> Result<Vec<OutboxItem>, StoreError> {
    let found = c
        .query(
            &format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE occurrence_key = $1 ORDER BY fire_at, id"
            ),
            &[&key],
        )
        .await?;
    rows::all(&found, rows::outbox)
}
