//! The daemon: one loop that plans, sleeps until the next due row (or a signal, or a finished
//! send), and dispatches through the service layer. The same loop runs `dutybell simulate` on a
//! manual clock ([`Pace::Simulated`]): only the waiting differs.
//!
//! May touch: timers, signals (through the [`Controls`] it is given), sd_notify, spawning, the
//! store (on its own thread, through the trait). Business rules live in [`crate::service`].

mod claim;
mod leader;
mod leases;
mod pacing;
mod record;
pub mod renders;
pub mod signals;
pub mod simulate;
pub mod sleeper;
pub mod storage;
mod streak;
pub mod systemd;
mod turn;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::clock::{ManualClock, SharedClock};
use crate::service::cycle;
pub use crate::service::{ConfigRefused, Engine};
use crate::store::{OutboxItem, Recorded, Store, StoreThread, StoreUrl};
pub use claim::PREPARE_AHEAD;

/// True when `e` is a refused configuration (exit code 2), not a runtime failure.
pub fn engine_error_is_config(e: &anyhow::Error) -> bool {
    e.downcast_ref::<ConfigRefused>().is_some()
}

/// Tunables of the loop.
#[derive(Clone)]
pub struct RunOptions {
    /// The config file.
    pub config: PathBuf,
    /// Most sends in flight at once across channels.
    pub max_inflight: usize,
    /// How long in-flight sends may take to finish at shutdown.
    pub drain: Duration,
    /// Longest sleep without a reason to wake: the periodic jobs (`service::ticks`, among them the
    /// 6-hourly plan re-check) and due rows normally wake the loop much sooner.
    pub replan_every: SignedDuration,
    /// How long a claim holds a row ([`cycle::LEASE_TTL`]; shorter only in tests and drills).
    pub lease_ttl: SignedDuration,
    /// How often a replica on a shared store beats, renews the leader lease and looks for expired
    /// leases ([`crate::service::replica::HEARTBEAT_EVERY`]; longer only in tests that must see
    /// the loop woken by nothing but a wake-up hint).
    pub beat_every: SignedDuration,
    /// Receives the engine after every good reload, so the web pages served beside the loop
    /// follow the same config (and share its 延期 overrides).
    pub engine_feed: Option<watch::Sender<Arc<Engine>>>,
    /// Set when this process may hand over to the sleeper ([`sleeper`]; the binary's `run`
    /// only: the library never `exec`s). `settings.sleep_when_idle` still decides.
    pub sleep: Option<sleeper::SleepPolicy>,
    /// What the configuration was loaded from (kept for the sleeper; replaced at every good
    /// reload).
    pub sources: Option<Arc<crate::config::source::Snapshot>>,
    /// When the web pages served beside the loop were last used (the daemon does not sleep
    /// under someone's hands).
    pub web_activity: Option<Arc<crate::service::Activity>>,
}

/// How [`run`] ended.
#[derive(Debug)]
pub enum Ended {
    /// Stopped (SIGTERM, or the simulation's end).
    Stopped,
    /// Idle: the caller hands over to the sleeper. The store is closed; nothing is in flight.
    Sleep {
        /// When the daemon next has work.
        until: Timestamp,
        /// What is next, for the log and systemd.
        status: String,
        /// Where the configuration in force was written ([`sleeper::write_snapshot`]).
        snapshot: PathBuf,
        /// The SQLite dispatch lock, still held: the caller keeps it through the `exec`.
        lock: Option<crate::store::sqlite::DispatchLock>,
    },
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("config", &self.config)
            .field("max_inflight", &self.max_inflight)
            .field("drain", &self.drain)
            .field("replan_every", &self.replan_every)
            .field("lease_ttl", &self.lease_ttl)
            .field("beat_every", &self.beat_every)
            .field("engine_feed", &self.engine_feed.is_some())
            .field("sleep", &self.sleep)
            .finish_non_exhaustive()
    }
}

