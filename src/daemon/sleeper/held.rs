//! The database files the sleeper holds while the daemon is away: a deleted or replaced
//! database is saved from them, and their `stat` tells when another process wrote.
//!
//! May touch: the database file and its write-ahead log (read-only descriptors, `stat`), a
//! rescue copy beside them.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::store::sqlite::beside;
use crate::store::sqlite::fault::{FileState, file_state};

/// The database file (and its write-ahead log, if one was left) held open while asleep, so a
/// file deleted or replaced under the sleeper can be written back or saved, as the running
/// daemon does (`storage`), without opening SQLite.
#[derive(Debug)]
pub struct Held {
    db: PathBuf,
    id: (u64, u64),
    file: std::fs::File,
    wal: Option<std::fs::File>,
}

impl Held {
    /// Opens `db` (and `db-wal`, when there is one) read-only.
    ///
    /// # Errors
    /// The database cannot be opened.
    pub fn open(db: &Path) -> std::io::Result<Held> {
        let file = std::fs::File::open(db)?;
        let m = file.metadata()?;
        let wal = std::fs::File::open(beside(db, "-wal")).ok();
        Ok(Held {
            db: db.to_owned(),
            id: (m.dev(), m.ino()),
            file,
            wal,
        })
    }

    /// Whether the path still names the held file (one `stat`), as `Keeper::state` tells for
    /// the running daemon.
    pub fn state(&self) -> FileState {
        file_state(&self.db, self.id)
    }

    /// Writes the held database back to its path (deleted) or beside the new file (replaced),
    /// and returns the error to exit with (`storage::lost_file_error`).
    pub fn rescue(&self, state: FileState, now: Timestamp) -> anyhow::Error {
        let stamp = now.as_second();
        let saved = match state {
            FileState::Same => return anyhow::anyhow!("internal: rescue of an unchanged file"),
            FileState::Deleted => self.restore_deleted(stamp),
            FileState::Replaced => self.save_replaced(stamp),
        };
        crate::daemon::storage::lost_file_error(&self.db, state, saved, "slept")
    }

    /// As `Keeper::restore_deleted`: a copy through a temporary file and a link that never
    /// replaces a file that appeared meanwhile. Returns the path written: the database path, or
    /// the copy when something else took the path.
    fn restore_deleted(&self, stamp: i64) -> anyhow::Result<PathBuf> {
        let copy = beside(&self.db, &format!(".rescued-{stamp}"));
        self.copy_to(&copy)?;
        Ok(if link_into_place(&copy, &self.db)? {
            self.db.clone()
        } else {
            copy
        })
    }

    /// As `Keeper::save_replaced`: a copy beside the new file, which is left alone.
    fn save_replaced(&self, stamp: i64) -> anyhow::Result<PathBuf> {
        let copy = beside(&self.db, &format!(".replaced-{stamp}"));
        self.copy_to(&copy)?;
        Ok(copy)
    }

    /// Copies the held database (and its log) to `to` (and `to-wal`).
    fn copy_to(&self, to: &Path) -> std::io::Result<()> {
        copy_from(&self.file, to)?;
        if let Some(w) = &self.wal {
            copy_from(w, &beside(to, "-wal"))?;
        }
        Ok(())
    }
}

/// Writes the whole content of `from` (read from its start) to the new file `to`, synced.
fn copy_from(from: &std::fs::File, to: &Path) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    use std::os::unix::fs::OpenOptionsExt;
    let mut src = from.try_clone()?;
    src.seek(SeekFrom::Start(0))?;
    let mut dst = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(to)?;
    std::io::copy(&mut src, &mut dst)?;
    dst.sync_all()
}

/// Links `copy` (and its log) to `db` unless a file appeared there; true when linked.
fn link_into_place(copy: &Path, db: &Path) -> std::io::Result<bool> {
    let wal = beside(copy, "-wal");
    if wal.exists() {
        // The log first: a database whose log is missing would open without its last writes.
        match std::fs::hard_link(&wal, beside(db, "-wal")) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    match std::fs::hard_link(copy, db) {
        Ok(()) => {
            let _ = std::fs::remove_file(copy);
            let _ = std::fs::remove_file(&wal);
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// A database file's identity and last write, as `stat` tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Stamp(Option<(u64, u64, u64, i64, i64)>);

impl Stamp {
    fn of(p: &Path) -> Stamp {
        Stamp(
            std::fs::metadata(p)
                .ok()
                .map(|m| (m.dev(), m.ino(), m.len(), m.mtime(), m.mtime_nsec())),
        )
    }
}

/// The database and its write-ahead log.
pub(super) fn stamps(db: &Path) -> [Stamp; 2] {
    [Stamp::of(db), Stamp::of(&beside(db, "-wal"))]
}
