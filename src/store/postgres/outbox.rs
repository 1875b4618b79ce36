//! The durable outbox on PostgreSQL: claims with `FOR UPDATE SKIP LOCKED`, leases on the
//! database's clock, outcomes only from the lease holder, recovery, operator retries.
//!
//! May touch: the `outbox` and `deliveries` tables.
//!
//! Several replicas claim from one table. What keeps a row from being sent twice while its holder
//! is alive, and which duplicate-send bugs of other PostgreSQL-backed schedulers it avoids:
//! - The claim is ONE statement: a `MATERIALIZED` CTE selects due rows `FOR UPDATE SKIP LOCKED`
//!   with a `LIMIT`, and the `UPDATE` joins on it (materialised, so the planner cannot re-run the
//!   locking subquery and take more rows than the limit). Row locks are taken and the `WHERE`
//!   re-checked on the current row version before anything is written. Quartz's clustered JDBC
//!   store fired triggers twice when it acquired them without a lock (the ABA problem of
//!   quartz-scheduler/quartz#107, #280, #29; `acquireTriggersWithinLock`): here there is no
//!   read-then-write window at all.
//! - Expiry is compared with `extract(epoch from now())`, never with a replica's clock: Quartz
//!   users report double fires with unsynchronised node clocks (quartz#548, #106); a replica
//!   whose clock is minutes off still cannot declare a live lease expired.
//! - `record` updates only `WHERE id = $1 AND state = 'sending' AND lease_owner = $2`, in the same
//!   statement that writes the delivery line. River's rescuer once overwrote a job that its
//!   worker had completed after the rescuer's read, because the rescue update checked only the id
//!   (riverqueue/river#1302, fixed by #1373 with a current-state guard); both our writes (claim and
//!   record) guard on the current state and owner, so a stale holder gets
//!   [`StoreError::LeaseLost`] and its outcome is discarded.
//! - Leases always expire: graphile-worker users found jobs stuck after an ungraceful shutdown of
//!   two instances until rows were cleared by hand (graphile/worker#449); here a row whose holder
//!   died is reclaimed by any replica after its TTL, with nothing to unlock.
//! - The owner id contains the process start instant, so a restarted process (same host and
//!   pid) never mistakes its predecessor's leases for its own.
//!
//! - No lease is taken over in the first lease TTL after the server (re)started: a restart cuts
//!   every holder off at once, and a holder whose sends went out while the server was down
//!   records them as soon as it reconnects (the daemon keeps such outcomes in memory). Without
//!   this grace the first replica back took over the others' rows before they could record, and
//!   a 4 s restart under 2 s leases sent 30 to 210 of 1,000 reminders twice (`pg_faults`). The
//!   rows of a holder that really died are taken over one TTL later than otherwise.
//!
//! What remains is the bound every at-least-once outbox has: a holder that dies (or stalls past
//! the lease, or is cut off from a running server for longer) after sending and before
//! recording; its row is sent again after the lease expires, and the reclaim is written to
//! `deliveries` with the previous holder's lease.

use deadpool_postgres::Object;
use jiff::Timestamp;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, GenericClient};

use super::rows::{self, OUTBOX_COLUMNS};
use crate::store::types::{enum_text, ts};
use crate::store::{
    DeliveryOutcome, LATE_AFTER, Lease, NewReminder, OutboxItem, OutboxState, Recorded, StoreError,
};

/// Why a row whose holder vanished is claimed again.
const LEASE_EXPIRED: &str = "lease expired: the process sending it stopped or stalled";

/// Why a row left `sending` is due again after recovery.
const INTERRUPTED: &str = "interrupted: process stopped while sending";

/// The database clock in unix seconds, as stored in `lease_until`.
const DB_NOW: &str = "floor(extract(epoch FROM now()))::bigint";

/// Adds one pending row unless its dedupe key exists.
pub(super) async fn enqueue(
    c: &Client,
    rem: &NewReminder,
    now: Timestamp,
) -> Result<bool, StoreError> {
    // One round trip: the insert, and the wake-up hint only when a row was added.
    let added = c
        .query(
            "WITH added AS (
                 INSERT INTO outbox (dedupe_key, occurrence_key, task_id, stage, kind, recipient,
                     channel, fire_at, state, next_attempt_at, message, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $8, $9, $10, $10)
                 ON CONFLICT (dedupe_key) DO NOTHING
                 RETURNING id)
             SELECT pg_notify($11, '') FROM added",
            &[
                &rem.dedupe_key,
                &rem.occurrence_key,
                &rem.task_id,
                &rem.stage,
                &enum_text(&rem.kind),
                &rem.recipient,
                &rem.channel,
                &rem.fire_at.as_second(),
                &rem.message.as_deref().unwrap_or(""),
                &now.as_second(),
                &super::listen::CHANNEL,
            ],
        )
        .await?;
    Ok(added.len() == 1)
}

