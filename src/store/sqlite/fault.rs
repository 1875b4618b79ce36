//! Storage faults of the SQLite file, said so an operator can act: a corrupt file, a full disk, a
//! read-only file or directory, an I/O error. [`classify`] finds the SQLite error code behind any
//! error chain; [`Fault::advice`] says what to do about it; `at_open` turns a failure to open
//! into a [`StoreError`] that names the file. [`Keeper`] watches the file for being deleted or
//! replaced under a running daemon and writes the live database back out when it was.
//!
//! May touch: the database file and its directory (stat, a rescue copy). Nothing else.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode};

use crate::store::StoreError;

/// What is wrong with the database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Not a database, or damaged (SQLITE_NOTADB, SQLITE_CORRUPT).
    Corrupt,
    /// The disk (or the database's size limit) is full (SQLITE_FULL).
    Full,
    /// The file or its directory cannot be written by this user (SQLITE_READONLY, SQLITE_PERM,
    /// SQLITE_CANTOPEN).
    ReadOnly,
    /// The operating system failed a read or write (SQLITE_IOERR).
    Io,
}

/// The SQLite storage fault behind `e` (searching its whole source chain), if there is one.
pub fn classify(e: &(dyn std::error::Error + 'static)) -> Option<Fault> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(rusqlite::Error::SqliteFailure(f, _)) = err.downcast_ref::<rusqlite::Error>() {
            return match f.code {
                ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt => Some(Fault::Corrupt),
                ErrorCode::DiskFull => Some(Fault::Full),
                ErrorCode::ReadOnly | ErrorCode::PermissionDenied | ErrorCode::CannotOpen => {
                    Some(Fault::ReadOnly)
                }
                ErrorCode::SystemIoFailure => Some(Fault::Io),
                _ => None,
            };
        }
        if let Some(FaultAt { fault, .. }) = err.downcast_ref::<FaultAt>() {
            return Some(*fault);
        }
        cur = err.source();
    }
    None
}

/// `fault` at `db`, with an I/O error on a file system that has no room left read as what it
/// is, a full disk. SQLite reports a write refused for space as SQLITE_FULL when it extends the
/// database or its WAL, but as a plain SQLITE_IOERR (`SHMSIZE`, `WRITE`, `FSYNC`…) from some of
/// its other writes (the `-shm` index): the operator was told to check a failing disk and run an
/// integrity check when freeing space was the fix. A small probe write beside the database tells
/// the two apart; it runs only when an I/O error is being reported.
pub fn refine(fault: Fault, db: &Path) -> Fault {
    use std::io::Write;
    if fault != Fault::Io {
        return fault;
    }
    let dir = db.parent().unwrap_or(Path::new("."));
    let probe = dir.join(format!(".dutybell-space-probe-{}", std::process::id()));
    let written = std::fs::File::create(&probe).and_then(|mut f| {
        f.write_all(&[0u8; 4096])?;
        f.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    match written {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            ) =>
        {
            Fault::Full
        }
        _ => fault,
    }
}

impl Fault {
    /// What is wrong, in a few words.
    pub fn problem(self) -> &'static str {
        match self {
            Fault::Corrupt => "is corrupt or not a SQLite database",
            Fault::Full => "cannot grow: the disk (or file system quota) is full",
            Fault::ReadOnly => "cannot be written (read-only file, directory or file system)",
            Fault::Io => "gave an I/O error (a failing disk or a lost network mount)",
        }
    }

    /// What the operator should do about it, naming the file.
    pub fn advice(self, db: &Path) -> String {
        let d = db.display();
        match self {
            Fault::Corrupt => format!(
                "stop dutybell and restore the file from a backup: move {d} (and {d}-wal, \
                 {d}-shm) aside, copy the latest backup to {d}, then start dutybell; see \
                 docs/OPERATIONS.md \"Restore\". Without a backup, moving the file aside starts \
                 an empty database (the plan is rebuilt; history and pending retries are lost)"
            ),
            Fault::Full => format!(
                "free space on the file system holding {d} (`df {d}`); nothing committed is \
                 lost, and dutybell retries the write every few seconds until it succeeds"
            ),
            Fault::ReadOnly => format!(
                "make {d} and its directory writable by the user dutybell runs as (under \
                 systemd: StateDirectory= owns them; do not chmod or chown them by hand), or \
                 remount the file system read-write"
            ),
            Fault::Io => format!(
                "check the disk holding {d} (`dmesg`, SMART); then run `sqlite3 {d} 'PRAGMA \
                 integrity_check'` and restore from a backup if it is not `ok`"
            ),
        }
    }
}

