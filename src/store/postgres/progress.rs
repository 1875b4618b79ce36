//! Progress notes, occurrence queries and digest bookkeeping on PostgreSQL (the rules of
//! `store/sqlite/progress.rs`).
//!
//! May touch: the `progress`, `occurrences`, `outbox` (cancelling a finished occurrence's
//! reminders) and `digest_runs` tables.

use deadpool_postgres::Object;
use jiff::Timestamp;
use tokio_postgres::{Client, Transaction};

use super::rows::{self, OCCURRENCE_COLUMNS, PROGRESS_COLUMNS};
use crate::store::{NewProgress, Occurrence, OccurrenceFilter, ProgressNote, StoreError};

/// Records `notes` in one transaction, all or nothing; a done note closes its occurrence and
/// cancels its pending/retry reminders in the same transaction.
pub(super) async fn add_batch(
    c: &mut Object,
    notes: Vec<NewProgress>,
    now: Timestamp,
) -> Result<Vec<i64>, StoreError> {
    let now = now.as_second();
    let tx = c.transaction().await?;
    let mut ids = Vec::with_capacity(notes.len());
    for p in &notes {
        ids.push(insert_note(&tx, p, now).await?);
    }
    tx.commit().await?;
    Ok(ids)
}

async fn insert_note(tx: &Transaction<'_>, p: &NewProgress, now: i64) -> Result<i64, StoreError> {
    if let Some(key) = &p.occurrence_key {
        let actual: Option<String> = tx
            .query_opt("SELECT task_id FROM occurrences WHERE key = $1", &[key])
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        match actual {
            None => return Err(StoreError::NoSuchOccurrence(key.clone())),
            Some(actual) if actual != p.task_id => {
                return Err(StoreError::OccurrenceTaskMismatch {
                    key: key.clone(),
                    given: p.task_id.clone(),
                    actual,
                });
            }
            Some(_) => {}
        }
    } else if p.done {
        return Err(StoreError::DoneWithoutOccurrence(p.task_id.clone()));
    }
    let id: i64 = tx
        .query_one(
            "INSERT INTO progress (task_id, occurrence_key, note, by_name, at, done, source)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                &p.task_id,
                &p.occurrence_key,
                &p.note,
                &p.by_name,
                &now,
                &p.done,
                &p.source.as_str(),
            ],
        )
        .await?
        .try_get(0)?;
    if let (true, Some(key)) = (p.done, &p.occurrence_key) {
        tx.execute(
            "UPDATE occurrences SET status = 'done', updated_at = $2 WHERE key = $1",
            &[key, &now],
        )
        .await?;
        tx.execute(
            "UPDATE outbox SET state = 'cancelled', last_error = 'occurrence done', updated_at = $2
             WHERE occurrence_key = $1 AND state IN ('pending', 'retry')",
            &[key, &now],
        )
        .await?;
    }
    Ok(id)
}

/// A task's notes, oldest first.
pub(super) async fn for_task(c: &Client, task_id: &str) -> Result<Vec<ProgressNote>, StoreError> {
    let sql = format!("SELECT {PROGRESS_COLUMNS} FROM progress WHERE task_id = $1 ORDER BY at, id");
    rows::all(&c.query(&sql, &[&task_id]).await?, rows::progress)
}

/// The latest note of every task (ties on `at` go to the later id), by task id.
pub(super) async fn latest(c: &Client) -> Result<Vec<ProgressNote>, StoreError> {
    let sql = format!(
        "SELECT {PROGRESS_COLUMNS} FROM (
             SELECT DISTINCT ON (task_id) {PROGRESS_COLUMNS} FROM progress
             ORDER BY task_id, at DESC, id DESC) latest
         ORDER BY task_id COLLATE \"C\""
    );
    rows::all(&c.query(&sql, &[]).await?, rows::progress)
}

/// Occurrences matching `filter`, by window start, task, key.
pub(super) async fn occurrences(
    c: &Client,
    f: &OccurrenceFilter,
) -> Result<Vec<Occurrence>, StoreError> {
    // COLLATE "C": byte order, as SQLite compares text, whatever the database's locale.
    let sql = format!(
        "SELECT {OCCURRENCE_COLUMNS} FROM occurrences
         WHERE ($1::text IS NULL OR task_id = $1) AND ($2::text IS NULL OR status = $2)
           AND ($3::text IS NULL OR window_start <= $3 COLLATE \"C\")
         ORDER BY window_start COLLATE \"C\", task_id COLLATE \"C\", key COLLATE \"C\""
    );
    let started = f.started_by.map(|d| d.to_string());
    let rows = c
        .query(&sql, &[&f.task_id, &f.status.map(|s| s.as_str()), &started])
        .await?;
    rows::all(&rows, rows::occurrence)
}

/// One occurrence by key.
pub(super) async fn occurrence(c: &Client, key: &str) -> Result<Option<Occurrence>, StoreError> {
    let sql = format!("SELECT {OCCURRENCE_COLUMNS} FROM occurrences WHERE key = $1");
    c.query_opt(&sql, &[&key])
        .await?
        .map(|r| rows::occurrence(&r))
        .transpose()
}

/// Whether a digest's week was claimed.
pub(super) async fn digest_week_claimed(
    c: &Client,
    digest_id: &str,
    week: &str,
) -> Result<bool, StoreError> {
    let row = c
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM digest_runs WHERE digest_id = $1 AND week = $2)",
            &[&digest_id, &week],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Claims a digest's week; false when another call (or replica) claimed it first.
pub(super) async fn digest_claim_week(
    c: &Client,
    digest_id: &str,
    week: &str,
) -> Result<bool, StoreError> {
    let n = c
        .execute(
            "INSERT INTO digest_runs (digest_id, week) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&digest_id, &week],
        )
        .await?;
    Ok(n == 1)
}
