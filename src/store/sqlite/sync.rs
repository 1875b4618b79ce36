//! Planner sync: reconcile the planner's [`PlanSet`] with the stored occurrences and outbox in one
//! transaction.
//!
//! May touch: the `plan_versions`, `occurrences` and `outbox` tables.
//!
//! Rules (why each exists):
//! - Idempotent: the same set twice changes nothing, so the daemon can re-plan on every start and
//!   on every config reload without thinking.
//! - A new reminder whose `fire_at` is before `now` is stored as `skipped`, never sent: only an edit
//!   (or a first install) can create a reminder in the past, and a burst of stale reminders would
//!   teach people to ignore the bell. This holds for the very first sync of an empty database too;
//!   the operator can `retry_now` a skipped row that really should go out. "Before" means more
//!   than [`JUST_DUE`](crate::model::JUST_DUE) (15 minutes) before (`store::planned_past`):
//!   a daemon started, or a task added, at 09:00:05 still sends the 09:00 reminder, as the
//!   catch-up would have had it been planned a minute earlier. The same holds for a pending row
//!   an edit moves.
//! - A pending/retry row whose key is gone from the set is `cancelled` (never deleted) only if its
//!   `fire_at` is within `[now, horizon_end]`: outside that range the planner did not look, so
//!   absence means nothing. Past-due pending rows are left for the dispatcher (they were planned
//!   and missed, e.g. during downtime).
//! - Reminders of an occurrence that is no longer open are never (re)activated.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use crate::store::types::enum_text;
use crate::store::{NewOccurrence, NewReminder, OutboxState, PlanSet, StoreError, SyncReport};

use super::SqliteStore;

impl SqliteStore {
    /// Reconciles the stored plan with `plan` (see the module docs for the rules).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`]; on error nothing is changed.
    pub(super) fn sync_plan_impl(
        &mut self,
        plan: &PlanSet,
        now: Timestamp,
    ) -> Result<SyncReport, StoreError> {
        let now_s = now.as_second();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version = plan_version(&tx, plan, now_s)?;
        let mut report = SyncReport::default();
        for occ in &plan.occurrences {
            upsert_occurrence(&tx, occ, version, now_s, &mut report)?;
        }
        // Two reads for the whole set instead of two per reminder: an unchanged plan then costs
        // no per-row SQL at all.
        fill_sync_keys(&tx, plan)?;
        let mut existing = load_existing(&tx)?;
        let closed = closed_occurrences(&tx)?;
        for rem in &plan.reminders {
            let open = !closed.contains(&rem.occurrence_key);
            let ctx = RowCtx {
                version,
                now: now_s,
                occurrence_open: open,
            };
            sync_reminder(&tx, rem, existing.remove(&rem.dedupe_key), ctx, &mut report)?;
        }
        report.cancelled += cancel_absent(&tx, plan, now_s)?;
        tx.execute("DELETE FROM temp.sync_keys", [])?;
        tx.commit()?;
        Ok(report)
    }
}