/// A storage fault located at a file (the source of [`StoreError::Database`] from `at_open`).
#[derive(Debug, thiserror::Error)]
#[error("{path} {}; {}", fault.problem(), fault.advice(path))]
pub struct FaultAt {
    /// The database file.
    pub path: PathBuf,
    /// What is wrong.
    pub fault: Fault,
    /// SQLite's own words.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

/// `e` from opening `path`, with the file named and the fix said when it is a storage fault.
pub(super) fn at_open(path: &Path, e: StoreError) -> StoreError {
    let located = matches!(&e, StoreError::Database(inner) if inner.is::<FaultAt>());
    match classify(&e) {
        Some(fault) if !located => StoreError::Database(Box::new(FaultAt {
            path: path.to_owned(),
            fault: refine(fault, path),
            source: match e {
                StoreError::Database(inner) => inner,
                other => Box::new(other),
            },
        })),
        _ => e,
    }
}

/// A file the process may not write (permissions, a read-only mount), located with its fix;
/// other I/O errors are given back for the caller's own wording.
pub(super) fn io_at_open(path: &Path, e: std::io::Error) -> Result<StoreError, std::io::Error> {
    use std::io::ErrorKind::{PermissionDenied, ReadOnlyFilesystem};
    match e.kind() {
        PermissionDenied | ReadOnlyFilesystem => Ok(StoreError::Database(Box::new(FaultAt {
            path: path.to_owned(),
            fault: Fault::ReadOnly,
            source: Box::new(e),
        }))),
        _ => Err(e),
    }
}

/// What became of the database file since it was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    /// Still the file dutybell opened.
    Same,
    /// Nothing is at the path any more (deleted or moved away).
    Deleted,
    /// Another file is at the path (a restore, a copy, a `mv` over it).
    Replaced,
}

/// A second connection to the database file, held open for as long as the daemon runs, that
/// notices when the file is deleted or replaced and can then write the database it still holds
/// (committed data, write-ahead log included) to a new file. SQLite keeps writing to a deleted
/// file's inode without an error, so without this every reminder sent after an `rm` would be
/// forgotten at the next start, and sent again.
#[derive(Debug)]
pub struct Keeper {
    /// Behind a mutex so the daemon's loop state stays `Sync` (a connection is only `Send`).
    conn: std::sync::Mutex<Connection>,
    path: PathBuf,
    id: (u64, u64),
}

impl Keeper {
    /// Opens the keeper on `path` (already opened and migrated by the store).
    ///
    /// # Errors
    /// [`StoreError::Io`] or [`StoreError::Database`] when the file cannot be opened.
    pub fn open(path: &Path) -> Result<Keeper, StoreError> {
        let io = |source| StoreError::Io {
            path: path.display().to_string(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        let conn = Connection::open(path).map_err(|e| at_open(path, e.into()))?;
        // A first read opens the write-ahead log and its index now, while they are the ones the
        // daemon uses, so a later rescue sees every committed transaction.
        let _: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| at_open(path, e.into()))?;
        Ok(Keeper {
            conn: std::sync::Mutex::new(conn),
            path: path.to_owned(),
            id: (meta.dev(), meta.ino()),
        })
    }

    /// The watched file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the path still names the file that was opened (one `stat`).
    pub fn state(&self) -> FileState {
        file_state(&self.path, self.id)
    }

    /// Writes the database this process holds to `to` (which must not exist): the write-ahead
    /// log is first emptied into the old file, so the log left at the path cannot be replayed
    /// onto whatever file is there next, then a consistent copy is written with `VACUUM INTO`.
    ///
    /// # Errors
    /// [`StoreError::Database`] when SQLite cannot write the copy (e.g. the disk is full).
    pub fn write_copy(&self, to: &Path) -> Result<(), StoreError> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let target = to.to_str().ok_or_else(|| StoreError::Io {
            path: to.display().to_string(),
            source: std::io::Error::other("the path is not UTF-8"),
        })?;
        conn.execute("VACUUM INTO ?1", [target])?;
        Ok(())
    }

