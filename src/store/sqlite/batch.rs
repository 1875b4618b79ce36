//! Batch progress notes: several notes recorded in one transaction, all or nothing (CSV import).
//!
//! May touch: the `progress`, `occurrences` and `outbox` tables, exactly as
//! [`Store::add_progress`] does for one note.

use jiff::Timestamp;
use rusqlite::TransactionBehavior;

use super::progress::insert_note;
use crate::store::{NewProgress, StoreError};

use super::SqliteStore;

impl SqliteStore {
    /// Records `notes` in one transaction and returns their ids in order. Each note follows the
    /// rules of [`Store::add_progress`] (a done note completes its occurrence and cancels its
    /// pending/retry reminders); if any note is refused, nothing at all is written.
    ///
    /// # Errors
    /// The first refusal: [`StoreError::DoneWithoutOccurrence`], [`StoreError::NoSuchOccurrence`],
    /// [`StoreError::OccurrenceTaskMismatch`]; or [`StoreError::Sqlite`]. The transaction is
    /// rolled back in every case.
    pub(super) fn add_progress_batch_impl(
        &mut self,
        notes: Vec<NewProgress>,
        now: Timestamp,
    ) -> Result<Vec<i64>, StoreError> {
        let now_s = now.as_second();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut ids = Vec::with_capacity(notes.len());
        for p in &notes {
            ids.push(insert_note(&tx, p, now_s)?);
        }
        tx.commit()?;
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;
    use jiff::civil::date;

    use super::*;
    use crate::notify::Colour;
    use crate::store::{NewOccurrence, OccurrenceStatus, PlanSet, ProgressSource};

    fn store() -> SqliteStore {
        let mut s = SqliteStore::open_in_memory().unwrap();
        let occ = NewOccurrence {
            key: "4.2@a".into(),
            task_id: "4.2".into(),
            rule_index: 0,
            period_label: "a".into(),
            window_start: date(2027, 3, 1),
            window_end: date(2027, 3, 31),
            due_date: None,
            colour: Colour::Blue,
        };
        let plan = PlanSet {
            version_hash: "h".into(),
            horizon_start: None,
            horizon_end: Timestamp::from_second(1_900_000_000).unwrap(),
            occurrences: vec![occ],
            reminders: vec![],
        };
        s.sync_plan(&plan, Timestamp::UNIX_EPOCH).unwrap();
        s
    }

    fn note(task: &str, key: Option<&str>, done: bool) -> NewProgress {
        NewProgress {
            task_id: task.into(),
            occurrence_key: key.map(Into::into),
            note: "n".into(),
            by_name: "b".into(),
            done,
            source: ProgressSource::Csv,
        }
    }

    #[test]
    fn batch_commits_all_notes_and_completes_occurrences() {
        let mut s = store();
        let ids = s
            .add_progress_batch(
                vec![note("4.2", None, false), note("4.2", Some("4.2@a"), true)],
                Timestamp::UNIX_EPOCH,
            )
            .unwrap();
        assert_eq!(ids.len(), 2);
        assert_eq!(s.progress_for_task("4.2").unwrap().len(), 2);
        let o = s.occurrence("4.2@a").unwrap().unwrap();
        assert_eq!(o.status, OccurrenceStatus::Done);
    }

    #[test]
    fn one_bad_note_writes_nothing() {
        let mut s = store();
        let err = s
            .add_progress_batch(
                vec![
                    note("4.2", Some("4.2@a"), true),
                    note("2.1", Some("4.2@a"), false),
                ],
                Timestamp::UNIX_EPOCH,
            )
            .unwrap_err();
        assert!(
            matches!(err, StoreError::OccurrenceTaskMismatch { .. }),
            "{err}"
        );
        assert!(s.progress_for_task("4.2").unwrap().is_empty());
        let o = s.occurrence("4.2@a").unwrap().unwrap();
        assert_eq!(o.status, OccurrenceStatus::Open);
    }
}
