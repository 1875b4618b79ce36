//! The daemon: plan, sync, sleep until the next due row (or a signal, or a finished send),
//! dispatch, record. One loop; idle means idle.
//!
//! May touch: timers, signals (through the [`Controls`] it is given), sd_notify, spawning, the
//! store (on blocking threads). Business rules live in `schedule`, `dispatch` and `store`.

mod engine;
pub mod planner;
pub mod simulate;
pub mod systemd;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::clock::SharedClock;
use crate::dispatch::Outcome;
use crate::store::{OutboxItem, Store};
pub use engine::{ConfigRefused, Engine};

/// True when `e` is a refused configuration (exit code 2), not a runtime failure.
pub fn engine_error_is_config(e: &anyhow::Error) -> bool {
    e.downcast_ref::<ConfigRefused>().is_some()
}

/// Tunables of the loop.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The config file.
    pub config: PathBuf,
    /// Most sends in flight at once across channels.
    pub max_inflight: usize,
    /// How long in-flight sends may take to finish at shutdown.
    pub drain: Duration,
    /// Re-plan at least this often (the horizon moves with time; edits arrive by SIGHUP).
    pub replan_every: SignedDuration,
}

impl RunOptions {
    /// Defaults for `config`.
    pub fn new(config: PathBuf) -> Self {
        Self {
            config,
            max_inflight: 16,
            drain: Duration::from_secs(20),
            replan_every: SignedDuration::from_hours(6),
        }
    }
}

/// How the outside world steers a running daemon: the binary wires these to signals, tests to
/// channels they hold.
#[derive(Debug, Clone)]
pub struct Controls {
    /// Becomes `true` to stop (SIGTERM/SIGINT).
    pub shutdown: watch::Receiver<bool>,
    /// Notified to reload the config (SIGHUP).
    pub reload: Arc<Notify>,
}

type Shared = Arc<Mutex<Store>>;

async fn blocking<T: Send + 'static>(
    store: &Shared,
    f: impl FnOnce(&mut Store) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let mut s = store.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut s)
    })
    .await
    .context("store task panicked")?
}

/// Run until `controls.shutdown` turns true. Returns an error only for failures at start-up
/// (bad config, unwritable database); later problems are logged and retried.
///
/// # Errors
/// Start-up failures, with their cause.
pub async fn run(
    opts: RunOptions,
    clock: SharedClock,
    mut controls: Controls,
) -> anyhow::Result<()> {
    let mut engine = Arc::new(Engine::load(&opts.config, &clock)?);
    let db = engine.loaded.catalog.settings.database.clone();
    if let Some(dir) = db.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let store: Shared = Arc::new(Mutex::new(
        Store::open(&db).with_context(|| format!("cannot open {}", db.display()))?,
    ));
    let now = clock.now();
    let recovered = blocking(&store, move |s| Ok(s.recover_in_flight(now)?)).await?;
    if recovered > 0 {
        tracing::warn!(
            rows = recovered,
            "sends were in flight when dutybell last stopped; they will be sent again"
        );
    }
    let mut next_replan = sync(&store, &engine, &clock, &opts).await?;
    systemd::ready(&status_line(&store, &engine).await);
    tracing::info!(database = %db.display(), channels = ?engine.dispatcher.channel_ids(), "dutybell running");
    let watchdog = systemd::watchdog_interval();
    let mut inflight: JoinSet<(OutboxItem, Outcome)> = JoinSet::new();
    loop {
        let now = clock.now();
        if now >= next_replan {
            next_replan = sync(&store, &engine, &clock, &opts).await.unwrap_or_else(|e| {
                tracing::error!(error = %format!("{e:#}"), "planning failed; will retry in an hour");
                now.saturating_add(SignedDuration::from_hours(1)).unwrap_or(now)
            });
        }
        digests(&store, &engine, now).await;
        if let Err(e) =
            claim_and_spawn(&store, &engine, &mut inflight, now, opts.max_inflight).await
        {
            tracing::error!(error = %format!("{e:#}"), "claiming due reminders failed");
        }
        let wake = blocking(&store, |s| Ok(s.next_wakeup()?))
            .await
            .ok()
            .flatten();
        let digest_due = engine.next_digest(now);
        let until = [wake, Some(next_replan), digest_due]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(next_replan);
        if inflight.is_empty() && systemd::under_systemd() {
            // Going idle: tell `systemctl status` what comes next.
            systemd::status(&status_line(&store, &engine).await);
        }
        let mut nap = until
            .duration_since(clock.now())
            .max(SignedDuration::ZERO)
            .unsigned_abs();
        tracing::debug!(until = %engine.local(until), in_flight = inflight.len(), "waiting");
        if let Some(w) = watchdog {
            nap = nap.min(w);
        }
        if inflight.len() >= opts.max_inflight {
            // Full: wait for a send to finish rather than for the next due row.
            nap = Duration::from_secs(3600);
        }
        tokio::select! {
            _ = controls.shutdown.changed() => break,
            () = controls.reload.notified() => {
                systemd::reloading();
                match Engine::load(&opts.config, &clock) {
                    Ok(e) => {
                        engine = Arc::new(e);
                        tracing::info!("configuration reloaded");
                        next_replan = clock.now();
                    }
                    Err(e) => tracing::error!(error = %format!("{e:#}"), "reload refused; the previous configuration stays active"),
                }
                systemd::ready(&status_line(&store, &engine).await);
            }
            Some(done) = inflight.join_next(), if !inflight.is_empty() => record(&store, &engine, &clock, done).await,
            () = tokio::time::sleep(nap) => {}
        }
        if watchdog.is_some() {
            systemd::watchdog();
        }
        if *controls.shutdown.borrow() {
            break;
        }
    }
    systemd::stopping();
    tracing::info!(
        in_flight = inflight.len(),
        "stopping: no new claims; waiting for sends in flight"
    );
    let drained = tokio::time::timeout(opts.drain, async {
        while let Some(done) = inflight.join_next().await {
            record(&store, &engine, &clock, done).await;
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            left = inflight.len(),
            "sends still in flight after the drain timeout; they will be retried at the next start"
        );
        inflight.abort_all();
    }
    Ok(())
}

/// Enqueue this week's digests once they are due (idempotent; see `digest::enqueue_due_digests`).
async fn digests(store: &Shared, engine: &Arc<Engine>, now: Timestamp) {
    let e = engine.clone();
    let r = blocking(store, move |s| {
        let l = &e.loaded;
        Ok(crate::digest::enqueue_due_digests(
            s,
            &l.catalog,
            &l.calendar,
            &e.renderer,
            now,
        )?)
    })
    .await;
    match r {
        Ok(0) => {}
        Ok(n) => tracing::info!(rows = n, "digests enqueued"),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "enqueueing digests failed; will retry at the next wake")
        }
    }
}