    /// After [`FileState::Deleted`]: writes the database back to its path (through a temporary
    /// file and a link that never replaces a file that appeared meanwhile). Returns the path
    /// written: the database path, or the temporary copy when something else took the path.
    ///
    /// # Errors
    /// As [`Self::write_copy`], or [`StoreError::Io`] for the link.
    pub fn restore_deleted(&self, stamp: i64) -> Result<PathBuf, StoreError> {
        let tmp = super::beside(&self.path, &format!(".rescued-{stamp}"));
        self.write_copy(&tmp)?;
        match std::fs::hard_link(&tmp, &self.path) {
            Ok(()) => {
                let _ = std::fs::remove_file(&tmp);
                Ok(self.path.clone())
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(tmp),
            Err(source) => Err(StoreError::Io {
                path: self.path.display().to_string(),
                source,
            }),
        }
    }

    /// After [`FileState::Replaced`]: saves the database this process holds beside the new
    /// file, which is left alone (the operator may have restored it on purpose).
    ///
    /// # Errors
    /// As [`Self::write_copy`].
    pub fn save_replaced(&self, stamp: i64) -> Result<PathBuf, StoreError> {
        let side = super::beside(&self.path, &format!(".replaced-{stamp}"));
        self.write_copy(&side)?;
        Ok(side)
    }
}

/// Whether `path` still names the file whose (device, inode) is `id` (one `stat`): the running
/// daemon's [`Keeper`] and the sleeper's held descriptors ask the same question.
pub fn file_state(path: &Path, id: (u64, u64)) -> FileState {
    match std::fs::metadata(path) {
        Ok(m) if (m.dev(), m.ino()) == id => FileState::Same,
        Ok(_) => FileState::Replaced,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileState::Deleted,
        // Cannot tell (e.g. the directory became unreadable): not a reason to stop.
        Err(_) => FileState::Same,
    }
}

/// `PRAGMA integrity_check` of the database at `path`, opened read-only: `"ok"` or SQLite's list
/// of problems (tests, benches and operators after a fault).
///
/// # Errors
/// [`StoreError::Database`] when the file cannot be opened or read.
pub fn integrity_check(path: &Path) -> Result<String, StoreError> {
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let lines: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    Ok(lines.join("\n"))
}

/// An SQLITE_FULL error, for the daemon's unit tests (rusqlite stays inside this module).
#[cfg(test)]
pub(crate) fn disk_full_error() -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only an I/O error is re-read, and only as a full disk when a write beside the database
    /// is refused for space (the full case runs in `tests/it/storage_faults`, on a small tmpfs).
    #[test]
    fn an_io_error_with_room_left_stays_an_io_error_and_the_probe_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("d.db");
        for f in [Fault::Io, Fault::Full, Fault::Corrupt, Fault::ReadOnly] {
            assert_eq!(refine(f, &db), f);
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_corrupt_file_is_named_with_its_fix() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("d.db");
        let mut junk = b"SQLite format 3\0".to_vec();
        junk.resize(8192, 0xa5);
        std::fs::write(&db, junk).unwrap();
        let err = crate::store::sqlite::SqliteStore::open(&db).unwrap_err();
        assert_eq!(classify(&err), Some(Fault::Corrupt));
        let text = format!("{:#}", anyhow::Error::from(err));
        assert!(text.contains(&db.display().to_string()), "{text}");
        assert!(
            text.contains("is corrupt") && text.contains("restore"),
            "{text}"
        );
    }

    #[test]
    fn a_deleted_file_is_written_back_with_every_commit() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("d.db");
        let store = crate::store::sqlite::SqliteStore::open(&db).unwrap();
        let keeper = Keeper::open(&db).unwrap();
        assert_eq!(keeper.state(), FileState::Same);
        std::fs::remove_file(&db).unwrap();
        assert_eq!(keeper.state(), FileState::Deleted);
        // Written after the deletion: still in the old inode only.
        let mut store = store;
        crate::store::Store::set_meta(&mut store, "k", "after rm").unwrap();
        assert_eq!(keeper.restore_deleted(1).unwrap(), db);
        drop(store);
        let back = crate::store::sqlite::SqliteStore::open(&db).unwrap();
        let v = crate::store::Store::meta(&back, "k").unwrap();
        assert_eq!(v.as_deref(), Some("after rm"));
        std::fs::write(dir.path().join("other"), b"x").unwrap();
        std::fs::rename(dir.path().join("other"), &db).unwrap();
        assert_eq!(keeper.state(), FileState::Replaced);
    }
}