impl RunOptions {
    /// Defaults for `config`.
    pub fn new(config: PathBuf) -> Self {
        Self {
            config,
            max_inflight: 16,
            drain: Duration::from_secs(20),
            replan_every: SignedDuration::from_hours(24),
            lease_ttl: cycle::LEASE_TTL,
            beat_every: crate::service::replica::HEARTBEAT_EVERY,
            engine_feed: None,
            sleep: None,
            sources: None,
            web_activity: None,
        }
    }
}

/// How outside the world steers a running daemon: the binary wires these to signals, tests to
/// channels they hold.
#[derive(Debug, Clone)]
pub struct Controls {
    /// Becomes `true` to stop (SIGTERM/SIGINT).
    pub shutdown: watch::Receiver<bool>,
    /// Notified to reload the config (SIGHUP).
    pub reload: Arc<Notify>,
}

/// Called with the outcomes of every message sent: one call per message, with every row it
/// covered (a grouped reminder covers several; the simulation prints and counts them).
pub type Observer = Box<dyn FnMut(&Engine, &[(OutboxItem, Recorded)]) + Send>;

/// How the loop waits.
pub enum Pace {
    /// Real time: sleep until the next due instant (production, `--now`).
    Real,
    /// Simulated time: jump the manual clock to the next due instant, stop at `end`.
    Simulated {
        /// The clock the loop advances.
        clock: ManualClock,
        /// Stop when nothing is due before this instant.
        end: Timestamp,
        /// Sees every outcome.
        observer: Observer,
    },
}

/// Where the state lives: a store URL, or a store the caller opened (the simulation's
/// in-memory database).
pub enum StoreSource {
    /// The configured store (`settings.store`, default the SQLite file `settings.database`).
    Configured,
    /// The configured SQLite store, whose dispatch lock the caller took before anything opened
    /// the database. `dutybell run` does: a second daemon beside a sleeping one then refuses
    /// without touching the file (opening it can recreate its WAL, which wakes the sleeper).
    Locked(crate::store::sqlite::DispatchLock),
    /// This store.
    Given(Box<dyn Store>),
}

/// The store thread's name (`top -H`, panics).
const STORE_THREAD: &str = "dutybell-store";

/// Runs `f` on the store's thread.
async fn blocking<T: Send + 'static>(
    store: &StoreThread,
    f: impl FnOnce(&mut dyn Store) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    store.call(f).await?
}

/// Everything one turn of the loop needs.
struct Loop {
    store: StoreThread,
    engine: Arc<Engine>,
    clock: SharedClock,
    owner: String,
    inflight: JoinSet<Vec<(OutboxItem, Recorded)>>,
    /// The rows each send task holds, and their leases ([`leases`]).
    claims: leases::Claims,
    next_replan: Timestamp,
    last_wake_logged: Option<Timestamp>,
    /// Log and report idleness (not in a simulation, where it would be thousands of lines).
    real_time: bool,
    /// Set on a shared store: heartbeats and the leader lease.
    replica: Option<leader::Replica>,
    lease_ttl: SignedDuration,
    /// SQLite: the watch over the database file (`storage`).
    storage: Option<storage::Watch>,
    /// A store write failed on a storage fault this turn: wait [`storage::RETRY`].
    storage_fault: bool,
    /// Outcomes whose recording failed (disk full, PostgreSQL out of reach): recorded again at
    /// the next turn.
    unrecorded: Vec<(OutboxItem, Recorded)>,
    /// Turns in a row whose claim failed (a PostgreSQL server out of reach …): the back-off
    /// counts them, the log reports them once when they start, then every ten minutes.
    claim_streak: streak::Streak,
    /// The database file was deleted or replaced: stop and rescue.
    file_lost: Option<crate::store::sqlite::fault::FileState>,
    beat_every: SignedDuration,
    /// When this process started or last reloaded (it stays awake a while after either).
    awake_since: Timestamp,
    /// What the configuration in force was read from ([`RunOptions::sources`]).
    sources: Option<Arc<crate::config::source::Snapshot>>,
    /// Where a claim's groups are rendered, a few at a time ([`renders`]).
    renders: renders::Renders,
}

