//! Storage faults under a running daemon (SQLite): the database file deleted or replaced, the
//! disk full, the file or directory read-only, an I/O error. What the daemon does:
//!
//! - **Full, read-only, I/O error**: one operator-facing error line naming the file and what to
//!   do when the fault appears (and one when it clears), a retry every [`RETRY`] (never a busy
//!   loop), and outcomes that could not be recorded are kept in memory and recorded once the
//!   database takes writes again, so a send that went out is not sent again.
//! - **Deleted or replaced**: SQLite keeps writing to the old file's inode without an error, so
//!   everything recorded from then on would be forgotten at the next start. The daemon checks
//!   the path at every wake (at least every [`CHECK_EVERY`]); when it changed it stops claiming,
//!   finishes the sends in flight, writes the database it holds back to the path (deleted) or
//!   beside the new file (replaced, which is left alone), and exits with status 1, so systemd
//!   restarts it on the file at the path.
//!
//! May touch: the database file through [`Keeper`], the log.

use std::path::Path;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::{OutboxItem, Recorded};
use crate::store::sqlite::fault::{Fault, FileState, Keeper, classify, refine};

/// How soon a write that failed on a storage fault is tried again.
pub const RETRY: SignedDuration = SignedDuration::from_secs(5);

/// Longest sleep between two checks of the database path (one `stat`).
pub const CHECK_EVERY: Duration = Duration::from_secs(60);

/// The watch over one SQLite database file.
#[derive(Debug)]
pub struct Watch {
    keeper: Keeper,
    /// The fault being reported, until a write succeeds again.
    current: Option<Fault>,
}

impl Watch {
    /// Starts watching `db` (already opened and migrated).
    ///
    /// # Errors
    /// When the file cannot be opened a second time.
    pub fn open(db: &Path) -> anyhow::Result<Watch> {
        Ok(Watch {
            keeper: Keeper::open(db)?,
            current: None,
        })
    }

    /// Whether the path still names the file the daemon opened.
    pub fn file_state(&self) -> FileState {
        self.keeper.state()
    }

    /// Called with every failed store operation: a storage fault is logged once (with what to
    /// do) until it clears. True when `e` was a storage fault, so the caller waits [`RETRY`].
    pub fn failed(&mut self, e: &anyhow::Error, doing: &str) -> bool {
        let Some(fault) = e.chain().find_map(classify) else {
            return false;
        };
        let fault = refine(fault, self.keeper.path());
        if self.current != Some(fault) {
            self.current = Some(fault);
            let db = self.keeper.path();
            tracing::error!(
                database = %db.display(),
                while_doing = doing,
                error = %format!("{e:#}"),
                "STORAGE FAULT: the database {} {}; {}",
                db.display(),
                fault.problem(),
                fault.advice(db)
            );
        }
        true
    }

    /// Called after store writes succeeded: says once that a reported fault has cleared.
    pub fn recovered(&mut self) {
        if let Some(f) = self.current.take() {
            tracing::warn!(database = %self.keeper.path().display(), "the database takes writes again (was: {})", f.problem());
        }
    }

    /// After the file was deleted or replaced (and the sends in flight were recorded): writes
    /// the database this process holds where it belongs and returns the error to exit with.
    pub fn rescue(&self, state: FileState, now: Timestamp) -> anyhow::Error {
        let stamp = now.as_second();
        let saved = match state {
            FileState::Same => return anyhow::anyhow!("internal: rescue of an unchanged file"),
            FileState::Deleted => self.keeper.restore_deleted(stamp),
            FileState::Replaced => self.keeper.save_replaced(stamp),
        };
        lost_file_error(
            self.keeper.path(),
            state,
            saved.map_err(anyhow::Error::new),
            "was running",
        )
    }
}

