//! The state behind the 督办 loop: plan versions, occurrences, the durable outbox with leases,
//! deliveries, progress notes, digest bookkeeping and periodic-job ticks.
//!
//! [`Store`] is the trait every layer above talks to; adapters implement it:
//! - [`sqlite`] (rusqlite, the embedded default): one file, WAL, one writer at a time.
//! - [`postgres`] (tokio-postgres + deadpool): one database shared by several replicas; claims
//!   with `FOR UPDATE SKIP LOCKED`, leases and the leader lease on the database's clock.
//!
//! A store is synchronous; async callers (the daemon, the web server, the shared rate limits) run
//! each store on a thread of its own ([`StoreThread`]), the small executor boundary.
//! Adapters must not read the wall clock: every write takes `now` from the caller's
//! [`Clock`](crate::clock::Clock), except lease expiry on a shared database, which an adapter for
//! several processes takes from the database's own clock.
//!
//! May touch: the database named by the URL. Must not touch: YAML, channels, business rules.
//! `rusqlite` is used only under `store/sqlite/`, `tokio_postgres` only under `store/postgres/`.

use std::time::Duration;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

mod compat;
pub mod copy;
pub mod postgres;
mod ratelimit;
mod replica;
pub mod sqlite;
mod thread;
#[macro_use]
pub(crate) mod types;
mod url;

mod events;
mod requests;

pub use compat::{LOCAL_OWNER, StoreExt};
pub use events::DeclaredWindow;

pub use ratelimit::{SendLimit, SendSlot, bucket_key};
pub use replica::{Heartbeat, Replica};
pub use requests::*;
pub use sqlite::SCHEMA_VERSION;
pub use thread::{CallError, StoreThread};
pub use types::*;
pub use url::{PgUrl, SslMode, StoreUrl};

/// Whether a reminder due at `fire_at` is past when a sync at `now` plans it (unix seconds): it
/// fell due longer than [`JUST_DUE`](crate::model::JUST_DUE) ago. Such a new row is stored as
/// skipped, and a pending row an edit moves there too; one due more recently is still sent.
pub(crate) fn planned_past(fire_at: i64, now: i64) -> bool {
    fire_at < now.saturating_sub(crate::model::JUST_DUE.as_secs())
}

/// How long a write waits for another handle's write lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A row claimed later than this after its `fire_at` is flagged [`OutboxItem::late`], so the
/// message or the log can say the reminder was delayed (e.g. by downtime).
pub const LATE_AFTER: SignedDuration = SignedDuration::from_mins(15);

/// Errors from a store. Messages never contain message bodies or secrets.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be created or opened.
    #[error("cannot open database file {path}")]
    Io {
        /// The path given to the adapter.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The database reported an error.
    #[error("database error")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The store URL is not one this binary understands (shown without any password).
    #[error(
        "store URL {0} is not supported (expected sqlite:///path/to/file.db, a path, or \
         postgres://user@host:port/db?sslmode=require)"
    )]
    BadUrl(String),
    /// The database server could not be reached or refused the connection.
    #[error("cannot connect to {url}")]
    Connect {
        /// The URL, without secrets.
        url: String,
        /// The driver's error (it never contains the password).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The PostgreSQL password could not be read from its file or credential.
    #[error("cannot read the PostgreSQL password from {0}")]
    Password(String, #[source] std::io::Error),
    /// Another process holds the database for dispatching (a second daemon on one SQLite file).
    #[error("{path} is in use by another dutybell process ({holder}); stop it first")]
    Locked {
        /// The lock file.
        path: String,
        /// What the lock file says about its holder.
        holder: String,
    },
    /// The file was written by a newer dutybell; opening it could corrupt it.
    #[error(
        "database schema version {found} is newer than this dutybell understands ({known}); \
         upgrade dutybell or restore a backup"
    )]
    TooNew {
        /// Schema version found in the database.
        found: i64,
        /// The newest version this binary knows.
        known: i64,
    },
    /// A migration failed; the database stays at the previous version.
    #[error("schema migration to version {version} failed")]
    Migration {
        /// The version being applied.
        version: i64,
        /// The database error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
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
    /// The caller's lease on the row has lapsed or been taken over: its outcome is discarded.
    #[error("outbox row {id}: the lease is no longer held by {owner}; outcome discarded")]
    LeaseLost {
        /// Outbox row id.
        id: i64,
        /// The process that tried to record.
        owner: String,
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
    /// No request has this id.
    #[error("no request with id {0}")]
    NoSuchRequest(i64),
    /// The request was decided already (two office users at once, or a resubmitted form).
    #[error("request {id} is already {state}")]
    RequestDecided {
        /// Request id.
        id: i64,
        /// Its state.
        state: RequestState,
    },
    /// A stored value could not be decoded (hand-edited or corrupted row).
    #[error("invalid stored value: {0}")]
    Corrupt(String),
    /// An event start or end that does not fit its windows (started twice, ended while not
    /// under way, ended before it started). The text is for the operator.
    #[error("{0}")]
    EventState(String),
}

/// What a claim hands out: who holds the rows and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The claiming process (host:pid:start), recorded on every claimed row.
    pub owner: String,
    /// How long the claim is valid; after that any process may reclaim the row.
    pub ttl: SignedDuration,
}

