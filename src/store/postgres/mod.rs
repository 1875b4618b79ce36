//! The PostgreSQL adapter of [`Store`]: one database shared by several dutybell replicas.
//!
//! May touch: the database named by the URL (over the network), the password sources listed in
//! [`connect`]. Must not touch: the wall clock (every write takes `now` from the caller, EXCEPT
//! lease expiry, which uses the database's `now()` because replicas on several hosts share the
//! rows and their clocks may disagree), YAML, channel details. `tokio_postgres` is used only under
//! this module.
//!
//! The small executor boundary: [`Store`] is synchronous, the driver is async. Each [`PgStore`]
//! owns a private current-thread tokio runtime and a two-connection deadpool pool, and
//! `block_on`s every call. Callers therefore call it from plain threads: the CLI (no runtime) and
//! the daemon and web pages (a [`super::StoreThread`] each). Calling it from inside an async task
//! panics (tokio refuses to nest `block_on` there); dropping it inside an async context is fine
//! (the runtime is shut down in the background).
//!
//! Files: [`connect`] (URL → pool, password, TLS), `schema` (migrations under an advisory lock),
//! `outbox` (claims, leases, outcomes), `sync` (planner sync), `progress` (notes, occurrences,
//! digests), `status` (operator views), `meta` (facts, ticks, leader lease, heartbeats).

use std::future::Future;

use deadpool_postgres::{Object, Pool};
use jiff::{SignedDuration, Timestamp};

use super::{
    AuditEntry, DeliveryRecord, Heartbeat, Lease, NewAudit, NewProgress, NewReminder, NewRequest,
    Occurrence, OccurrenceFilter, OutboxItem, OutboxState, PgUrl, PlanSet, ProgressNote, Recorded,
    Replica, Request, RequestDecision, RequestFilter, SendLimit, SendSlot, StatusReport, Store,
    StoreError, SyncReport,
};

pub mod admin;
pub mod connect;
pub(crate) mod copy;
mod events;
pub mod listen;
mod meta;
mod outbox;
mod progress;
mod ratelimit;
mod requests;
mod rows;
pub mod schema;
mod status;
mod sync;

pub use schema::SCHEMA_VERSION;

/// Whether `e` (or an error in its source chain) says the PostgreSQL server could not be
/// reached or went away: a refused or broken connection, the server shutting down or starting
/// up (SQLSTATE classes 08 and 57P). Such a failure clears by itself; the daemon keeps what it
/// could not write and tries again, instead of treating it as a failed operation.
pub fn unreachable(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(StoreError::Connect { .. }) = err.downcast_ref::<StoreError>() {
            return true;
        }
        if let Some(pg) = err.downcast_ref::<tokio_postgres::Error>() {
            let code = pg.code().map(tokio_postgres::error::SqlState::code);
            if pg.is_closed() || code.is_some_and(|c| c.starts_with("08") || c.starts_with("57P")) {
                return true;
            }
        }
        if err.downcast_ref::<std::io::Error>().is_some() {
            return true;
        }
        cur = err.source();
    }
    false
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::Database(Box::new(e))
    }
}

/// A handle on a PostgreSQL state database: a private runtime and a small pool.
pub struct PgStore {
    rt: Option<tokio::runtime::Runtime>,
    pool: Pool,
    url: String,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("url", &self.url).finish()
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // A runtime may not be dropped (joined) inside another runtime; the daemon drops its store
        // at the end of an async fn. Background shutdown never blocks.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl PgStore {
    /// Connects to `url` and migrates the database to [`SCHEMA_VERSION`].
    ///
    /// # Errors
    /// [`StoreError::Connect`] when the server cannot be reached or refuses the login,
    /// [`StoreError::Password`] when a password file cannot be read, [`StoreError::TooNew`],
    /// [`StoreError::Migration`] or [`StoreError::Database`].
    pub fn open(url: &PgUrl) -> Result<PgStore, StoreError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Database(Box::new(e)))?;
        let store = PgStore {
            rt: Some(rt),
            pool: connect::pool(url)?,
            url: url.display(),
        };
        store.block(async {
            let mut c = store.client().await?;
            schema::migrate(&mut c).await
        })?;
        Ok(store)
    }

    /// Runs one call to completion on the private runtime.
    fn block<T>(&self, f: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        match &self.rt {
            Some(rt) => rt.block_on(f),
            None => Err(StoreError::Database("the store is closed".into())),
        }
    }

    /// A pooled connection (reconnecting if the last one broke).
    async fn client(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(|e| StoreError::Connect {
            url: self.url.clone(),
            source: Box::new(e),
        })
    }

    /// The URL without secrets.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Runs `$body` with `$c` bound to a pooled connection, on the private runtime.