/// The error a process exits with (status 1, so systemd restarts it on the file at the path)
/// after the database file `db` was deleted or replaced under it, given where the state it held
/// was saved: the path itself (written back), or a file beside it. `while_` says what dutybell
/// was doing: "was running" (the daemon, `Watch::rescue`) or "slept" (the sleeper).
pub fn lost_file_error(
    db: &Path,
    state: FileState,
    saved: anyhow::Result<std::path::PathBuf>,
    while_: &str,
) -> anyhow::Error {
    let db_path = db;
    let db = db.display().to_string();
    match (state, saved) {
        (FileState::Same, _) => anyhow::anyhow!("internal: rescue of an unchanged file"),
        (FileState::Deleted, Ok(p)) if p == db_path => anyhow::anyhow!(
            "the database {db} was deleted while dutybell {while_}; dutybell wrote the state it \
             held back to {db} (nothing recorded was lost) and stops so that the next start uses \
             it (systemd restarts it)"
        ),
        (FileState::Deleted, Ok(p)) => anyhow::anyhow!(
            "the database {db} was deleted while dutybell {while_} and another file appeared \
             there; dutybell saved the state it held to {} (nothing recorded was lost) and stops. \
             Stop dutybell and move that file to {db} to keep it",
            p.display()
        ),
        (FileState::Deleted, Err(e)) => e.context(format!(
            "the database {db} was deleted while dutybell {while_}, and writing it back failed; \
             do not restart dutybell before you have checked the disk"
        )),
        (FileState::Replaced, Ok(p)) => anyhow::anyhow!(
            "the database {db} was replaced by another file while dutybell {while_}; the new \
             file is used from the next start on (systemd restarts dutybell). The state dutybell \
             held until now is saved in {}: if the replacement was a mistake, stop dutybell and \
             move that file to {db}",
            p.display()
        ),
        (FileState::Replaced, Err(e)) => e.context(format!(
            "the database {db} was replaced while dutybell {while_}, and saving the state \
             dutybell held failed"
        )),
    }
}

/// The loop's side of storage faults.
impl super::Loop {
    /// Records outcomes (`record::record_all`); those that fail on a storage fault (disk full …)
    /// or because the PostgreSQL server is out of reach are kept and recorded at the next turn
    /// (soon: `pacing`), so a send that went out is not sent again.
    /// `retry`: these are kept outcomes tried again (said once when kept, not at every retry).
    pub(super) async fn record_all(
        &mut self,
        pairs: Vec<(OutboxItem, Recorded)>,
        now: Timestamp,
        retry: bool,
    ) {
        let Some((err, failed)) =
            super::record::record_all(&self.store, &self.engine, &self.owner, pairs, now).await
        else {
            return;
        };
        let unreachable = crate::store::postgres::unreachable(err.as_ref());
        if self.store_failed(&err, "recording send outcomes") || unreachable {
            if !retry {
                tracing::warn!(
                    rows = failed.len(),
                    "send outcomes kept in memory; recorded once the database takes writes again"
                );
            }
            self.unrecorded.extend(failed);
        } else {
            tracing::error!(error = %format!("{err:#}"), rows = failed.len(), "recording send outcomes failed; the rows' leases will expire and they will be sent again");
        }
    }

    /// Records the outcomes kept after a storage fault.
    pub(super) async fn record_pending(&mut self) {
        if self.unrecorded.is_empty() {
            return;
        }
        let pairs = std::mem::take(&mut self.unrecorded);
        let now = self.clock.now();
        self.record_all(pairs, now, true).await;
    }

    /// Reports a failed store operation; true (and a short wait before the next turn) when it
    /// was a storage fault of the SQLite file.
    pub(super) fn store_failed(&mut self, e: &anyhow::Error, doing: &str) -> bool {
        let fault = self.storage.as_mut().is_some_and(|w| w.failed(e, doing));
        self.storage_fault |= fault;
        fault
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_is_logged_once_until_it_clears() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("d.db");
        drop(crate::store::sqlite::SqliteStore::open(&db).unwrap());
        let mut w = Watch::open(&db).unwrap();
        let full = rusqlite_full();
        assert!(w.failed(&full, "claiming"));
        assert_eq!(w.current, Some(Fault::Full));
        assert!(!w.failed(&anyhow::anyhow!("something else"), "claiming"));
        w.recovered();
        assert_eq!(w.current, None);
    }

    fn rusqlite_full() -> anyhow::Error {
        let e = crate::store::sqlite::fault::disk_full_error();
        anyhow::Error::new(crate::store::StoreError::Database(Box::new(e))).context("claiming")
    }
}
