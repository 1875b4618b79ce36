//! Planner sync on PostgreSQL: the same rules as `store/sqlite/sync.rs` (read them there), in one
//! transaction, with few round trips: the stored rows of the whole set are read in two queries,
//! decided in memory in plan order (so even a repeated key behaves as SQLite's row-by-row loop),
//! and new rows are inserted with one `unnest` statement.
//!
//! May touch: the `plan_versions`, `occurrences` and `outbox` tables.
//!
//! Concurrent syncs (a leader hand-over, an operator command) serialise on an advisory lock taken
//! inside the transaction, so two replicas never interleave one plan's writes with another's.

use std::collections::HashMap;

use deadpool_postgres::Object;
use jiff::Timestamp;
use tokio_postgres::Transaction;

use crate::store::types::enum_text;
use crate::store::{NewOccurrence, NewReminder, OutboxState, PlanSet, StoreError, SyncReport};

/// Advisory lock key of plan syncs ("dutysync").
const SYNC_LOCK: i64 = 0x6475_7479_7379_6e63;

/// Reconciles the stored plan with `plan`.
pub(super) async fn sync_plan(
    c: &mut Object,
    plan: &PlanSet,
    now: Timestamp,
) -> Result<SyncReport, StoreError> {
    let now = now.as_second();
    let tx = c.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SYNC_LOCK])
        .await?;
    let version = plan_version(&tx, plan, now).await?;
    let mut report = SyncReport::default();
    sync_occurrences(&tx, &plan.occurrences, version, now, &mut report).await?;
    sync_reminders(&tx, &plan.reminders, version, now, &mut report).await?;
    report.cancelled += cancel_removed(&tx, plan, now).await?;
    if report.added + report.updated > 0 {
        // New or moved rows: other replicas re-check what is due (sent at commit).
        super::listen::notify(&*tx).await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// Cancels the pending rows in the planned window whose reminder is no longer in the plan.
///
/// The set difference is taken here, not in SQL: `NOT EXISTS (… unnest($keys) …)` ran as a
/// nested loop (PostgreSQL cannot estimate `unnest`), 1.4·10^10 comparisons for 10,000 tasks, and
/// did not finish in 7 minutes (docs/BENCHMARKS.md §8). Reading the candidates' keys is one
/// indexed range scan; the update re-checks the state, so a row claimed meanwhile is left alone.
async fn cancel_removed(
    tx: &Transaction<'_>,
    plan: &PlanSet,
    now: i64,
) -> Result<usize, StoreError> {
    let keys: std::collections::HashSet<&str> = plan
        .reminders
        .iter()
        .map(|r| r.dedupe_key.as_str())
        .collect();
    let from = plan.horizon_start.map_or(now, |s| s.as_second().max(now));
    let mut gone: Vec<i64> = Vec::new();
    for r in tx
        .query(
            "SELECT id, dedupe_key FROM outbox
             WHERE state IN ('pending', 'retry') AND fire_at BETWEEN $1 AND $2
               AND kind NOT IN ('digest', 'decision', 'operator_alert', 'test')",
            &[&from, &plan.horizon_end.as_second()],
        )
        .await?
    {
        if !keys.contains(r.try_get::<_, &str>(1)?) {
            gone.push(r.try_get(0)?);
        }
    }
    if gone.is_empty() {
        return Ok(0);
    }
    Ok(tx
        .execute(
            "UPDATE outbox SET state = 'cancelled', last_error = 'removed from the plan',
                 updated_at = $2
             WHERE id = ANY($1) AND state IN ('pending', 'retry')",
            &[&gone, &now],
        )
        .await? as usize)
}

async fn plan_version(tx: &Transaction<'_>, plan: &PlanSet, now: i64) -> Result<i64, StoreError> {
    let latest = tx
        .query_opt(
            "SELECT id, config_hash FROM plan_versions ORDER BY id DESC LIMIT 1",
            &[],
        )
        .await?;
    if let Some(row) = latest
        && row.try_get::<_, &str>(1)? == plan.version_hash
    {
        return Ok(row.try_get(0)?);
    }
    let summary = format!(
        "{} occurrences, {} reminders",
        plan.occurrences.len(),
        plan.reminders.len()
    );
    let row = tx
        .query_one(
            "INSERT INTO plan_versions (created_at, config_hash, summary) VALUES ($1, $2, $3)
             RETURNING id",
            &[&now, &plan.version_hash, &summary],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// The stored fields of an occurrence that a plan may change.
type OccFields = (String, String, String, Option<String>, String);

fn occ_fields(o: &NewOccurrence) -> OccFields {
    (
        o.period_label.clone(),
        o.window_start.to_string(),
        o.window_end.to_string(),
        o.due_date.map(|d| d.to_string()),
        enum_text(&o.colour),
    )
}

async fn sync_occurrences(
    tx: &Transaction<'_>,
    occs: &[NewOccurrence],
    version: i64,
    now: i64,
    report: &mut SyncReport,
) -> Result<(), StoreError> {
    let keys: Vec<&str> = occs.iter().map(|o| o.key.as_str()).collect();
    let mut stored: HashMap<String, OccFields> = HashMap::new();
    for r in tx
        .query(
            "SELECT key, period_label, window_start, window_end, due_date, colour
             FROM occurrences WHERE key = ANY($1)",
            &[&keys],
        )
        .await?
    {
        stored.insert(
            r.try_get(0)?,
            (
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
            ),
        );
    }
    // New occurrences are inserted with one `unnest` at the end (one round trip instead of one
    // per occurrence: 40,000 for 10,000 tasks). A key repeated in the plan updates the pending
    // insert, as SQLite's row-by-row loop would update the row it has just inserted.
    let mut fresh: Vec<(&NewOccurrence, OccFields)> = Vec::new();
    let mut pending: HashMap<&str, usize> = HashMap::new();
    for o in occs {
        let fields = occ_fields(o);
        if let Some(&i) = pending.get(o.key.as_str()) {
            if fresh[i].1 != fields {
                fresh[i].1 = fields;
                report.occurrences_updated += 1;
            }
            continue;
        }
        match stored.get(&o.key) {
            None => {
                pending.insert(o.key.as_str(), fresh.len());
                fresh.push((o, fields));
                report.occurrences_added += 1;
                continue;
            }
            Some(old) if *old == fields => {}
            Some(_) => {
                // Status is deliberately not touched: done stays done whatever the plan says.
                let (label, start, end, due, colour) = &fields;
                tx.execute(
                    "UPDATE occurrences SET period_label = $2, window_start = $3, window_end = $4,
                         due_date = $5, colour = $6, plan_version = $7, updated_at = $8
                     WHERE key = $1",
                    &[&o.key, label, start, end, due, colour, &version, &now],
                )
                .await?;
                report.occurrences_updated += 1;
            }
        }
        stored.insert(o.key.clone(), fields);
    }
    insert_occurrences(tx, &fresh, version, now).await
}

/// Inserts new occurrences with one `unnest`.
async fn insert_occurrences(
    tx: &Transaction<'_>,
    fresh: &[(&NewOccurrence, OccFields)],
    version: i64,
    now: i64,
) -> Result<(), StoreError> {
    if fresh.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&(&NewOccurrence, OccFields)) -> String| -> Vec<String> {
        fresh.iter().map(f).collect()
    };
    let keys = col(|(o, _)| o.key.clone());
    let tasks = col(|(o, _)| o.task_id.clone());
    let rules: Vec<i64> = fresh.iter().map(|(o, _)| i64::from(o.rule_index)).collect();
    let labels = col(|(_, f)| f.0.clone());
    let starts = col(|(_, f)| f.1.clone());
    let ends = col(|(_, f)| f.2.clone());
    let dues: Vec<Option<String>> = fresh.iter().map(|(_, f)| f.3.clone()).collect();
    let colours = col(|(_, f)| f.4.clone());
    tx.execute(
        "INSERT INTO occurrences (key, task_id, rule_index, period_label, window_start,
             window_end, due_date, colour, plan_version, created_at, updated_at)
         SELECT k, t, r, l, ws, we, d, c, $9, $10, $10
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[]) AS n(k, t, r, l, ws, we, d, c)",
        &[
            &keys, &tasks, &rules, &labels, &starts, &ends, &dues, &colours, &version, &now,
        ],
    )
    .await?;
    Ok(())
}

