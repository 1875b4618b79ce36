//! The SQLite adapter of [`Store`]: one file, WAL, one writer at a time.
//!
//! May touch: the database file (and its `-wal`/`-shm` siblings) and its `.lock` sibling. Must not
//! touch: the clock (every write takes `now`), the network, YAML, channel details. `rusqlite` is
//! used only under this module. Every write runs in one `BEGIN IMMEDIATE` transaction, so two
//! handles on one file (the daemon and a CLI command) serialise on the write lock and wait up to
//! [`BUSY_TIMEOUT`] instead of failing with "database is locked".
//!
//! Leases: SQLite serves one dispatching process (the daemon takes [`DispatchLock`]), so lease
//! expiry is computed from the `now` that process passes in; the PostgreSQL adapter takes it from
//! the database clock because there several hosts share the rows.
//!
//! Files: [`schema`] (migrations), `sync` (planner sync), `outbox` (claims, leases, outcomes),
//! `progress` (notes, occurrences, digests), `status` (operator views), `meta` (facts and ticks),
//! `lock` (the one-dispatcher lock), `fault` (storage faults said with their fix; the keeper
//! that notices a file deleted or replaced under the daemon).

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use rusqlite::Connection;

use super::{
    AuditEntry, BUSY_TIMEOUT, DeliveryRecord, Heartbeat, Lease, NewAudit, NewProgress, NewReminder,
    NewRequest, Occurrence, OccurrenceFilter, OutboxItem, OutboxState, PlanSet, ProgressNote,
    Recorded, Replica, Request, RequestDecision, RequestFilter, SendLimit, SendSlot, StatusReport,
    Store, StoreError, SyncReport,
};

mod batch;
pub(crate) mod copy;
mod enqueue;
mod events;
pub mod fault;
mod lock;
mod meta;
mod outbox;
mod progress;
mod ratelimit;
mod requests;
pub mod schema;
mod status;
mod sync;

pub use lock::DispatchLock;
pub use schema::SCHEMA_VERSION;

/// `<db><suffix>`: a file beside the database, named after it (`-wal`, `.lock`, a rescue copy,
/// the sleeper's configuration snapshot).
#[must_use]
pub fn beside(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(Box::new(e))
    }
}

/// A handle on a SQLite state database. Cheap to open; one per thread or process.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it to [`SCHEMA_VERSION`].
    /// The parent directory is created when missing, so every command works on a fresh checkout.
    ///
    /// The file is created with mode 0600 before SQLite sees it (SQLite gives the `-wal`/`-shm`
    /// files the same mode): it holds names, addresses and message texts.
    ///
    /// Pragmas: `journal_mode=WAL` (readers never block the writer, so `status` works while the
    /// daemon sends); `busy_timeout` = [`BUSY_TIMEOUT`]; `foreign_keys=ON`; and
    /// `synchronous=FULL`: a reminder recorded as sent must survive a power loss, or it would be
    /// sent again after reboot.
    ///
    /// # Errors
    /// [`StoreError::Io`] if the file cannot be created, [`StoreError::TooNew`] if it comes from a
    /// newer binary, [`StoreError::Migration`] or [`StoreError::Database`] otherwise.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        Self::open_at_version(path.as_ref(), SCHEMA_VERSION)
    }

    /// Opens a scratch database for a throw-away run (`dutybell simulate`): like [`Self::open`]
    /// but without fsync (`synchronous=OFF`), because nothing in it must survive a power loss.
    ///
    /// # Errors
    /// As [`Self::open`].
    pub fn open_scratch(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let store = Self::open(path)?;
        store.conn.pragma_update(None, "synchronous", "OFF")?;
        Ok(store)
    }

    /// Opens a private in-memory database (unit tests, dry runs).
    ///
    /// # Errors
    /// [`StoreError::Database`] if SQLite cannot allocate it.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_in_memory()?;
        Self::configure(conn, SCHEMA_VERSION)
    }

    /// Opens `path` but migrates only up to `version` (fixture generation and migration tests).
    pub fn open_at_version(path: &Path, version: i64) -> Result<SqliteStore, StoreError> {
        let io = |source| StoreError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| fault::io_at_open(path, e).unwrap_or_else(io))?;
        // A corrupt, full or read-only file is named with what to do about it (`fault`).
        let conn = Connection::open(path).map_err(|e| fault::at_open(path, e.into()))?;
        Self::configure(conn, version).map_err(|e| fault::at_open(path, e))
    }

    fn configure(mut conn: Connection, version: i64) -> Result<SqliteStore, StoreError> {
        // busy_timeout first: switching to WAL needs a lock another handle may hold.
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let _mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        schema::migrate_to(&mut conn, version)?;
        Ok(SqliteStore { conn })
    }

    /// The journal mode in effect (`wal` for files, `memory` for in-memory databases).
    ///
    /// # Errors
    /// [`StoreError::Database`] on a read failure.
    pub fn journal_mode(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))?)
    }
}