/// The id of the plan version for this hash: the latest row if its hash matches, else a new row.
fn plan_version(tx: &Transaction<'_>, plan: &PlanSet, now: i64) -> Result<i64, StoreError> {
    let latest: Option<(i64, String)> = tx
        .query_row(
            "SELECT id, config_hash FROM plan_versions ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((id, hash)) = latest
        && hash == plan.version_hash
    {
        return Ok(id);
    }
    let summary = format!(
        "{} occurrences, {} reminders",
        plan.occurrences.len(),
        plan.reminders.len()
    );
    tx.execute(
        "INSERT INTO plan_versions (created_at, config_hash, summary) VALUES (?1, ?2, ?3)",
        params![now, plan.version_hash, summary],
    )?;
    Ok(tx.last_insert_rowid())
}

fn upsert_occurrence(
    tx: &Transaction<'_>,
    occ: &NewOccurrence,
    version: i64,
    now: i64,
    report: &mut SyncReport,
) -> Result<(), StoreError> {
    let due = occ.due_date.map(|d| d.to_string());
    let colour = enum_text(&occ.colour);
    let (start, end) = (occ.window_start.to_string(), occ.window_end.to_string());
    let inserted = tx
        .prepare_cached(
            "INSERT INTO occurrences (key, task_id, rule_index, period_label, window_start,
                 window_end, due_date, colour, plan_version, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
             ON CONFLICT (key) DO NOTHING",
        )?
        .execute(params![
            occ.key,
            occ.task_id,
            occ.rule_index,
            occ.period_label,
            start,
            end,
            due,
            colour,
            version,
            now
        ])?;
    if inserted == 1 {
        report.occurrences_added += 1;
        return Ok(());
    }
    // Status is deliberately not touched: done stays done whatever the plan says.
    let updated = tx
        .prepare_cached(
            "UPDATE occurrences SET period_label = ?2, window_start = ?3, window_end = ?4,
                 due_date = ?5, colour = ?6, plan_version = ?7, updated_at = ?8
             WHERE key = ?1 AND (period_label IS NOT ?2 OR window_start IS NOT ?3
                 OR window_end IS NOT ?4 OR due_date IS NOT ?5 OR colour IS NOT ?6)",
        )?
        .execute(params![
            occ.key,
            occ.period_label,
            start,
            end,
            due,
            colour,
            version,
            now
        ])?;
    report.occurrences_updated += updated;
    Ok(())
}

/// The stored view of one reminder that sync needs.
struct Existing {
    id: i64,
    state: OutboxState,
    fire_at: i64,
    /// The stored message of a pending or retry row ('' for plan reminders); '' otherwise.
    message: String,
}

/// What every row of one sync shares.
#[derive(Clone, Copy)]
struct RowCtx {
    version: i64,
    now: i64,
    occurrence_open: bool,
}

/// The plan's keys in a temporary table, for the joins below and `cancel_absent`.
fn fill_sync_keys(tx: &Transaction<'_>, plan: &PlanSet) -> Result<(), StoreError> {
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS sync_keys (key TEXT PRIMARY KEY) WITHOUT ROWID;
         DELETE FROM temp.sync_keys;",
    )?;
    let mut insert = tx.prepare_cached("INSERT OR IGNORE INTO temp.sync_keys VALUES (?1)")?;
    for rem in &plan.reminders {
        insert.execute([&rem.dedupe_key])?;
    }
    Ok(())
}

/// The stored rows whose keys are in the plan.
fn load_existing(tx: &Transaction<'_>) -> Result<HashMap<String, Existing>, StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT o.dedupe_key, o.id, o.state, o.fire_at,
                CASE WHEN o.state IN ('pending', 'retry') THEN o.message ELSE '' END
         FROM outbox o JOIN temp.sync_keys k ON k.key = o.dedupe_key",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = HashMap::new();
    while let Some(r) = rows.next()? {
        let key: String = r.get(0)?;
        out.insert(
            key,
            Existing {
                id: r.get(1)?,
                state: OutboxState::parse(&r.get::<_, String>(2)?)?,
                fire_at: r.get(3)?,
                message: r.get(4)?,
            },
        );
    }
    Ok(out)
}

/// Occurrences that are no longer open, or held by a pending 办结 request (web loop, migration
/// 0004): their reminders are never (re)activated. Unknown occurrences (operator alerts) count as
/// open.
fn closed_occurrences(tx: &Transaction<'_>) -> Result<HashSet<String>, StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT key FROM occurrences WHERE status <> 'open'
         UNION
         SELECT occurrence_key FROM requests WHERE kind = 'done' AND state = 'pending'",
    )?;
    let keys = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    Ok(keys)
}

fn sync_reminder(
    tx: &Transaction<'_>,
    rem: &NewReminder,
    existing: Option<Existing>,
    ctx: RowCtx,
    report: &mut SyncReport,
) -> Result<(), StoreError> {
    let fire_at = rem.fire_at.as_second();
    let Some(row) = existing else {
        let (state, reason) = if !ctx.occurrence_open {
            (OutboxState::Skipped, Some("occurrence closed"))
        } else if crate::store::planned_past(fire_at, ctx.now) {
            (OutboxState::Skipped, Some("past due when planned"))
        } else {
            (OutboxState::Pending, None)
        };
        insert_reminder(tx, rem, state, reason, Some(ctx.version), ctx.now)?;
        match state {
            OutboxState::Pending => report.added += 1,
            _ => report.skipped += 1,
        }
        return Ok(());
    };
    update_existing(
        tx,
        rem,
        &row,
        ctx.occurrence_open,
        ctx.version,
        ctx.now,
        report,
    )
}