macro_rules! with_client {
    ($self:ident, |$c:ident| $body:expr) => {
        $self.block(async {
            #[allow(unused_mut)]
            let mut $c = $self.client().await?;
            $body.await
        })
    };
}

// The trait is a thin veneer: each method lives beside its SQL in a submodule.
impl Store for PgStore {
    fn schema_version(&self) -> Result<i64, StoreError> {
        with_client!(self, |c| schema::version(&c))
    }
    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        with_client!(self, |c| meta::get(&c, key))
    }
    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        with_client!(self, |c| meta::set(&c, key, value))
    }
    fn meta_first(&mut self, key: &str, value: &str) -> Result<String, StoreError> {
        with_client!(self, |c| meta::first(&c, key, value))
    }
    fn meta_count(&mut self, key: &str) -> Result<i64, StoreError> {
        with_client!(self, |c| meta::count(&c, key))
    }
    fn sync_plan(&mut self, plan: &PlanSet, now: Timestamp) -> Result<SyncReport, StoreError> {
        with_client!(self, |c| sync::sync_plan(&mut c, plan, now))
    }
    fn enqueue(&mut self, rem: &NewReminder, now: Timestamp) -> Result<bool, StoreError> {
        with_client!(self, |c| outbox::enqueue(&c, rem, now))
    }
    fn next_wakeup(&self) -> Result<Option<Timestamp>, StoreError> {
        with_client!(self, |c| outbox::next_wakeup(&c))
    }
    fn missed(&self, before: Timestamp) -> Result<Vec<OutboxItem>, StoreError> {
        with_client!(self, |c| outbox::missed(&c, before))
    }
    fn skip_pending(&mut self, id: i64, now: Timestamp, reason: &str) -> Result<(), StoreError> {
        with_client!(self, |c| outbox::skip_pending(&mut c, id, now, reason))
    }
    fn claim(
        &mut self,
        lease: &Lease,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        with_client!(self, |c| outbox::claim(&c, lease, now, limit))
    }
    fn record(
        &mut self,
        owner: &str,
        outcome: &Recorded,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        with_client!(self, |c| outbox::record(&c, owner, outcome, now))
    }
    fn record_many(
        &mut self,
        owner: &str,
        outcomes: &[&Recorded],
        now: Timestamp,
    ) -> Result<Vec<i64>, StoreError> {
        with_client!(self, |c| outbox::record_many(&mut c, owner, outcomes, now))
    }
    fn renew(
        &mut self,
        owner: &str,
        ids: &[i64],
        _now: Timestamp,
        ttl: SignedDuration,
    ) -> Result<Vec<i64>, StoreError> {
        with_client!(self, |c| outbox::renew(&c, owner, ids, ttl))
    }
    fn recover_in_flight(&mut self, now: Timestamp, all: bool) -> Result<usize, StoreError> {
        with_client!(self, |c| outbox::recover_in_flight(&c, now, all))
    }
    fn retry_now(&mut self, id: i64, now: Timestamp) -> Result<(), StoreError> {
        with_client!(self, |c| outbox::retry_now(&mut c, id, now))
    }
    fn outbox_item(&self, id: i64) -> Result<OutboxItem, StoreError> {
        with_client!(self, |c| outbox::load(&**c, id))
    }
    fn list_outbox(
        &self,
        state: Option<OutboxState>,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        with_client!(self, |c| outbox::list(&c, state, limit))
    }
    fn next_pending(&self, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        with_client!(self, |c| status::next_pending(&c, limit))
    }
    fn deliveries(&self, outbox_id: i64) -> Result<Vec<DeliveryRecord>, StoreError> {
        with_client!(self, |c| status::deliveries(&c, outbox_id))
    }
    fn status(&self, now: Timestamp) -> Result<StatusReport, StoreError> {
        with_client!(self, |c| status::status(&c, now))
    }
    fn add_progress(&mut self, p: NewProgress, now: Timestamp) -> Result<i64, StoreError> {
        with_client!(self, |c| progress::add_batch(&mut c, vec![p], now)).map(|ids| ids[0])
    }
    fn add_progress_batch(
        &mut self,
        notes: Vec<NewProgress>,
        now: Timestamp,
    ) -> Result<Vec<i64>, StoreError> {
        with_client!(self, |c| progress::add_batch(&mut c, notes, now))
    }
    fn progress_for_task(&self, task_id: &str) -> Result<Vec<ProgressNote>, StoreError> {
        with_client!(self, |c| progress::for_task(&c, task_id))
    }
    fn latest_progress(&self) -> Result<Vec<ProgressNote>, StoreError> {
        with_client!(self, |c| progress::latest(&c))
    }
    fn occurrences(&self, filter: &OccurrenceFilter) -> Result<Vec<Occurrence>, StoreError> {
        with_client!(self, |c| progress::occurrences(&c, filter))
    }
    fn occurrence(&self, key: &str) -> Result<Option<Occurrence>, StoreError> {
        with_client!(self, |c| progress::occurrence(&c, key))
    }
    fn digest_week_claimed(&self, digest_id: &str, week: &str) -> Result<bool, StoreError> {
        with_client!(self, |c| progress::digest_week_claimed(&c, digest_id, week))
    }
    fn digest_claim_week(&mut self, digest_id: &str, week: &str) -> Result<bool, StoreError> {
        with_client!(self, |c| progress::digest_claim_week(&c, digest_id, week))
    }
    fn last_tick(&self, job: &str) -> Result<Option<Timestamp>, StoreError> {
        with_client!(self, |c| meta::last_tick(&c, job))
    }
    fn record_tick(
        &mut self,
        job: &str,
        due: Timestamp,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        with_client!(self, |c| meta::record_tick(&c, job, due, now))
    }
    fn try_lead(&mut self, owner: &str, ttl: SignedDuration) -> Result<bool, StoreError> {
        with_client!(self, |c| meta::try_lead(&c, owner, ttl))
    }
    fn heartbeat(&mut self, beat: &Heartbeat, ttl: SignedDuration) -> Result<(), StoreError> {
        with_client!(self, |c| meta::heartbeat(&c, beat, ttl))
    }
    fn replicas(&self) -> Result<Vec<Replica>, StoreError> {
        with_client!(self, |c| meta::replicas(&c))
    }
    fn add_request(
        &mut self,
        r: &NewRequest,
        hold: bool,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        with_client!(self, |c| requests::add(&mut c, r, hold, now))
    }
    fn requests(&self, filter: &RequestFilter) -> Result<Vec<Request>, StoreError> {
        with_client!(self, |c| requests::list(&c, filter))
    }
    fn request(&self, id: i64) -> Result<Request, StoreError> {
        with_client!(self, |c| requests::one(&c, id))
    }
    fn decide_request(
        &mut self,
        d: &RequestDecision,
        now: Timestamp,
    ) -> Result<Request, StoreError> {
        with_client!(self, |c| requests::decide(&mut c, d, now))
    }
    fn due_overrides(&self) -> Result<Vec<(String, jiff::civil::Date)>, StoreError> {
        with_client!(self, |c| requests::overrides(&c))
    }
    fn add_audit(&mut self, a: &NewAudit, now: Timestamp) -> Result<i64, StoreError> {
        with_client!(self, |c| requests::add_audit(&c, a, now))
    }
    fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        with_client!(self, |c| requests::audit_log(&c, limit))
    }
    fn outbox_for_occurrence(&self, key: &str) -> Result<Vec<OutboxItem>, StoreError> {
        with_client!(self, |c| requests::for_occurrence(&c, key))
    }
    fn start_event(
        &mut self,
        event: &str,
        on: jiff::civil::Date,
        by: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        with_client!(self, |c| events::start(&mut c, event, on, by, now))
    }
    fn end_event(
        &mut self,
        event: &str,
        on: jiff::civil::Date,
        by: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        with_client!(self, |c| events::end(&mut c, event, on, by, now))
    }
    fn event_windows(&self) -> Result<Vec<super::DeclaredWindow>, StoreError> {
        with_client!(self, |c| events::list(&c))
    }
    fn reserve_send(
        &mut self,
        bucket: &str,
        limits: &[SendLimit],
        _now: Timestamp,
    ) -> Result<SendSlot, StoreError> {
        with_client!(self, |c| ratelimit::reserve(&c, bucket, limits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_means_the_server_not_the_request() {
        let refused = StoreError::Connect {
            url: "postgres://db/x".into(),
            source: Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        };
        let wrapped = anyhow::Error::new(refused).context("claiming due reminders");
        assert!(unreachable(wrapped.as_ref()), "found under a context");
        let io = StoreError::Database(Box::new(std::io::Error::from(
            std::io::ErrorKind::BrokenPipe,
        )));
        assert!(unreachable(&io));
        assert!(!unreachable(&StoreError::NoSuchOutboxRow(7)));
        let bug = StoreError::Database("syntax error at or near \"SELEC\"".into());
        assert!(!unreachable(&bug), "a failed statement is not an outage");
    }
}