/// One reminder row as the sync sees it: stored (with an id) or about to be inserted.
struct RowState {
    id: Option<i64>,
    state: OutboxState,
    fire_at: i64,
    message: String,
    reason: Option<&'static str>,
    /// Written back at the end: `Some(true)` all fields, `Some(false)` the message only.
    dirty: Option<bool>,
    rem: usize,
}

async fn sync_reminders(
    tx: &Transaction<'_>,
    rems: &[NewReminder],
    version: i64,
    now: i64,
    report: &mut SyncReport,
) -> Result<(), StoreError> {
    let keys: Vec<&str> = rems.iter().map(|r| r.dedupe_key.as_str()).collect();
    let mut rows: HashMap<String, RowState> = HashMap::new();
    for r in tx
        .query(
            "SELECT dedupe_key, id, state, fire_at, message FROM outbox WHERE dedupe_key = ANY($1)",
            &[&keys],
        )
        .await?
    {
        rows.insert(
            r.try_get(0)?,
            RowState {
                id: Some(r.try_get(1)?),
                state: OutboxState::parse(r.try_get::<_, &str>(2)?)?,
                fire_at: r.try_get(3)?,
                message: r.try_get(4)?,
                reason: None,
                dirty: None,
                rem: 0,
            },
        );
    }
    let occ_keys: Vec<&str> = rems.iter().map(|r| r.occurrence_key.as_str()).collect();
    let mut closed: HashMap<String, bool> = HashMap::new();
    for r in tx
        .query(
            "SELECT key, status <> 'open' FROM occurrences WHERE key = ANY($1)",
            &[&occ_keys],
        )
        .await?
    {
        closed.insert(r.try_get(0)?, r.try_get(1)?);
    }
    let mut order: Vec<String> = Vec::new();
    let mut listed: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (i, rem) in rems.iter().enumerate() {
        let open = !closed.get(&rem.occurrence_key).copied().unwrap_or(false);
        let fire_at = rem.fire_at.as_second();
        let message = rem.message.clone().unwrap_or_default();
        let Some(row) = rows.get_mut(&rem.dedupe_key) else {
            let (state, reason) = if !open {
                (OutboxState::Skipped, Some("occurrence closed"))
            } else if crate::store::planned_past(fire_at, now) {
                (OutboxState::Skipped, Some("past due when planned"))
            } else {
                (OutboxState::Pending, None)
            };
            match state {
                OutboxState::Pending => report.added += 1,
                _ => report.skipped += 1,
            }
            order.push(rem.dedupe_key.clone());
            listed.insert(rem.dedupe_key.clone());
            let row = RowState {
                id: None,
                state,
                fire_at,
                message,
                reason,
                dirty: Some(true),
                rem: i,
            };
            rows.insert(rem.dedupe_key.clone(), row);
            continue;
        };
        decide(row, open, fire_at, message, now, report);
        row.rem = i;
        if row.dirty.is_some() && listed.insert(rem.dedupe_key.clone()) {
            order.push(rem.dedupe_key.clone());
        }
    }
    write_rows(tx, rems, &rows, &order, version, now).await
}

