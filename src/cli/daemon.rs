//! `dutybell run` and `dutybell simulate`: tracing set-up, the tokio runtime, signals → controls.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use tokio::sync::{Notify, watch};

use crate::clock::StartAt;
use crate::daemon::engine_error_is_config;
use crate::daemon::signals::{Asked, Signals};
use crate::daemon::simulate::{self, SimOptions, SimReport};
use crate::daemon::{self, Controls, Engine, Pace, RunOptions, StoreSource, sleeper};

/// `simulate` arguments.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// First simulated day.
    #[arg(long)]
    pub from: jiff::civil::Date,
    /// Last simulated day.
    #[arg(long)]
    pub to: jiff::civil::Date,
    /// Keep the simulated database and the file channels' messages in this directory (default:
    /// a temporary directory removed at the end).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Send over the configured channels (SMTP, webhooks) instead of writing files.
    #[arg(long)]
    pub live: bool,
    /// Print, per recipient, messages, days with messages, the busiest day and escalations
    /// instead of one line per send.
    #[arg(long)]
    pub summary: bool,
}

/// Logs for journald or a terminal: `RUST_LOG` filters (default `info`); no ANSI colours and
/// no timestamps when running under systemd (journald adds its own), colours only on a terminal.
pub fn init_tracing() {
    let journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()) && !journald);
    let _ = if journald {
        builder.without_time().try_init()
    } else {
        builder.try_init()
    };
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

fn exit_for(e: &anyhow::Error) -> ExitCode {
    eprintln!("error: {e:#}");
    ExitCode::from(if engine_error_is_config(e) { 2 } else { 1 })
}

/// `dutybell run`.
pub fn run(config: &Path, start: StartAt) -> ExitCode {
    // Before the runtime's threads: SIGTERM/SIGINT/SIGHUP wait in the kernel until `signals`
    // reads them, here or, after an `exec`, in the sleeper (daemon::signals).
    if let Err(e) = daemon::signals::block() {
        eprintln!("error: cannot block signals: {e}");
        return ExitCode::from(1);
    }
    init_tracing();
    let wake = match sleeper::take_wake() {
        Some(Ok(w)) => Some(w),
        Some(Err(e)) => {
            tracing::warn!(error = %format!("{e:#}"), "ignoring a malformed wake-up hand-over");
            None
        }
        None => None,
    };
    if let Some(w) = &wake {
        tracing::info!(reason = w.reason.as_str(), "woken");
    }
    let given = match sleeper::take_listener() {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "standard input is not the web pages' socket; binding anew");
            None
        }
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return exit_for(&e.into()),
    };
    let result = rt.block_on(async {
        let (built, sources) = load_engine(config, start, wake.as_ref())?;
        let (engine, clock, shifted) = built;
        if let Some(shifted) = shifted.filter(|_| wake.is_none()) {
            // `--now` is the instant the daemon starts at, configuration loaded (a wake goes on
            // from the sleeper's reading instead). Operators see which instant the daemon
            // believes it is; `benches/latency.rs` reads this line's wall-clock stamp as the
            // moment the clock started.
            shifted.restart();
            tracing::info!(now = %clock.now(), "clock set by --now; it advances in real time from here");
        }
        let engine = Arc::new(engine);
        let (tx, rx) = watch::channel(false);
        let reload = Arc::new(Notify::new());
        // Web loop (issue 13): the pages run beside the loop when `web.bind` is set, on the
        // loop's own engine (replaced on every good SIGHUP).
        let (feed, engine_rx) = watch::channel(engine.clone());
        // The SQLite dispatch lock first, before the web pages open the database: a second
        // `run` beside a sleeping daemon then refuses without touching the file (which would
        // wake the sleeper; StoreSource::Locked).
        let source = match &engine.loaded.catalog.settings.store {
            crate::store::StoreUrl::Sqlite(db) => {
                let kept = wake.as_ref().and_then(|w| w.lock_fd);
                StoreSource::Locked(daemon::lock_exclusive(db, &clock, kept)?)
            }
            crate::store::StoreUrl::Postgres(_) => StoreSource::Configured,
        };
        let web = super::web::spawn_in_daemon(engine_rx, &clock, given).await?;
        let sigs = Arc::new(Signals::new()?);
        let stop_asked = rx.clone();
        let reload_asked = reload.clone();
        let sig_task = tokio::spawn(signals(sigs.clone(), tx, reload.clone()));
        let mut opts = RunOptions::new(config.to_path_buf());
        opts.engine_feed = Some(feed);
        // Between reminders the daemon becomes `dutybell-sleep`, when it is installed beside it.
        let sleeper_bin = sleeper::sleeper_binary();
        if sleeper_bin.is_none() {
            tracing::info!(
                "{} not found beside this binary (`cargo build` builds it; install both); the daemon stays loaded between reminders",
                sleeper::BINARY
            );
        }
        opts.sleep = sleeper_bin.as_ref().map(|_| sleeper::SleepPolicy::default());
        opts.sources = Some(Arc::new(sources));
        opts.web_activity = web.as_ref().map(|w| w.activity.clone());
        // A shorter claim lease for crash drills and tests (seconds); the default suits production.
        if let Some(secs) = env_secs("DUTYBELL_LEASE_TTL_SECS") {
            opts.lease_ttl = jiff::SignedDuration::from_secs(secs);
        }
        // A shorter stay awake after a wake or a request (tests and drills of the sleeper).
        if let Some(secs) = env_secs("DUTYBELL_STAY_AWAKE_SECS") {
            opts.sleep = opts.sleep.map(|mut p| {
                p.stay_awake = jiff::SignedDuration::from_secs(secs);
                p
            });
        }
        // After a wake the sleeper passed the shifted clock on as `DUTYBELL_NOW`.
        let shifted = !matches!(start, StartAt::Now);
        let db = engine.loaded.catalog.settings.database.clone();
        let tz = engine.loaded.catalog.settings.tz.tz().clone();
        let ended = daemon::run(
            opts,
            engine,
            clock.clone(),
            Controls {
                shutdown: rx,
                reload,
            },
            source,
            Pace::Real,
        )
        .await?;
        let listener = match web {
            Some(w) => Some(w.stop().await),
            None => None,
        };
        // No signal is read after this; what was read and not acted on is settled below.
        sig_task.abort();
        let _ = sig_task.await;
        let stop = matches!(ended, daemon::Ended::Sleep { .. })
            && unheeded(&sigs, &stop_asked, &reload_asked).await?;
        match ended {
            daemon::Ended::Stopped => Ok(None),
            daemon::Ended::Sleep { .. } if stop => {
                tracing::info!("stop requested while going to sleep; stopped");
                Ok(None)
            }
            daemon::Ended::Sleep {
                until,
                status,
                snapshot,
                lock,
            } => {
                // The lock stays held through the `exec`: the sleeper takes over its descriptor.
                let lock_fd = lock.as_ref().and_then(|l| l.for_exec());
                let h = sleeper::Handoff {
                    until,
                    daemon: sleeper::daemon_binary()?,
                    shifted_now: shifted.then(|| clock.now()),
                    config: config.to_path_buf(),
                    snapshot,
                    db,
                    status,
                    wake_local: sleeper::wake_at(until)
                        .to_zoned_datetime(tz)
                        .strftime("%Y-%m-%d %H:%M:%S")
                        .to_string(),
                    lock_fd,
                };
                // Set: `opts.sleep` is only set when the sleeper binary is there.
                let bin = sleeper_bin.unwrap_or_else(|| sleeper::BINARY.into());
                Ok(Some((h, listener, bin, lock)))
            }
        }
    });
    // Sends, the store and the web pages are finished; nothing left on the runtime matters.
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some((h, listener, bin, lock))) => {
            tracing::info!(wake_at = %h.wake_local, "going to sleep; {}", h.status);
            let e = sleeper::exec_sleeper(&bin, &h, listener);
            drop(lock);
            tracing::error!(error = %e, "cannot start the sleeper; exiting (systemd restarts dutybell)");
            ExitCode::from(1)
        }
        Err(e) => exit_for(&e),
    }
}