/// The store every layer above the adapters uses. Object safe: callers hold `Box<dyn Store>`.
///
/// Contract (the shared test suite in `tests/it/store_contract.rs` checks it on every adapter):
/// writes are atomic; the same [`PlanSet`] synced twice changes nothing; a claimed row is leased to
/// one owner until its lease expires; an outcome is recorded only by the lease holder.
pub trait Store: Send {
    /// The schema version of the open database.
    ///
    /// # Errors
    /// [`StoreError::Database`] on a read failure.
    fn schema_version(&self) -> Result<i64, StoreError>;

    /// A small stored fact (e.g. the inputs hash of the last plan sync).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn meta(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Stores a small fact.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError>;

    /// Stores `value` under `key` unless the key already has a value; returns the value stored
    /// (this one, or the one another process stored first). Atomic: racing processes agree.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn meta_first(&mut self, key: &str, value: &str) -> Result<String, StoreError>;

    /// Adds one to the counter stored under `key` (absent: 0) and returns the new value. Atomic:
    /// racing processes get different values.
    ///
    /// # Errors
    /// [`StoreError::Database`], or a stored value that is not a number.
    fn meta_count(&mut self, key: &str) -> Result<i64, StoreError>;

    /// Reconciles the stored plan with `plan` (rules in `store/sqlite/sync.rs`).
    ///
    /// # Errors
    /// [`StoreError::Database`]; on error nothing is changed.
    fn sync_plan(&mut self, plan: &PlanSet, now: Timestamp) -> Result<SyncReport, StoreError>;

    /// Adds one pending row unless its dedupe key exists; returns whether it was added.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn enqueue(&mut self, rem: &NewReminder, now: Timestamp) -> Result<bool, StoreError>;

    /// The earliest instant a pending or retry row, or an expired lease, becomes due.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn next_wakeup(&self) -> Result<Option<Timestamp>, StoreError>;

    /// Pending rows never attempted whose `fire_at` is before `before`: the candidates for the
    /// downtime catch-up policy, all of them (never one claim batch at a time).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn missed(&self, before: Timestamp) -> Result<Vec<OutboxItem>, StoreError>;

    /// A pending row that is deliberately not sent (catch-up policy) becomes `skipped`.
    ///
    /// # Errors
    /// [`StoreError::InvalidState`] unless the row is pending.
    fn skip_pending(&mut self, id: i64, now: Timestamp, reason: &str) -> Result<(), StoreError>;