/// The rules of `update_existing` in `store/sqlite/sync.rs`, applied to the in-memory row.
fn decide(
    row: &mut RowState,
    open: bool,
    fire_at: i64,
    message: String,
    now: i64,
    report: &mut SyncReport,
) {
    let same = fire_at == row.fire_at && message == row.message;
    let (state, reason, counter) = match row.state {
        OutboxState::Pending if !open => (
            OutboxState::Cancelled,
            Some("occurrence closed"),
            &mut report.cancelled,
        ),
        OutboxState::Pending if same => {
            report.unchanged += 1;
            return;
        }
        OutboxState::Pending if crate::store::planned_past(fire_at, now) && row.fire_at >= now => (
            OutboxState::Skipped,
            Some("moved into the past by a plan edit"),
            &mut report.skipped,
        ),
        OutboxState::Pending => (OutboxState::Pending, None, &mut report.updated),
        OutboxState::Retry if message != row.message => {
            row.message = message;
            row.dirty = Some(row.dirty.unwrap_or(false));
            report.updated += 1;
            return;
        }
        OutboxState::Cancelled if open && fire_at >= now => {
            (OutboxState::Pending, None, &mut report.updated)
        }
        _ => {
            report.unchanged += 1;
            return;
        }
    };
    row.state = state;
    row.reason = reason;
    row.fire_at = fire_at;
    row.message = message;
    row.dirty = Some(true);
    *counter += 1;
}

