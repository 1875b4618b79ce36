//! `dutybell run` and `dutybell simulate`: tracing set-up, the tokio runtime, signals → controls.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use jiff::Timestamp;
use tokio::sync::{Notify, watch};

use crate::clock::{OffsetClock, SharedClock, SystemClock};
use crate::daemon::engine_error_is_config;
use crate::daemon::simulate::{self, SimOptions};
use crate::daemon::{self, Controls, RunOptions};

/// `simulate` arguments.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// First simulated day.
    #[arg(long)]
    pub from: jiff::civil::Date,
    /// Last simulated day.
    #[arg(long)]
    pub to: jiff::civil::Date,
    /// Directory for the simulated database and the file channels' output (default: a new
    /// directory under the system temp dir).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Send over the configured channels (SMTP, webhooks) instead of writing files.
    #[arg(long)]
    pub live: bool,
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
pub fn run(config: &Path, start: Option<Timestamp>) -> ExitCode {
    init_tracing();
    let clock: SharedClock = match start {
        Some(t) => Arc::new(OffsetClock::starting_at(t)),
        None => Arc::new(SystemClock),
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return exit_for(&e.into()),
    };
    let result = rt.block_on(async {
        let (tx, rx) = watch::channel(false);
        let reload = Arc::new(Notify::new());
        tokio::spawn(signals(tx, reload.clone()));
        daemon::run(
            RunOptions::new(config.to_path_buf()),
            clock,
            Controls {
                shutdown: rx,
                reload,
            },
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
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| simulate::default_out(a.from));
    simulate::reset(&out);
    let opts = SimOptions {
        config: config.to_path_buf(),
        from: a.from,
        to: a.to,
        out: out.clone(),
        live: a.live,
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return exit_for(&e.into()),
    };
    let mut stdout = std::io::stdout().lock();
    match rt.block_on(simulate::simulate(&opts, &mut stdout)) {
        Ok(r) => {
            println!(
                "\nsimulated {} .. {}: {} sent, {} to retry, {} given up; messages in {}",
                a.from,
                a.to,
                r.sent,
                r.retried,
                r.dead,
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => exit_for(&e),
    }
}