/// The earliest due instant of a pending/retry row. Lease expiries are left out: they are on
/// the database's clock, which the caller's clock (`--now`, a simulation) need not share; a
/// replica on a shared store wakes at least once per lease TTL to reclaim them instead.
pub(super) async fn next_wakeup(c: &Client) -> Result<Option<Timestamp>, StoreError> {
    let row = c
        .query_one(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE state IN ('pending', 'retry')",
            &[],
        )
        .await?;
    row.try_get::<_, Option<i64>>(0)?.map(ts).transpose()
}

/// Pending rows never attempted, due before `before`.
pub(super) async fn missed(c: &Client, before: Timestamp) -> Result<Vec<OutboxItem>, StoreError> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox
         WHERE state = 'pending' AND attempts = 0 AND next_attempt_at <= $1
         ORDER BY fire_at, id"
    );
    rows::all(&c.query(&sql, &[&before.as_second()]).await?, rows::outbox)
}

/// One row, inside or outside a transaction.
pub(super) async fn load(c: &impl GenericClient, id: i64) -> Result<OutboxItem, StoreError> {
    let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = $1");
    match c.query_opt(&sql, &[&id]).await? {
        Some(r) => rows::outbox(&r),
        None => Err(StoreError::NoSuchOutboxRow(id)),
    }
}