    /// Claims up to `limit` due rows for `lease.owner`, oldest `fire_at` first: pending and retry
    /// rows due at `now`, and `sending` rows whose lease expired (their holder died).
    ///
    /// # Errors
    /// [`StoreError::Database`]; on error nothing is claimed.
    fn claim(
        &mut self,
        lease: &Lease,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError>;

    /// Records the outcome of a claimed row, only if `owner` still holds its lease.
    ///
    /// `message` is the rendered text that went out (frozen for audit), when the row had none.
    ///
    /// # Errors
    /// [`StoreError::LeaseLost`] when the lease lapsed or passed to another process;
    /// [`StoreError::NoSuchOutboxRow`].
    fn record(&mut self, owner: &str, outcome: &Recorded, now: Timestamp)
    -> Result<(), StoreError>;

    /// Records the outcomes of several claimed rows in ONE transaction (one commit, one fsync:
    /// the group commit of issue 17). Rows whose lease `owner` no longer holds are left alone
    /// and their ids returned (their outcomes are discarded, as [`Store::record`]'s
    /// [`StoreError::LeaseLost`]); every other outcome is recorded.
    ///
    /// # Errors
    /// Any other error; then nothing of the batch is recorded.
    fn record_many(
        &mut self,
        owner: &str,
        outcomes: &[&Recorded],
        now: Timestamp,
    ) -> Result<Vec<i64>, StoreError>;

    /// Extends the leases `owner` holds on `ids` (rows it is still sending) to `ttl` from now, so
    /// a send that waits (a rate-limited bot, a slow channel) never outlives its lease while its
    /// process is alive. Returns the ids it no longer holds: taken over after its lease expired,
    /// or no longer `sending`. Those must not be sent by `owner`.
    ///
    /// # Errors
    /// [`StoreError::Database`]; nothing is renewed then.
    fn renew(
        &mut self,
        owner: &str,
        ids: &[i64],
        now: Timestamp,
        ttl: SignedDuration,
    ) -> Result<Vec<i64>, StoreError>;

    /// Start-up recovery: rows left `sending` whose lease expired by `now`, or every `sending`
    /// row when `all` (the caller holds the database exclusively), become `retry`, due `now`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn recover_in_flight(&mut self, now: Timestamp, all: bool) -> Result<usize, StoreError>;

    /// Operator action: a `dead`, `retry` or `skipped` row becomes `retry`, due `now`.
    ///
    /// # Errors
    /// [`StoreError::NoSuchOutboxRow`], or [`StoreError::InvalidState`] for other states.
    fn retry_now(&mut self, id: i64, now: Timestamp) -> Result<(), StoreError>;

    /// One outbox row by id.
    ///
    /// # Errors
    /// [`StoreError::NoSuchOutboxRow`].
    fn outbox_item(&self, id: i64) -> Result<OutboxItem, StoreError>;

    /// Outbox rows, optionally of one state, by next due time (then id), at most `limit`.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn list_outbox(
        &self,
        state: Option<OutboxState>,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError>;

    /// The next pending/retry rows, soonest first.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn next_pending(&self, limit: usize) -> Result<Vec<OutboxItem>, StoreError>;

    /// Every delivery attempt of one row, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn deliveries(&self, outbox_id: i64) -> Result<Vec<DeliveryRecord>, StoreError>;

    /// A snapshot for operators.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn status(&self, now: Timestamp) -> Result<StatusReport, StoreError>;

    /// Records one progress note (and, when done, closes the occurrence and cancels its rows).
    ///
    /// # Errors
    /// [`StoreError::NoSuchOccurrence`], [`StoreError::OccurrenceTaskMismatch`],
    /// [`StoreError::DoneWithoutOccurrence`].
    fn add_progress(&mut self, p: NewProgress, now: Timestamp) -> Result<i64, StoreError>;

    /// Records several notes, all or nothing.
    ///
    /// # Errors
    /// As [`Store::add_progress`]; on error nothing is recorded.
    fn add_progress_batch(
        &mut self,
        notes: Vec<NewProgress>,
        now: Timestamp,
    ) -> Result<Vec<i64>, StoreError>;

    /// A task's notes, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn progress_for_task(&self, task_id: &str) -> Result<Vec<ProgressNote>, StoreError>;

    /// The latest note of every task.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn latest_progress(&self) -> Result<Vec<ProgressNote>, StoreError>;

    /// Stored occurrences matching `filter`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn occurrences(&self, filter: &OccurrenceFilter) -> Result<Vec<Occurrence>, StoreError>;

    /// One occurrence by key.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn occurrence(&self, key: &str) -> Result<Option<Occurrence>, StoreError>;

    /// Whether a digest's week has been claimed.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn digest_week_claimed(&self, digest_id: &str, week: &str) -> Result<bool, StoreError>;

    /// Claims a digest's week; false if it was claimed already.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn digest_claim_week(&mut self, digest_id: &str, week: &str) -> Result<bool, StoreError>;

    /// The last completed tick of a periodic job.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn last_tick(&self, job: &str) -> Result<Option<Timestamp>, StoreError>;

    /// Records that the tick of `job` due at `due` has run; false if it (or a later one) had.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn record_tick(
        &mut self,
        job: &str,
        due: Timestamp,
        now: Timestamp,
    ) -> Result<bool, StoreError>;

    // ---- The web loop (issue 13): requests, due overrides, audit. ----

    /// Files a request; with `hold`, the occurrence's pending/retry reminders are cancelled with
    /// [`HOLD_REASON`] in the same transaction (and sync keeps them off while it is pending).
    ///
    /// # Errors
    /// [`StoreError::NoSuchOccurrence`], [`StoreError::Database`].
    fn add_request(
        &mut self,
        r: &NewRequest,
        hold: bool,
        now: Timestamp,
    ) -> Result<i64, StoreError>;