/// Run until `controls.shutdown` turns true (or, simulated, until `end`). Returns an error only
/// for failures at start-up (bad config, unwritable or locked database); later problems are
/// logged and retried.
///
/// Returns [`Ended::Sleep`] instead when [`RunOptions::sleep`] is set and the daemon is idle
/// (see [`sleeper`]).
///
/// # Errors
/// Start-up failures, with their cause.
pub async fn run(
    opts: RunOptions,
    engine: impl Into<Arc<Engine>>,
    clock: SharedClock,
    mut controls: Controls,
    source: StoreSource,
    mut pace: Pace,
) -> anyhow::Result<Ended> {
    let engine: Arc<Engine> = engine.into();
    let db = engine.loaded.catalog.settings.store.clone();
    // Shared only when dispatching from the configured PostgreSQL store (a simulation's given
    // store is private to it).
    let shared = matches!(source, StoreSource::Configured) && db.is_shared();
    let (store, lock) = match source {
        StoreSource::Given(s) => (StoreThread::spawn(s, STORE_THREAD)?, None),
        StoreSource::Configured => open_for_dispatch(&db, &clock, None).await?,
        StoreSource::Locked(lock) => open_for_dispatch(&db, &clock, Some(lock)).await?,
    };
    let watch = match (&db, &lock) {
        (StoreUrl::Sqlite(path), Some(_)) => Some(storage::Watch::open(path)?),
        _ => None,
    };
    if shared {
        // Replicas share each bot's rate limit through the store (issue 16), on a connection of
        // its own so a slot never waits behind the loop's store calls.
        // Not fatal: without it each replica keeps its own limiter (and says so).
        let u = db.clone();
        match StoreThread::open("dutybell-slots", move || Ok(crate::store::open(&u)?)).await {
            Ok(slots) => {
                let slots = crate::notify::webhook::limiter::StoreSlots::new(slots, clock.clone());
                crate::notify::webhook::limiter::install_shared(Some(Arc::new(slots)));
            }
            Err(e) => {
                tracing::warn!(error = %e, "shared rate limits unavailable; each replica limits its own sends")
            }
        }
    }
    let exclusive = lock.is_some() || matches!(pace, Pace::Simulated { .. });
    let started = clock.now();
    let recovered = blocking(
        &store,
        move |s| Ok(s.recover_in_flight(started, exclusive)?),
    )
    .await?;
    if recovered > 0 {
        tracing::warn!(
            rows = recovered,
            "sends were in flight when dutybell last stopped; they will be sent again"
        );
    }
    let mut lp = Loop {
        store,
        engine,
        clock: clock.clone(),
        owner: owner_id(started),
        inflight: JoinSet::new(),
        claims: leases::Claims::default(),
        next_replan: started,
        last_wake_logged: None,
        real_time: matches!(pace, Pace::Real),
        replica: shared.then(|| leader::Replica::new(started)),
        lease_ttl: opts.lease_ttl,
        storage: watch,
        storage_fault: false,
        unrecorded: Vec::new(),
        claim_streak: streak::Streak::default(),
        file_lost: None,
        beat_every: opts.beat_every,
        awake_since: started,
        sources: opts.sources.clone(),
        renders: renders::Renders::for_machine(matches!(pace, Pace::Real)),
    };
    // PostgreSQL: other replicas' NOTIFYs wake the loop early (a hint; the naps stay as they are).
    let hint = Arc::new(Notify::new());
    let _listener = match &db {
        StoreUrl::Postgres(pg) if shared => Some(crate::store::postgres::listen::spawn(
            pg.clone(),
            hint.clone(),
        )),
        _ => None,
    };
    // Not forced: when the inputs hash (configuration, plan files, window, facts, binary version)
    // is the last sync's, the stored plan is already this plan and start-up costs one read
    // instead of re-planning the whole horizon (28 s and 728 MiB with 833,000 rows, docs/
    // BENCHMARKS.md §9).
    if lp.lead().await {
        lp.sync(&opts, false).await?;
    }
    systemd::ready(&lp.status_line().await);
    tracing::info!(database = %db, channels = ?lp.engine.dispatcher.channel_ids(), "dutybell running");
    let watchdog = systemd::watchdog_interval();
    let mut until = started;
    // Set when a finished send was recorded and nothing else needs a turn (see below).
    let mut skip_turn = false;
    let mut ended = Ended::Stopped;
    loop {
        if !skip_turn {
            until = lp.turn(&opts).await;
        }
        skip_turn = false;
        if lp.file_lost.is_some() {
            break;
        }
        match &mut pace {
            Pace::Simulated {
                clock: manual,
                end,
                observer,
            } => {
                if !lp.inflight.is_empty() {
                    // On a manual clock every send of this instant finishes before the next
                    // turn: one record (one transaction) and one turn per instant, not per send.
                    lp.record_every_send(observer).await;
                    continue;
                }
                if until >= *end {
                    break;
                }
                manual.set(until.max(lp.clock.now()));
                continue;
            }
            Pace::Real => {}
        }
        let mut nap = until
            .duration_since(clock.now())
            .max(SignedDuration::ZERO)
            .unsigned_abs();
        if let Some(w) = watchdog {
            nap = nap.min(w);
        }
        if lp.storage.is_some() {
            nap = nap.min(storage::CHECK_EVERY);
        }
        if let Some(policy) = opts.sleep
            && let Some(sources) = lp.sleepable()
        {
            let busy = lp.busy_until(opts.web_activity.as_deref());
            match policy.sleep_at(busy, until) {
                Some(at) if clock.now() >= at => {
                    // The snapshot first: a daemon that cannot leave its configuration behind
                    // stays awake (a wake would read whatever the files say by then).
                    let path = sleeper::snapshot_path(&lp.engine.loaded.catalog.settings.database);
                    match sleeper::write_snapshot(&path, &sources) {
                        Ok(()) => {
                            ended = Ended::Sleep {
                                until,
                                status: lp.status_line().await,
                                snapshot: path,
                                lock: None,
                            };
                            break;
                        }
                        Err(e) => {
                            tracing::warn!(file = %path.display(), error = %e, "cannot write the configuration snapshot; staying awake, trying again in an hour");
                            lp.awake_since = clock
                                .now()
                                .saturating_add(SignedDuration::from_hours(1))
                                .unwrap_or(at);
                        }
                    }
                }
                Some(at) => {
                    nap = nap.min(
                        at.duration_since(clock.now())
                            .max(SignedDuration::ZERO)
                            .unsigned_abs(),
                    );
                }
                None => {}
            }
        }
        tracing::debug!(until = %lp.engine.local(until), in_flight = lp.inflight.len(), "waiting");
        if lp.inflight.len() >= opts.max_inflight {
            // Full: wait for a send to finish rather than for the next due row (or until the
            // leases of the sends in flight must be renewed).
            nap = lp
                .claims
                .next_renewal(lp.lease_ttl)
                .map_or(Duration::from_secs(3600), |at| {
                    at.duration_since(clock.now())
                        .max(SignedDuration::ZERO)
                        .unsigned_abs()
                });
        }
        tokio::select! {
            _ = controls.shutdown.changed() => break,
            () = controls.reload.notified() => lp.reload(&opts).await,
            Some(done) = lp.inflight.join_next_with_id(), if !lp.inflight.is_empty() => {
                // The join took one task off: was the set full before it?
                let was_full = lp.inflight.len() + 1 >= opts.max_inflight;
                lp.record(done).await;
                // A burst's sends finish one by one: each is recorded at once, but a whole turn
                // (facts, digests, ticks, catch-up, claim) only runs when the finished send
                // freed a slot a claim was waiting for, or its outcome (a retry, an operator
                // alert) is due before the next wake. The burst's last send does take a turn:
                // `until` may be the renewal of leases that are gone now, and kept, it woke the
                // idle daemon for nothing a minute after every burst.
                if !was_full
                    && !lp.storage_fault
                    && lp.unrecorded.is_empty()
                    && !lp.inflight.is_empty()
                {
                    if let Some(w) = lp.next_wake().await {
                        until = until.min(w);
                    }
                    skip_turn = clock.now() < until;
                }
            }
            () = hint.notified() => tracing::debug!("woken by a wake-up hint"),
            () = tokio::time::sleep(nap) => {}
        }
        if watchdog.is_some() {
            systemd::watchdog();
        }
        if *controls.shutdown.borrow() {
            break;
        }
    }
    if matches!(ended, Ended::Stopped) {
        lp.drain(&opts).await;
    }
    let now = lp.clock.now();
    let closed = match (lp.file_lost, lp.storage.take()) {
        // Sends in flight were recorded (into the old file) by the drain; now save it, with
        // nothing else writing, then close it.
        (Some(state), Some(w)) => lp.store.close(move |_| Err(w.rescue(state, now))).await,
        // Closed here, not whenever the last handle goes: the process may exit right after.
        _ => lp.store.close(|_| Ok(())).await,
    };
    closed??;
    if let Ended::Sleep { lock: kept, .. } = &mut ended {
        *kept = lock;
    }
    Ok(ended)
}