/// A pending row becomes `skipped`, with a delivery line saying why.
pub(super) async fn skip_pending(
    c: &mut Object,
    id: i64,
    now: Timestamp,
    reason: &str,
) -> Result<(), StoreError> {
    let tx = c.transaction().await?;
    let row = tx
        .query_opt(
            "UPDATE outbox SET state = 'skipped', last_error = $3, updated_at = $2
             WHERE id = $1 AND state = 'pending' RETURNING attempts",
            &[&id, &now.as_second(), &reason],
        )
        .await?;
    let Some(row) = row else {
        let item = load(&*tx, id).await?;
        return Err(StoreError::InvalidState {
            id,
            state: item.state,
            action: "skip (only pending rows can be skipped)",
        });
    };
    let attempts: i64 = row.try_get(0)?;
    tx.execute(
        "INSERT INTO deliveries (outbox_id, attempt, at, outcome, detail, db_at)
         VALUES ($1, $2, $3, 'skipped', $4, floor(extract(epoch FROM now()))::bigint)",
        &[&id, &attempts, &now.as_second(), &reason],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Claims up to `limit` due rows for `lease.owner` in one statement (see the module docs).
pub(super) async fn claim(
    c: &Client,
    lease: &Lease,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<OutboxItem>, StoreError> {
    let now_s = now.as_second();
    let late_before = now_s - LATE_AFTER.as_secs();
    let sql = format!(
        "WITH picked AS MATERIALIZED (
             SELECT id, state AS was, attempts AS tries, lease_owner AS prev, lease_until AS prev_until
             FROM outbox
             WHERE (state IN ('pending', 'retry') AND next_attempt_at <= $1)
                OR (state = 'sending' AND lease_until <= extract(epoch FROM now())
                    AND extract(epoch FROM now() - pg_postmaster_start_time())::bigint >= $5::bigint)
             ORDER BY fire_at, id
             LIMIT $2
             FOR UPDATE SKIP LOCKED
         ), reclaimed AS (
             INSERT INTO deliveries (outbox_id, attempt, at, outcome, detail, owner, lease_until,
                                     db_at)
             SELECT id, tries, $1, 'retry', $6, prev, prev_until, {DB_NOW}
             FROM picked WHERE was = 'sending'
         )
         UPDATE outbox o SET state = 'sending', attempts = o.attempts + 1, updated_at = $1,
             late = (o.late OR o.fire_at < $3), lease_owner = $4,
             lease_until = {DB_NOW} + $5
         FROM picked WHERE o.id = picked.id
         RETURNING {}",
        OUTBOX_COLUMNS
            .split(", ")
            .map(|col| format!("o.{col}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = c
        .query(
            &sql,
            &[
                &now_s,
                &limit,
                &late_before,
                &lease.owner,
                &lease.ttl.as_secs(),
                &LEASE_EXPIRED,
            ],
        )
        .await?;
    let mut items = rows::all(&rows, rows::outbox)?;
    // RETURNING has no order; callers get the oldest first, as from SQLite.
    items.sort_by_key(|i| (i.fire_at, i.id));
    Ok(items)
}

/// Extends `owner`'s leases on `ids` on the database's clock, in one statement; returns the ids
/// it no longer holds (see [`crate::store::Store::renew`]). Like a claim's, the lease starts at
/// the whole second (up to 1 s short of `ttl`); renewals come a third into it.
pub(super) async fn renew(
    c: &Client,
    owner: &str,
    ids: &[i64],
    ttl: jiff::SignedDuration,
) -> Result<Vec<i64>, StoreError> {
    let sql = format!(
        "UPDATE outbox SET lease_until = {DB_NOW} + $3
         WHERE id = ANY($1) AND state = 'sending' AND lease_owner = $2
         RETURNING id"
    );
    let rows = c.query(&sql, &[&ids, &owner, &ttl.as_secs()]).await?;
    let held: std::collections::HashSet<i64> = rows.iter().map(|r| r.get(0)).collect();
    Ok(ids
        .iter()
        .copied()
        .filter(|id| !held.contains(id))
        .collect())
}

/// Records several outcomes in one transaction (one commit); returns the ids whose lease was lost
/// (see [`crate::store::Store::record_many`]).
pub(super) async fn record_many(
    c: &mut Object,
    owner: &str,
    outcomes: &[&Recorded],
    now: Timestamp,
) -> Result<Vec<i64>, StoreError> {
    let tx = c.transaction().await?;
    let mut lost = Vec::new();
    for &outcome in outcomes {
        match record_on(&*tx, owner, outcome, now).await {
            Ok(()) => {}
            Err(StoreError::LeaseLost { id, .. }) => lost.push(id),
            Err(e) => return Err(e),
        }
    }
    tx.commit().await?;
    Ok(lost)
}

/// Records an outcome if `owner` still holds the row (one statement: the outbox update and its
/// delivery line, or nothing).
pub(super) async fn record(
    c: &Client,
    owner: &str,
    outcome: &Recorded,
    now: Timestamp,
) -> Result<(), StoreError> {
    record_on(c, owner, outcome, now).await
}

/// [`record`] on a client or inside a transaction.
async fn record_on(
    c: &impl GenericClient,
    owner: &str,
    outcome: &Recorded,
    now: Timestamp,
) -> Result<(), StoreError> {
    let id = outcome.id();
    let (set, result, detail, message, next_at) = match outcome {
        Recorded::Sent {
            detail, message, ..
        } => (
            "state = 'sent', sent_at = $3, last_error = NULL,
             message = CASE WHEN message = '' THEN COALESCE($5, '') ELSE message END",
            DeliveryOutcome::Sent,
            detail,
            message.as_deref(),
            None,
        ),
        Recorded::Retry { next_at, error, .. } => (
            "state = 'retry', next_attempt_at = $7, last_error = $4",
            DeliveryOutcome::Retry,
            error,
            None,
            Some(next_at.as_second()),
        ),
        // A retry whose claim is given back: nothing reached the vendor (a paused channel).
        Recorded::Deferred {
            next_at, reason, ..
        } => (
            "state = 'retry', next_attempt_at = $7, last_error = $4,
             attempts = GREATEST(o.attempts - 1, 0)",
            DeliveryOutcome::Retry,
            reason,
            None,
            Some(next_at.as_second()),
        ),
        Recorded::Dead { error, .. } => (
            "state = 'dead', last_error = $4",
            DeliveryOutcome::Dead,
            error,
            None,
            None,
        ),
        Recorded::Skipped { reason, .. } => (
            "state = 'skipped', last_error = $4",
            DeliveryOutcome::Skipped,
            reason,
            None,
            None,
        ),
    };
    // The delivery line keeps the lease the outcome was recorded under (the pre-update value),
    // except a deferral's: it was no attempt, and `admin::lease_audit` reads `retry` lines that
    // carry a lease as takeovers.
    let held = match outcome {
        Recorded::Deferred { .. } => "CAST(NULL AS BIGINT)",
        _ => "held",
    };
    let sql = format!(
        "WITH done AS (
             UPDATE outbox o SET {set}, lease_owner = NULL, lease_until = NULL, updated_at = $3
             FROM (SELECT id AS old_id, lease_until AS held FROM outbox WHERE id = $1) old
             WHERE o.id = old.old_id AND o.state = 'sending' AND o.lease_owner = $2
             RETURNING o.id, o.attempts, old.held
         )
         INSERT INTO deliveries (outbox_id, attempt, at, outcome, detail, owner, lease_until, db_at)
         SELECT id, attempts, $3, $6, $4, $2, {held}, {DB_NOW} FROM done"
    );
    // Typed: each outcome uses a different subset of the parameters.
    let stmt = c
        .prepare_typed(
            &sql,
            &[
                Type::INT8,
                Type::TEXT,
                Type::INT8,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::INT8,
            ],
        )
        .await?;
    let n = c
        .execute(
            &stmt,
            &[
                &id,
                &owner,
                &now.as_second(),
                &detail,
                &message,
                &result.as_str(),
                &next_at,
            ],
        )
        .await?;
    if n == 1 {
        if next_at.is_some() {
            // The lease is released and the row due again later: every replica re-plans its
            // wake-up, so any of them takes it (not only this one).
            super::listen::notify(c).await?;
        }
        return Ok(());
    }
    // Nothing written: say whether the row is gone or the lease is.
    load(c, id).await?;
    Err(StoreError::LeaseLost {
        id,
        owner: owner.to_owned(),
    })
}

/// `sending` rows whose lease expired on the database clock (or all of them, when `all`) become
/// `retry`, due `now`, with a delivery line each.
pub(super) async fn recover_in_flight(
    c: &Client,
    now: Timestamp,
    all: bool,
) -> Result<usize, StoreError> {
    let rows = c
        .query(
            &format!(
                "WITH r AS (
                     UPDATE outbox o SET state = 'retry', next_attempt_at = $1, updated_at = $1,
                         last_error = $3, lease_owner = NULL, lease_until = NULL
                     FROM (SELECT id, lease_owner, lease_until FROM outbox
                           WHERE state = 'sending' AND ($2 OR lease_until IS NULL
                                 OR lease_until <= extract(epoch FROM now()))
                           FOR UPDATE) old
                     WHERE o.id = old.id
                     RETURNING o.id, o.attempts, old.lease_owner, old.lease_until
                 )
                 INSERT INTO deliveries (outbox_id, attempt, at, outcome, detail, owner,
                                         lease_until, db_at)
                 SELECT id, attempts, $1, 'retry', $3, lease_owner, lease_until, {DB_NOW} FROM r
                 RETURNING outbox_id"
            ),
            &[&now.as_second(), &all, &INTERRUPTED],
        )
        .await?;
    if !rows.is_empty() {
        super::listen::notify(c).await?;
    }
    Ok(rows.len())
}

/// Operator action: a `dead`, `retry` or `skipped` row becomes `retry`, due `now`.
pub(super) async fn retry_now(c: &mut Object, id: i64, now: Timestamp) -> Result<(), StoreError> {
    let n = c
        .execute(
            "UPDATE outbox SET state = 'retry', next_attempt_at = $2, updated_at = $2
             WHERE id = $1 AND state IN ('dead', 'retry', 'skipped')",
            &[&id, &now.as_second()],
        )
        .await?;
    if n == 1 {
        return super::listen::notify(rows::pg(c)).await;
    }
    let item = load(rows::pg(c), id).await?;
    Err(StoreError::InvalidState {
        id,
        state: item.state,
        action: "retry now (only dead, retry or skipped rows can be retried)",
    })
}

/// Rows, optionally of one state, by next due time then id.
pub(super) async fn list(
    c: &Client,
    state: Option<OutboxState>,
    limit: usize,
) -> Result<Vec<OutboxItem>, StoreError> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE ($1::text IS NULL OR state = $1)
         ORDER BY next_attempt_at, id LIMIT $2"
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = c.query(&sql, &[&state.map(|s| s.as_str()), &limit]).await?;
    rows::all(&rows, rows::outbox)
}