pub(super) fn insert_reminder(
    tx: &Transaction<'_>,
    rem: &NewReminder,
    state: OutboxState,
    reason: Option<&str>,
    version: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    let fire_at = rem.fire_at.as_second();
    tx.prepare_cached(
        "INSERT INTO outbox (dedupe_key, occurrence_key, task_id, stage, kind, recipient, channel,
             fire_at, state, next_attempt_at, last_error, message, plan_version, created_at,
             updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8, ?10, ?11, ?12, ?13, ?13)",
    )?
    .execute(params![
        rem.dedupe_key,
        rem.occurrence_key,
        rem.task_id,
        rem.stage,
        enum_text(&rem.kind),
        rem.recipient,
        rem.channel,
        fire_at,
        state.as_str(),
        reason,
        rem.message.as_deref().unwrap_or(""),
        version,
        now
    ])?;
    Ok(())
}

fn update_existing(
    tx: &Transaction<'_>,
    rem: &NewReminder,
    row: &Existing,
    occurrence_open: bool,
    version: i64,
    now: i64,
    report: &mut SyncReport,
) -> Result<(), StoreError> {
    let fire_at = rem.fire_at.as_second();
    let message = rem.message.as_deref().unwrap_or("");
    let same = fire_at == row.fire_at && message == row.message;
    let (state, reason, counter) = match row.state {
        OutboxState::Pending if !occurrence_open => (
            OutboxState::Cancelled,
            Some("occurrence closed"),
            &mut report.cancelled,
        ),
        OutboxState::Pending if same => return bump(&mut report.unchanged),
        // An edit moved a future reminder into the past: same rule as a new past-due row.
        OutboxState::Pending if crate::store::planned_past(fire_at, now) && row.fire_at >= now => (
            OutboxState::Skipped,
            Some("moved into the past by a plan edit"),
            &mut report.skipped,
        ),
        OutboxState::Pending => (OutboxState::Pending, None, &mut report.updated),
        // A retry keeps its schedule; only the content follows the plan.
        OutboxState::Retry if message != row.message => {
            tx.prepare_cached(
                "UPDATE outbox SET message = ?2, plan_version = ?3, updated_at = ?4 WHERE id = ?1",
            )?
            .execute(params![row.id, message, version, now])?;
            return bump(&mut report.updated);
        }
        // Back in the plan after an edit was reverted, still in the future, occurrence open.
        OutboxState::Cancelled if occurrence_open && fire_at >= now => {
            (OutboxState::Pending, None, &mut report.updated)
        }
        _ => return bump(&mut report.unchanged),
    };
    tx.prepare_cached(
        "UPDATE outbox SET state = ?2, fire_at = ?3, next_attempt_at = ?3, message = ?4,
             last_error = ?5, plan_version = ?6, updated_at = ?7
         WHERE id = ?1",
    )?
    .execute(params![
        row.id,
        state.as_str(),
        fire_at,
        message,
        reason,
        version,
        now
    ])?;
    *counter += 1;
    Ok(())
}

fn bump(counter: &mut usize) -> Result<(), StoreError> {
    *counter += 1;
    Ok(())
}

/// Cancels pending/retry rows in `[now, horizon_end]` whose key is not in the plan (the keys are
/// in `temp.sync_keys`, filled by [`fill_sync_keys`]).
fn cancel_absent(tx: &Transaction<'_>, plan: &PlanSet, now: i64) -> Result<usize, StoreError> {
    let from = plan.horizon_start.map_or(now, |s| s.as_second().max(now));
    let cancelled = tx.execute(
        "UPDATE outbox SET state = 'cancelled', last_error = 'removed from the plan',
             updated_at = ?3
         WHERE state IN ('pending', 'retry') AND fire_at BETWEEN ?1 AND ?2
           AND kind NOT IN ('digest', 'decision', 'operator_alert', 'test') AND stage NOT LIKE 'web-%'
           AND dedupe_key NOT IN (SELECT key FROM temp.sync_keys)",
        params![from, plan.horizon_end.as_second(), now],
    )?;
    Ok(cancelled)
}