// The trait is a thin veneer: each method lives beside its SQL in a submodule.
impl Store for SqliteStore {
    fn schema_version(&self) -> Result<i64, StoreError> {
        schema::user_version(&self.conn)
    }
    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        meta::get(&self.conn, key)
    }
    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        meta::set(&self.conn, key, value)
    }
    fn meta_first(&mut self, key: &str, value: &str) -> Result<String, StoreError> {
        meta::first(&self.conn, key, value)
    }
    fn meta_count(&mut self, key: &str) -> Result<i64, StoreError> {
        meta::count(&self.conn, key)
    }
    fn sync_plan(&mut self, plan: &PlanSet, now: Timestamp) -> Result<SyncReport, StoreError> {
        self.sync_plan_impl(plan, now)
    }
    fn enqueue(&mut self, rem: &NewReminder, now: Timestamp) -> Result<bool, StoreError> {
        self.enqueue_impl(rem, now)
    }
    fn next_wakeup(&self) -> Result<Option<Timestamp>, StoreError> {
        self.next_wakeup_impl()
    }
    fn missed(&self, before: Timestamp) -> Result<Vec<OutboxItem>, StoreError> {
        self.missed_impl(before)
    }
    fn skip_pending(&mut self, id: i64, now: Timestamp, reason: &str) -> Result<(), StoreError> {
        self.skip_pending_impl(id, now, reason)
    }
    fn claim(
        &mut self,
        lease: &Lease,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        self.claim_impl(lease, now, limit)
    }
    fn record(
        &mut self,
        owner: &str,
        outcome: &Recorded,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.record_impl(owner, outcome, now)
    }
    fn record_many(
        &mut self,
        owner: &str,
        outcomes: &[&Recorded],
        now: Timestamp,
    ) -> Result<Vec<i64>, StoreError> {
        self.record_many_impl(owner, outcomes, now)
    }
    fn renew(
        &mut self,
        owner: &str,
        ids: &[i64],
        now: Timestamp,
        ttl: SignedDuration,
    ) -> Result<Vec<i64>, StoreError> {
        self.renew_impl(owner, ids, now, ttl)
    }
    fn recover_in_flight(&mut self, now: Timestamp, all: bool) -> Result<usize, StoreError> {
        self.recover_in_flight_impl(now, all)
    }
    fn retry_now(&mut self, id: i64, now: Timestamp) -> Result<(), StoreError> {
        self.retry_now_impl(id, now)
    }
    fn outbox_item(&self, id: i64) -> Result<OutboxItem, StoreError> {
        outbox::load(&self.conn, id)
    }
    fn list_outbox(
        &self,
        state: Option<OutboxState>,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        self.list_outbox_impl(state, limit)
    }
    fn next_pending(&self, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        self.next_pending_impl(limit)
    }
    fn deliveries(&self, outbox_id: i64) -> Result<Vec<DeliveryRecord>, StoreError> {
        self.deliveries_impl(outbox_id)
    }
    fn status(&self, now: Timestamp) -> Result<StatusReport, StoreError> {
        self.status_impl(now)
    }
    fn add_progress(&mut self, p: NewProgress, now: Timestamp) -> Result<i64, StoreError> {
        self.add_progress_impl(p, now)
    }
    fn add_progress_batch(
        &mut self,
        notes: Vec<NewProgress>,
        now: Timestamp,
    ) -> Result<Vec<i64>, StoreError> {
        self.add_progress_batch_impl(notes, now)
    }
    fn progress_for_task(&self, task_id: &str) -> Result<Vec<ProgressNote>, StoreError> {
        self.progress_for_task_impl(task_id)
    }
    fn latest_progress(&self) -> Result<Vec<ProgressNote>, StoreError> {
        self.latest_progress_impl()
    }
    fn occurrences(&self, filter: &OccurrenceFilter) -> Result<Vec<Occurrence>, StoreError> {
        self.occurrences_impl(filter)
    }
    fn occurrence(&self, key: &str) -> Result<Option<Occurrence>, StoreError> {
        self.occurrence_impl(key)
    }
    fn digest_week_claimed(&self, digest_id: &str, week: &str) -> Result<bool, StoreError> {
        self.digest_week_claimed_impl(digest_id, week)
    }
    fn digest_claim_week(&mut self, digest_id: &str, week: &str) -> Result<bool, StoreError> {
        self.digest_claim_week_impl(digest_id, week)
    }
    fn last_tick(&self, job: &str) -> Result<Option<Timestamp>, StoreError> {
        meta::last_tick(&self.conn, job)
    }
    fn record_tick(
        &mut self,
        job: &str,
        due: Timestamp,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        meta::record_tick(&mut self.conn, job, due, now)
    }
    // One dispatching process per file (the dispatch lock): it always leads, and there are no
    // other replicas to tell about.
    fn try_lead(&mut self, _owner: &str, _ttl: SignedDuration) -> Result<bool, StoreError> {
        Ok(true)
    }
    fn heartbeat(&mut self, _beat: &Heartbeat, _ttl: SignedDuration) -> Result<(), StoreError> {
        Ok(())
    }
    fn replicas(&self) -> Result<Vec<Replica>, StoreError> {
        Ok(Vec::new())
    }
    fn add_request(
        &mut self,
        r: &NewRequest,
        hold: bool,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        self.add_request_impl(r, hold, now)
    }
    fn requests(&self, filter: &RequestFilter) -> Result<Vec<Request>, StoreError> {
        self.requests_impl(filter)
    }
    fn request(&self, id: i64) -> Result<Request, StoreError> {
        self.request_impl(id)
    }
    fn decide_request(
        &mut self,
        d: &RequestDecision,
        now: Timestamp,
    ) -> Result<Request, StoreError> {
        self.decide_request_impl(d, now)
    }
    fn due_overrides(&self) -> Result<Vec<(String, jiff::civil::Date)>, StoreError> {
        self.due_overrides_impl()
    }
    fn add_audit(&mut self, a: &NewAudit, now: Timestamp) -> Result<i64, StoreError> {
        self.add_audit_impl(a, now)
    }
    fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_log_impl(limit)
    }
    fn outbox_for_occurrence(&self, key: &str) -> Result<Vec<OutboxItem>, StoreError> {
        self.outbox_for_occurrence_impl(key)
    }
    fn start_event(
        &mut self,
        event: &str,
        on: jiff::civil::Date,
        by: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        self.start_event_impl(event, on, by, now)
    }
    fn end_event(
        &mut self,
        event: &str,
        on: jiff::civil::Date,
        by: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        self.end_event_impl(event, on, by, now)
    }
    fn event_windows(&self) -> Result<Vec<super::DeclaredWindow>, StoreError> {
        self.event_windows_impl()
    }
    fn reserve_send(
        &mut self,
        bucket: &str,
        limits: &[SendLimit],
        now: Timestamp,
    ) -> Result<SendSlot, StoreError> {
        ratelimit::reserve(&mut self.conn, bucket, limits, now)
    }
}

#[cfg(test)]
mod requests_tests;
#[cfg(test)]
mod tests;
