//! Progress notes, occurrence queries and digest bookkeeping.
//!
//! May touch: the `progress`, `occurrences`, `outbox` (cancelling a finished occurrence's
//! reminders) and `digest_runs` tables.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, Transaction, TransactionBehavior, params};

use crate::store::types::{date, enum_parse, ts};
use crate::store::{
    NewProgress, Occurrence, OccurrenceFilter, OccurrenceStatus, ProgressNote, ProgressSource,
    StoreError,
};

use super::SqliteStore;

const PROGRESS_COLUMNS: &str = "id, task_id, occurrence_key, note, by_name, at, done, source";

const OCCURRENCE_COLUMNS: &str = "key, task_id, rule_index, period_label, window_start, \
    window_end, due_date, status, colour, updated_at";

/// Record one note inside `tx`: check its occurrence, insert it, and when `done` close the
/// occurrence and cancel its pending/retry reminders. Shared by single notes and CSV batches.
pub(super) fn insert_note(
    tx: &Transaction<'_>,
    p: &NewProgress,
    now_s: i64,
) -> Result<i64, StoreError> {
    if let Some(key) = &p.occurrence_key {
        check_occurrence(tx, key, &p.task_id)?;
    } else if p.done {
        return Err(StoreError::DoneWithoutOccurrence(p.task_id.clone()));
    }
    tx.prepare_cached(
        "INSERT INTO progress (task_id, occurrence_key, note, by_name, at, done, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        p.task_id,
        p.occurrence_key,
        p.note,
        p.by_name,
        now_s,
        p.done,
        p.source.as_str()
    ])?;
    let id = tx.last_insert_rowid();
    if let (true, Some(key)) = (p.done, &p.occurrence_key) {
        tx.execute(
            "UPDATE occurrences SET status = 'done', updated_at = ?2 WHERE key = ?1",
            params![key, now_s],
        )?;
        tx.execute(
            "UPDATE outbox SET state = 'cancelled', last_error = 'occurrence done', updated_at = ?2
             WHERE occurrence_key = ?1 AND state IN ('pending', 'retry')",
            params![key, now_s],
        )?;
    }
    Ok(id)
}

impl SqliteStore {
    /// Records a progress note and returns its id. If `p.done`, the occurrence is marked done and
    /// its remaining pending/retry reminders are cancelled in the same transaction, so no reminder
    /// for finished work can go out after the note is stored.
    ///
    /// # Errors
    /// [`StoreError::DoneWithoutOccurrence`] if `done` has no occurrence key;
    /// [`StoreError::NoSuchOccurrence`] / [`StoreError::OccurrenceTaskMismatch`] if the key is
    /// unknown or belongs to another task; [`StoreError::Sqlite`].
    pub(super) fn add_progress_impl(
        &mut self,
        p: NewProgress,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = insert_note(&tx, &p, now.as_second())?;
        tx.commit()?;
        Ok(id)
    }