    /// Requests matching `filter`, newest first.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn requests(&self, filter: &RequestFilter) -> Result<Vec<Request>, StoreError>;

    /// One request by id.
    ///
    /// # Errors
    /// [`StoreError::NoSuchRequest`].
    fn request(&self, id: i64) -> Result<Request, StoreError>;

    /// Applies an office decision to a pending request, its effect, its audit line and its
    /// message, all or nothing; returns the request as it is now.
    ///
    /// # Errors
    /// [`StoreError::NoSuchRequest`], [`StoreError::RequestDecided`] when it is not pending.
    fn decide_request(
        &mut self,
        d: &RequestDecision,
        now: Timestamp,
    ) -> Result<Request, StoreError>;

    /// Every due override (occurrence key, new due date), by key.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn due_overrides(&self) -> Result<Vec<(String, jiff::civil::Date)>, StoreError>;

    /// Writes one audit line.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn add_audit(&mut self, a: &NewAudit, now: Timestamp) -> Result<i64, StoreError>;

    /// The latest `limit` audit lines, newest first.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError>;

    /// Every outbox row of one occurrence, by fire time (an item's history).
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn outbox_for_occurrence(&self, key: &str) -> Result<Vec<OutboxItem>, StoreError>;

    /// Takes or renews the leader lease for `owner` for `ttl` (on the database's clock); true
    /// when `owner` leads. Only the leader syncs the plan and enqueues digests. A store that
    /// serves one dispatching process (SQLite, behind its dispatch lock) always answers true.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn try_lead(&mut self, owner: &str, ttl: SignedDuration) -> Result<bool, StoreError>;

    /// Records that a replica is alive (what it runs, which plan it holds) for `ttl`.
    /// A no-op on single-process stores.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn heartbeat(&mut self, beat: &Heartbeat, ttl: SignedDuration) -> Result<(), StoreError>;

    /// The replicas whose last heartbeat is still live, leader first (empty on single-process
    /// stores).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    fn replicas(&self) -> Result<Vec<Replica>, StoreError>;

    // ---- Office-declared event windows (issue 14): `dutybell event start/end`. ----

    /// Opens a window of `event` from `on`; returns its id.
    ///
    /// # Errors
    /// [`StoreError::EventState`] when a window of `event` is still open, or `on` is inside or
    /// before the end of an earlier window.
    fn start_event(
        &mut self,
        event: &str,
        on: Date,
        by: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError>;

    /// Closes the open window of `event` on `on` (its last day); returns the window's id.
    ///
    /// # Errors
    /// [`StoreError::EventState`] when no window of `event` is open or `on` is before its start.
    fn end_event(
        &mut self,
        event: &str,
        on: Date,
        by: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError>;

    /// Every declared window, by event then start.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    fn event_windows(&self) -> Result<Vec<DeclaredWindow>, StoreError>;

    /// Reserves the earliest send slot of the rate-limit bucket `bucket` (a [`bucket_key`]) that
    /// keeps every limit in `limits`, counting every process that shares this store; records it
    /// and returns it with the wait until it. Never refuses: a busy bot gets a later slot.
    /// SQLite decides on the caller's `now`; PostgreSQL on the database clock (`now` unused), so
    /// replicas whose host clocks disagree still share one bucket.
    ///
    /// # Errors
    /// [`StoreError::Database`]; [`StoreError::Corrupt`] for a hand-edited bucket row.
    fn reserve_send(
        &mut self,
        bucket: &str,
        limits: &[SendLimit],
        now: Timestamp,
    ) -> Result<SendSlot, StoreError>;
}

/// Opens (creating and migrating if needed) the store at `url`.
///
/// # Errors
/// As the adapter's `open`.
pub fn open(url: &StoreUrl) -> Result<Box<dyn Store>, StoreError> {
    match url {
        StoreUrl::Sqlite(path) => Ok(Box::new(sqlite::SqliteStore::open(path)?)),
        StoreUrl::Postgres(pg) => Ok(Box::new(postgres::PgStore::open(pg)?)),
    }
}

/// An in-memory store (unit tests, dry runs).
///
/// # Errors
/// [`StoreError::Database`] if it cannot be allocated.
pub fn open_in_memory() -> Result<Box<dyn Store>, StoreError> {
    Ok(Box::new(sqlite::SqliteStore::open_in_memory()?))
}