/// A positive number of seconds from the environment variable `name`.
fn env_secs(name: &str) -> Option<i64> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|s| *s > 0)
}

/// The engine, its clock and, for `--now`, the shifted clock's handle (to restart it).
type Built = (
    Engine,
    crate::clock::SharedClock,
    Option<crate::clock::OffsetClock>,
);

/// Loads the configuration and builds the engine, recording what was read. After a wake, the
/// snapshot the daemon went to sleep with is replayed instead: the configuration in force stays
/// in force until SIGHUP, whatever the files say now. A wake by SIGHUP reads the disk, and
/// keeps the snapshot when the files are refused.
fn load_engine(
    config: &Path,
    start: StartAt,
    wake: Option<&sleeper::Wake>,
) -> anyhow::Result<(Built, crate::config::source::Snapshot)> {
    use crate::config::source;
    // `quiet`: a replayed snapshot's warnings were logged when it was first loaded.
    let build = |quiet: bool| -> anyhow::Result<Built> {
        // The clock needs the plan's zone for a local `--now`; the zone needs the config.
        let probe = crate::loader::load(config, start)
            .map_err(|d| crate::service::ConfigRefused(d.to_string()))?;
        let shifted = start.offset_clock(probe.catalog.settings.tz.tz());
        let clock: crate::clock::SharedClock = match &shifted {
            Some(c) => Arc::new(c.clone()),
            None => Arc::new(crate::clock::SystemClock),
        };
        if !quiet {
            for w in probe.warnings.warnings() {
                tracing::warn!("{w}");
            }
        }
        // One load: the probe is the configuration (loading it twice cost a 4,300-task plan
        // another third of a second at start).
        let engine = Engine::from_loaded(probe, &clock)?;
        Ok((engine, clock, shifted))
    };
    let from_disk = || {
        let (built, snap) = source::record(|| build(false));
        built.map(|b| (b, snap))
    };
    let Some(w) = wake else {
        return from_disk();
    };
    let kept = match sleeper::read_snapshot(&w.snapshot) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            tracing::warn!(file = %w.snapshot.display(), error = %format!("{e:#}"), "the configuration snapshot cannot be read; loading the files");
            return from_disk();
        }
    };
    if w.reason == sleeper::Reason::Reload {
        match from_disk() {
            Ok(loaded) => {
                tracing::info!("configuration reloaded");
                return Ok(loaded);
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "reload refused; the previous configuration stays active")
            }
        }
    }
    let built = source::replay(kept.clone(), || build(true))?;
    Ok((built, Arc::unwrap_or_clone(kept)))
}