/// Opens the configured store for dispatching on its own thread: SQLite with its one-dispatcher
/// lock; PostgreSQL without one (replicas share it through leases).
async fn open_for_dispatch(
    url: &StoreUrl,
    clock: &SharedClock,
    taken: Option<crate::store::sqlite::DispatchLock>,
) -> anyhow::Result<(StoreThread, Option<crate::store::sqlite::DispatchLock>)> {
    let (lock, shown) = match (url, taken) {
        (StoreUrl::Sqlite(db), Some(lock)) => (Some(lock), db.display().to_string()),
        (StoreUrl::Sqlite(db), None) => (
            Some(lock_exclusive(db, clock, None)?),
            db.display().to_string(),
        ),
        (StoreUrl::Postgres(_), _) => (None, url.to_string()),
    };
    let u = url.clone();
    let store = StoreThread::open(STORE_THREAD, move || {
        crate::store::open(&u).with_context(|| format!("cannot open {shown}"))
    })
    .await?;
    Ok((store, lock))
}

/// The identity this process claims under: host, pid and start instant, so a restarted process
/// never mistakes its predecessor's leases for its own. (Reading the host name is I/O, so it
/// lives here, not in the service layer.)
fn owner_id(started: Timestamp) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".into());
    format!("{host}:{}:{}", std::process::id(), started.as_second())
}

/// Takes the configured SQLite database's one-dispatcher lock, so a second daemon on the same
/// file refuses at start instead of sending everything twice.
///
/// # Errors
/// The lock is held by another process (naming it), or its file cannot be opened.
pub fn lock_exclusive(
    db: &std::path::Path,
    clock: &SharedClock,
    inherited: Option<i32>,
) -> anyhow::Result<crate::store::sqlite::DispatchLock> {
    let holder = format!(
        "pid {} since {}",
        std::process::id(),
        clock.now().round(jiff::Unit::Second).unwrap_or(clock.now())
    );
    // After a wake the sleeper's descriptor still holds it (never released across the `exec`).
    Ok(crate::store::sqlite::DispatchLock::take_over_or_acquire(
        db, inherited, &holder,
    )?)
}