async fn write_rows(
    tx: &Transaction<'_>,
    rems: &[NewReminder],
    rows: &HashMap<String, RowState>,
    order: &[String],
    version: i64,
    now: i64,
) -> Result<(), StoreError> {
    let mut new = NewRows::default();
    for key in order {
        let Some(row) = rows.get(key) else { continue };
        let rem = &rems[row.rem];
        match (row.id, row.dirty) {
            (None, _) => new.push(rem, row),
            (Some(id), Some(true)) => {
                tx.execute(
                    "UPDATE outbox SET state = $2, fire_at = $3, next_attempt_at = $3,
                         message = $4, last_error = $5, plan_version = $6, updated_at = $7
                     WHERE id = $1",
                    &[
                        &id,
                        &row.state.as_str(),
                        &row.fire_at,
                        &row.message,
                        &row.reason,
                        &version,
                        &now,
                    ],
                )
                .await?;
            }
            (Some(id), Some(false)) => {
                tx.execute(
                    "UPDATE outbox SET message = $2, plan_version = $3, updated_at = $4
                     WHERE id = $1",
                    &[&id, &row.message, &version, &now],
                )
                .await?;
            }
            (Some(_), None) => {}
        }
    }
    if new.keys.is_empty() {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO outbox (dedupe_key, occurrence_key, task_id, stage, kind, recipient, channel,
             fire_at, state, next_attempt_at, last_error, message, plan_version, created_at,
             updated_at)
         SELECT k, o, t, s, kd, r, ch, f, st, f, e, m, $12, $13, $13
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::bigint[], $9::text[], $10::text[], $11::text[])
              WITH ORDINALITY AS n(k, o, t, s, kd, r, ch, f, st, e, m, i)
         ORDER BY i",
        &[
            &new.keys,
            &new.occ,
            &new.task,
            &new.stage,
            &new.kind,
            &new.recipient,
            &new.channel,
            &new.fire_at,
            &new.state,
            &new.reason,
            &new.message,
            &version,
            &now,
        ],
    )
    .await?;
    Ok(())
}

/// Columns of the rows to insert, for one `unnest`.
#[derive(Default)]
struct NewRows {
    keys: Vec<String>,
    occ: Vec<String>,
    task: Vec<String>,
    stage: Vec<String>,
    kind: Vec<String>,
    recipient: Vec<String>,
    channel: Vec<String>,
    fire_at: Vec<i64>,
    state: Vec<&'static str>,
    reason: Vec<Option<&'static str>>,
    message: Vec<String>,
}

impl NewRows {
    fn push(&mut self, rem: &NewReminder, row: &RowState) {
        self.keys.push(rem.dedupe_key.clone());
        self.occ.push(rem.occurrence_key.clone());
        self.task.push(rem.task_id.clone());
        self.stage.push(rem.stage.clone());
        self.kind.push(enum_text(&rem.kind));
        self.recipient.push(rem.recipient.clone());
        self.channel.push(rem.channel.clone());
        self.fire_at.push(row.fire_at);
        self.state.push(row.state.as_str());
        self.reason.push(row.reason);
        self.message.push(row.message.clone());
    }
}