    /// Every note for a task, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Corrupt`].
    pub(super) fn progress_for_task_impl(
        &self,
        task_id: &str,
    ) -> Result<Vec<ProgressNote>, StoreError> {
        let sql =
            format!("SELECT {PROGRESS_COLUMNS} FROM progress WHERE task_id = ?1 ORDER BY at, id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([task_id])?;
        let mut notes = Vec::new();
        while let Some(row) = rows.next()? {
            notes.push(progress_from_row(row)?);
        }
        Ok(notes)
    }

    /// The latest note of every task that has one, ordered by task id (digests, exports).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Corrupt`].
    pub(super) fn latest_progress_impl(&self) -> Result<Vec<ProgressNote>, StoreError> {
        // Ties on `at` go to the later row id (two notes in the same second).
        let sql = format!(
            "SELECT {PROGRESS_COLUMNS} FROM progress p WHERE id = (
                 SELECT id FROM progress q WHERE q.task_id = p.task_id
                 ORDER BY at DESC, id DESC LIMIT 1)
             ORDER BY task_id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([])?;
        let mut notes = Vec::new();
        while let Some(row) = rows.next()? {
            notes.push(progress_from_row(row)?);
        }
        Ok(notes)
    }

    /// Occurrences matching `filter`, by window start, then task, then key.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Corrupt`].
    pub(super) fn occurrences_impl(
        &self,
        filter: &OccurrenceFilter,
    ) -> Result<Vec<Occurrence>, StoreError> {
        let sql = format!(
            "SELECT {OCCURRENCE_COLUMNS} FROM occurrences
             WHERE (?1 IS NULL OR task_id = ?1) AND (?2 IS NULL OR status = ?2)
               AND (?3 IS NULL OR window_start <= ?3)
             ORDER BY window_start, task_id, key"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![
            filter.task_id,
            filter.status.map(|s| s.as_str()),
            filter.started_by.map(|d| d.to_string())
        ])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(occurrence_from_row(row)?);
        }
        Ok(out)
    }

    /// One occurrence by key.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Corrupt`].
    pub(super) fn occurrence_impl(&self, key: &str) -> Result<Option<Occurrence>, StoreError> {
        let sql = format!("SELECT {OCCURRENCE_COLUMNS} FROM occurrences WHERE key = ?1");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([key])?;
        rows.next()?.map(occurrence_from_row).transpose()
    }

    /// Whether the digest `digest_id` for ISO week `week` (e.g. `2027-W08`) was already fully
    /// enqueued, so the daemon can skip rebuilding it at every wake.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub(super) fn digest_week_claimed_impl(
        &self,
        digest_id: &str,
        week: &str,
    ) -> Result<bool, StoreError> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM digest_runs WHERE digest_id = ?1 AND week = ?2",
            params![digest_id, week],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    /// Records that the digest `digest_id` for ISO week `week` was fully enqueued; true if this
    /// call recorded it (false when it already was).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub(super) fn digest_claim_week_impl(
        &mut self,
        digest_id: &str,
        week: &str,
    ) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO digest_runs (digest_id, week) VALUES (?1, ?2)",
            params![digest_id, week],
        )?;
        Ok(n == 1)
    }
}

fn check_occurrence(tx: &Transaction<'_>, key: &str, task_id: &str) -> Result<(), StoreError> {
    let actual: Option<String> = tx
        .query_row(
            "SELECT task_id FROM occurrences WHERE key = ?1",
            [key],
            |r| r.get(0),
        )
        .optional()?;
    match actual {
        None => Err(StoreError::NoSuchOccurrence(key.to_owned())),
        Some(actual) if actual != task_id => Err(StoreError::OccurrenceTaskMismatch {
            key: key.to_owned(),
            given: task_id.to_owned(),
            actual,
        }),
        Some(_) => Ok(()),
    }
}

fn progress_from_row(r: &Row<'_>) -> Result<ProgressNote, StoreError> {
    Ok(ProgressNote {
        id: r.get(0)?,
        task_id: r.get(1)?,
        occurrence_key: r.get(2)?,
        note: r.get(3)?,
        by_name: r.get(4)?,
        at: ts(r.get(5)?)?,
        done: r.get(6)?,
        source: ProgressSource::parse(&r.get::<_, String>(7)?)?,
    })
}

fn occurrence_from_row(r: &Row<'_>) -> Result<Occurrence, StoreError> {
    Ok(Occurrence {
        key: r.get(0)?,
        task_id: r.get(1)?,
        rule_index: r.get(2)?,
        period_label: r.get(3)?,
        window_start: date(&r.get::<_, String>(4)?)?,
        window_end: date(&r.get::<_, String>(5)?)?,
        due_date: r
            .get::<_, Option<String>>(6)?
            .as_deref()
            .map(date)
            .transpose()?,
        status: OccurrenceStatus::parse(&r.get::<_, String>(7)?)?,
        colour: enum_parse(&r.get::<_, String>(8)?)?,
        updated_at: ts(r.get(9)?)?,
    })
}
