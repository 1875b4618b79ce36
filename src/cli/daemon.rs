//! `dutybell run` and `dutybell simulate`: tracing set-up, the tokio runtime, signals → controls.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use tokio::sync::{Notify, watch};

use crate::clock::StartAt;
use crate::daemon::engine_error_is_config;
use crate::daemon::simulate::{self, SimOptions, SimReport};
use crate::daemon::{self, Controls, Engine, Pace, RunOptions, StoreSource};

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
    init_tracing();
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return exit_for(&e.into()),
    };
    let result = rt.block_on(async {
        // The clock needs the plan's zone for a local `--now`; the zone needs the config.
        let probe = crate::loader::load(config, start)
            .map_err(|d| crate::service::ConfigRefused(d.to_string()))?;
        let clock = start.clock(probe.catalog.settings.tz.tz());
        if !matches!(start, StartAt::Now) {
            // Operators see which instant the daemon believes it is; `benches/latency.rs` reads
            // this line's wall-clock stamp as the moment the clock started.
            tracing::info!(now = %clock.now(), "clock set by --now; it advances in real time from here");
        }
        for w in probe.warnings.warnings() {
            tracing::warn!("{w}");
        }
        // One load: the probe is the configuration (loading it twice cost a 4,300-task plan
        // another third of a second at start).
        let engine = Arc::new(Engine::from_loaded(probe, &clock)?);
        let (tx, rx) = watch::channel(false);
        let reload = Arc::new(Notify::new());
        // Web loop (issue 13): the pages run beside the loop when `web.bind` is set, on the
        // loop's own engine (replaced on every good SIGHUP).
        let (feed, engine_rx) = watch::channel(engine.clone());
        super::web::spawn_in_daemon(engine_rx, &clock, rx.clone()).await?;
        tokio::spawn(signals(tx, reload.clone()));
        let mut opts = RunOptions::new(config.to_path_buf());
        opts.engine_feed = Some(feed);
        // A shorter claim lease for crash drills and tests (seconds); the default suits production.
        if let Some(secs) = std::env::var("DUTYBELL_LEASE_TTL_SECS")
            .ok()
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|s| *s > 0)
        {
            opts.lease_ttl = jiff::SignedDuration::from_secs(secs);
        }
        daemon::run(
            opts,
            engine,
            clock,
            Controls {
                shutdown: rx,
                reload,
            },
            StoreSource::Configured,
            Pace::Real,
        )
        .await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => exit_for(&e),
    }
}

/// SIGTERM/SIGINT stop the daemon; SIGHUP reloads.
async fn signals(stop: watch::Sender<bool>, reload: Arc<Notify>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) else {
        tracing::error!("cannot install signal handlers");
        return;
    };
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => reload.notify_one(),
        }
    }
    tracing::info!("stop requested");
    let _ = stop.send(true);
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
