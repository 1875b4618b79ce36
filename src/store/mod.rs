//! The SQLite state: plan versions, occurrences, the durable outbox, deliveries, progress notes and
//! digest bookkeeping.
//!
//! May touch: the database file (and its `-wal`/`-shm` siblings). Must not touch: the clock (every
//! write takes `now`), the network, YAML, channel details. `rusqlite` is used only under this
//! module. The store is synchronous: the daemon calls it from `spawn_blocking` or a dedicated
//! thread. Every write runs in one `BEGIN IMMEDIATE` transaction, so two handles on one file (the
//! daemon and a CLI command) serialise on the write lock and wait up to [`BUSY_TIMEOUT`] instead of
//! failing with "database is locked".
//!
//! Files: [`schema`] (migrations), `types` (plain data), `sync` (planner sync), `outbox`
//! (dispatch), `progress` (notes, occurrences, digests), `status` (operator views).

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

mod batch;
mod enqueue;
mod outbox;
mod progress;
pub mod schema;
mod status;
mod sync;
mod types;

pub use outbox::LATE_AFTER;
pub use schema::SCHEMA_VERSION;
pub use status::{DeliveryRecord, STATUS_LIST_LIMIT, StatusReport};
pub use types::*;

/// How long a write waits for another handle's write lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Errors from the store. Messages never contain message bodies or secrets.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be created or opened.
    #[error("cannot open database file {path}")]
    Io {
        /// The path given to [`Store::open`].
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// SQLite reported an error.
    #[error("database error")]
    Sqlite(#[from] rusqlite::Error),
    /// The file was written by a newer dutybell; opening it could corrupt it.
    #[error(
        "database schema version {found} is newer than this dutybell understands ({known}); \
         upgrade dutybell or restore a backup"
    )]
    TooNew {
        /// `user_version` found in the file.
        found: i64,
        /// The newest version this binary knows ([`SCHEMA_VERSION`]).
        known: i64,
    },
    /// A migration failed; the database stays at the previous version.
    #[error("schema migration to version {version} failed")]
    Migration {
        /// The version being applied.
        version: i64,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// No outbox row has this id.
    #[error("no outbox row with id {0}")]
    NoSuchOutboxRow(i64),
    /// The outbox row is not in a state that allows this action (e.g. recording a result for a
    /// row that was never claimed).
    #[error("outbox row {id} is {state}; cannot {action}")]
    InvalidState {
        /// Outbox row id.
        id: i64,
        /// Its current state.
        state: OutboxState,
        /// What was attempted.
        action: &'static str,
    },
    /// No occurrence has this key.
    #[error("no occurrence with key {0:?}")]
    NoSuchOccurrence(String),
    /// A progress note names an occurrence that belongs to another task.
    #[error("occurrence {key:?} belongs to task {actual:?}, not {given:?}")]
    OccurrenceTaskMismatch {
        /// Occurrence key.
        key: String,
        /// Task id given with the note.
        given: String,
        /// Task id the occurrence belongs to.
        actual: String,
    },
    /// A "done" note must say which occurrence it completes.
    #[error("a done note for task {0:?} needs an occurrence key")]
    DoneWithoutOccurrence(String),
    /// A stored value could not be decoded (hand-edited or corrupted row).
    #[error("invalid stored value: {0}")]
    Corrupt(String),
}

/// A handle on the state database. Cheap to open; one per thread or process.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it to [`SCHEMA_VERSION`].
    ///
    /// The file is created with mode 0600 before SQLite sees it (SQLite gives the `-wal`/`-shm`
    /// files the same mode): it holds names, addresses and message texts.
    ///
    /// Pragmas: `journal_mode=WAL` (readers never block the writer, so `status` works while the
    /// daemon sends); `busy_timeout` = [`BUSY_TIMEOUT`]; `foreign_keys=ON`; and
    /// `synchronous=FULL`: a reminder recorded as sent must survive a power loss, or it would be
    /// sent again after reboot (and one recorded as pending must not vanish). FULL costs one extra
    /// fsync per commit, which is nothing at our write rates (a few hundred commits a day).
    ///
    /// # Errors
    /// [`StoreError::Io`] if the file cannot be created, [`StoreError::TooNew`] if it comes from a
    /// newer binary, [`StoreError::Migration`] or [`StoreError::Sqlite`] otherwise.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        Self::open_at_version(path.as_ref(), SCHEMA_VERSION)
    }

    /// Opens a private in-memory database (unit tests, dry runs).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if SQLite cannot allocate it.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        Self::configure(conn, SCHEMA_VERSION)
    }

    /// Opens `path` but migrates only up to `version` (fixture generation and migration tests).
    pub(crate) fn open_at_version(path: &Path, version: i64) -> Result<Store, StoreError> {
        OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(|source| StoreError::Io {
                path: path.display().to_string(),
                source,
            })?;
        let conn = Connection::open(path)?;
        Self::configure(conn, version)
    }

    fn configure(mut conn: Connection, version: i64) -> Result<Store, StoreError> {
        // busy_timeout first: switching to WAL needs a lock another handle may hold.
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let _mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        schema::migrate_to(&mut conn, version)?;
        Ok(Store { conn })
    }

    /// The schema version of the open database (`PRAGMA user_version`).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        schema::user_version(&self.conn)
    }

    /// The journal mode in effect (`wal` for files, `memory` for in-memory databases).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn journal_mode(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))?)
    }
}

#[cfg(test)]
mod tests;