/// Plan and sync; returns when to plan next.
async fn sync(
    store: &Shared,
    engine: &Engine,
    clock: &SharedClock,
    opts: &RunOptions,
) -> anyhow::Result<Timestamp> {
    let now = clock.now();
    let set = planner::plan_set(&engine.loaded, &engine.renderer, now)?;
    let report = blocking(store, move |s| Ok(s.sync_plan(&set, now)?)).await?;
    tracing::info!(
        added = report.added,
        cancelled = report.cancelled,
        updated = report.updated,
        skipped = report.skipped,
        unchanged = report.unchanged,
        "plan synced"
    );
    Ok(now.saturating_add(opts.replan_every).unwrap_or(now))
}

async fn claim_and_spawn(
    store: &Shared,
    engine: &Engine,
    inflight: &mut JoinSet<(OutboxItem, Outcome)>,
    now: Timestamp,
    max: usize,
) -> anyhow::Result<()> {
    let room = max.saturating_sub(inflight.len());
    if room == 0 {
        return Ok(());
    }
    let items = blocking(store, move |s| Ok(s.claim_due(now, room)?)).await?;
    let verdict = crate::dispatch::catchup::apply(items, now, &engine.catchup);
    if !verdict.skip.is_empty() {
        let skips: Vec<(i64, String)> = verdict
            .skip
            .iter()
            .map(|(i, r)| (i.id, r.clone()))
            .collect();
        for (i, why) in &verdict.skip {
            tracing::info!(task = %i.task_id, stage = %i.stage, channel = %i.channel, outcome = "skipped", reason = %why, "send");
        }
        blocking(store, move |s| {
            for (id, why) in skips {
                s.record_skipped(id, now, &why)?;
            }
            Ok(())
        })
        .await?;
    }
    for (item, late) in verdict.send {
        let d = engine.dispatcher.clone();
        inflight.spawn(async move {
            let outcome = d.deliver(&item, late).await;
            (item, outcome)
        });
    }
    Ok(())
}

async fn record(
    store: &Shared,
    engine: &Engine,
    clock: &SharedClock,
    done: Result<(OutboxItem, Outcome), tokio::task::JoinError>,
) {
    let Ok((item, outcome)) = done else {
        tracing::error!("a send task panicked; its row is retried at the next start");
        return;
    };
    let now = clock.now();
    let alert = match &outcome {
        Outcome::Dead(e) => engine.operator_alert(&item, e, now),
        _ => None,
    };
    let r = blocking(store, move |s| {
        match outcome {
            Outcome::Sent(d) => s.record_sent(item.id, now, &d)?,
            Outcome::Retry { at, error } => s.record_retry(item.id, now, at, &error)?,
            Outcome::Dead(e) => s.record_dead(item.id, now, &e)?,
        }
        if let Some(a) = alert {
            s.enqueue(&a, now)?;
        }
        Ok(())
    })
    .await;
    if let Err(e) = r {
        tracing::error!(error = %format!("{e:#}"), "recording a send outcome failed; the row is retried at the next start");
    }
}

async fn status_line(store: &Shared, engine: &Engine) -> String {
    let next = blocking(store, |s| Ok(s.next_pending(1)?))
        .await
        .ok()
        .and_then(|v| v.into_iter().next());
    match next {
        Some(i) => {
            let title = engine
                .loaded
                .catalog
                .task(&i.task_id)
                .map(|t| t.title.chars().take(16).collect::<String>())
                .unwrap_or_default();
            format!(
                "next: {} {} at {}",
                i.task_id,
                title,
                engine.local(i.next_attempt_at)
            )
        }
        None => "idle: nothing scheduled".into(),
    }
}