/// SIGTERM/SIGINT stop the daemon; SIGHUP reloads.
async fn signals(sigs: Arc<Signals>, stop: watch::Sender<bool>, reload: Arc<Notify>) {
    loop {
        match sigs.recv().await {
            Ok(Asked::Reload) => reload.notify_one(),
            Ok(Asked::Stop) => break,
            Err(e) => {
                // Not expected; the signals then wait in the kernel, and systemd's stop ends
                // with SIGKILL after its timeout.
                tracing::error!(error = %e, "cannot read signals");
                return;
            }
        }
    }
    tracing::info!("stop requested");
    let _ = stop.send(true);
}

/// Settles the signals that came while the daemon was going to sleep (after its loop's last
/// look, before the `exec`): `true` when one asked to stop. A reload is sent to this process
/// again, pending through the `exec`: the sleeper reads it at once and wakes the daemon for it.
async fn unheeded(
    sigs: &Signals,
    stop_asked: &watch::Receiver<bool>,
    reload: &Notify,
) -> std::io::Result<bool> {
    let pending = sigs.pending()?;
    if *stop_asked.borrow() || pending.contains(&Asked::Stop) {
        return Ok(true);
    }
    let notified = tokio::select! {
        biased;
        () = reload.notified() => true,
        () = std::future::ready(()) => false,
    };
    if notified || pending.contains(&Asked::Reload) {
        tracing::info!("SIGHUP came while going to sleep; the sleeper wakes for it at once");
        daemon::signals::resend(Asked::Reload)?;
    }
    Ok(false)
}

/// `dutybell simulate`.
pub fn simulate(config: &Path, a: &SimulateArgs) -> ExitCode {
    // Without --out the run writes to a scratch directory, removed however the run ends.
    let scratch = a.out.is_none().then(|| simulate::default_out(a.from));
    let opts = SimOptions {
        config: config.to_path_buf(),
        from: a.from,
        to: a.to,
        out: a.out.clone().or_else(|| scratch.clone()),
        live: a.live,
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return exit_for(&e.into()),
    };
    let print: Box<dyn std::io::Write + Send> = if a.summary {
        Box::new(std::io::sink())
    } else {
        Box::new(std::io::stdout())
    };
    let result = rt.block_on(simulate::simulate(&opts, print));
    if let Some(dir) = &scratch {
        let _ = std::fs::remove_dir_all(dir);
    }
    match result {
        Ok((r, out)) => {
            if a.summary {
                print_summary(&r);
            }
            let kept = match scratch {
                None => format!("messages and database kept in {}", out.display()),
                Some(_) => {
                    "nothing kept (use --out DIR to keep the messages and the database)".into()
                }
            };
            println!(
                "\nsimulated {} .. {}: {} sent, {} to retry, {} given up, {} skipped; {kept}",
                a.from, a.to, r.sent, r.retried, r.dead, r.skipped,
            );
            ExitCode::SUCCESS
        }
        Err(e) => exit_for(&e),
    }
}

/// The per-recipient table of `simulate --summary`.
fn print_summary(r: &SimReport) {
    println!(
        "{:<24} {:>8} {:>6} {:>16} {:>11}",
        "recipient", "messages", "days", "busiest day", "escalations"
    );
    let mut rows: Vec<_> = r.per_recipient.iter().collect();
    rows.sort_by(|a, b| b.1.messages.cmp(&a.1.messages).then(a.0.cmp(b.0)));
    for (name, load) in rows {
        let busiest = load
            .by_day
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(d, n)| format!("{d} ({n})"))
            .unwrap_or_default();
        println!(
            "{:<24} {:>8} {:>6} {:>16} {:>11}",
            name,
            load.messages,
            load.by_day.len(),
            busiest,
            load.escalations
        );
    }
}

/// SIGTERM/SIGINT turn `stop` true (`dutybell serve`).
pub async fn stop_on_signals(stop: watch::Sender<bool>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers");
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    tracing::info!("stop requested");
    let _ = stop.send(true);
}
