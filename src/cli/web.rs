//! `dutybell serve` (the web pages alone), `dutybell audit` (the audit log) and
//! `dutybell hash-password` (an Argon2 hash for `web.users`), plus starting the web pages inside
//! `dutybell run`.
//!
//! May touch: the tokio runtime, signals, stdin (the password), stdout.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use tokio::sync::watch;

use super::CliError;
use crate::clock::{SharedClock, StartAt};
use crate::loader::Loaded;
use crate::service::Engine;
use crate::store::StoreThread;
use crate::web::{WebState, serve};

/// `audit` arguments.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// How many lines, newest first.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// As JSON lines.
    #[arg(long)]
    pub json: bool,
}

/// `dutybell audit`.
pub fn audit(l: &Loaded, a: &AuditArgs) -> Result<(), CliError> {
    let store = super::open_store(l)?;
    let tz = l.catalog.settings.tz.tz().clone();
    for e in store.audit_log(a.limit).map_err(super::runtime_err)? {
        if a.json {
            println!("{}", serde_json::to_string(&e).unwrap_or_default());
        } else {
            println!(
                "{}  {}  {}  {}  {}  {} -> {}",
                e.at.to_zoned_datetime(tz.clone())
                    .strftime("%Y-%m-%d %H:%M:%S"),
                e.actor,
                e.address,
                e.action,
                e.subject,
                e.before,
                e.after
            );
        }
    }
    Ok(())
}

/// `link` arguments.
#[derive(Debug, Args)]
pub struct LinkArgs {
    /// A unit's page link (default: a read-only board link for leaders).
    #[arg(long)]
    pub unit: Option<String>,
    /// The occurrence the unit link opens first.
    #[arg(long, requires = "unit")]
    pub occurrence: Option<String>,
}

/// `dutybell link`: prints a signed link (valid `web.link_days` from now).
pub fn link(l: &Loaded, a: &LinkArgs, now: jiff::Timestamp) -> Result<(), CliError> {
    let secrets = crate::notify::secret::SystemSecrets::from_env();
    let signer = crate::service::link_key::signer(&l.catalog, &secrets)
        .map_err(CliError::Usage)?
        .ok_or_else(|| {
            CliError::Usage(
                "no link key is available: set web.keys, or web.bind for the pages".into(),
            )
        })?;
    match &a.unit {
        Some(u) if l.catalog.unit(u).is_none() => {
            return Err(CliError::Usage(format!("unknown unit {u}")));
        }
        Some(u) => println!("{}", signer.unit_url(u, a.occurrence.as_deref(), now)),
        None => println!("{}", signer.board_url(now)),
    }
    Ok(())
}

/// `dutybell hash-password`: reads one line from stdin, prints its Argon2id PHC string.
pub fn hash_password() -> ExitCode {
    use argon2::{Argon2, PasswordHasher};
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).is_err() || line.trim_end().is_empty() {
        eprintln!("error: type the password on standard input (one line)");
        return ExitCode::from(2);
    }
    let pw = line.trim_end_matches(['\r', '\n']);
    match Argon2::default().hash_password(pw.as_bytes()) {
        Ok(h) => {
            println!("{h}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot hash: {e}");
            ExitCode::from(1)
        }
    }
}

/// The web pages' own connection to the configured store (SQLite file or PostgreSQL), the one
/// the daemon dispatches from, on a thread of its own.
async fn open_store(engine: &Engine) -> anyhow::Result<StoreThread> {
    let url = engine.loaded.catalog.settings.store.clone();
    StoreThread::open("dutybell-web", move || {
        crate::store::open(&url)
            .map_err(|e| anyhow::Error::new(e).context(format!("cannot open {url}")))
    })
    .await
}

/// The web pages running inside `dutybell run`.
pub struct InDaemon {
    stop: watch::Sender<bool>,
    join: tokio::task::JoinHandle<()>,
    store: StoreThread,
    /// A second descriptor of the listening socket: it outlives the server, for the sleeper.
    listener: std::net::TcpListener,
    /// When the pages were last used.
    pub activity: Arc<crate::service::Activity>,
}

impl InDaemon {
    /// Stops the server (requests in progress finish, within five seconds), closes its store,
    /// and returns the listening socket, which stays open: connections that arrive meanwhile
    /// wait in its queue for whoever serves next.
    pub async fn stop(self) -> std::net::TcpListener {
        let _ = self.stop.send(true);
        if tokio::time::timeout(std::time::Duration::from_secs(5), self.join)
            .await
            .is_err()
        {
            tracing::warn!("web requests still running after five seconds; cut off");
        }
        if let Err(e) = self.store.close(|_| ()).await {
            tracing::warn!(error = %format!("{e:#}"), "closing the web pages' store failed");
        }
        self.listener
    }
}

/// Starts the web pages in the background when `web.bind` is set, following the daemon's
/// engine (`engine`), on `given` (a socket handed over by the sleeper) or on a socket bound to
/// `web.bind`. `web.bind` itself is read once: a reload that changes it is logged, and applies
/// at the next restart.
///
/// # Errors
/// An unopenable store.
pub async fn spawn_in_daemon(
    engine: watch::Receiver<Arc<Engine>>,
    clock: &SharedClock,
    given: Option<std::net::TcpListener>,
) -> anyhow::Result<Option<InDaemon>> {
    let current = engine.borrow().clone();
    let Some(addr) = current.loaded.catalog.web.bind else {
        return Ok(None);
    };
    let store = open_store(&current).await?;
    let bound = match given {
        Some(l) => Ok(l),
        None => std::net::TcpListener::bind(addr),
    };
    // Reminders matter more than pages: a port in use is logged, and the daemon goes on.
    let listening = bound.and_then(|l| {
        l.set_nonblocking(true)?;
        let keep = l.try_clone()?;
        Ok((tokio::net::TcpListener::from_std(l)?, keep))
    });
    let (listener, keep) = match listening {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(address = %addr, error = %e, "web pages not served: cannot listen (set web.bind, or `off`)");
            return Ok(None);
        }
    };
    let at = listener.local_addr().unwrap_or(addr);
    tracing::info!(address = %at, "web pages served");
    tokio::spawn(warn_when_bind_changes(engine.clone(), addr));
    let st = Arc::new(WebState::following(engine, store.clone(), clock.clone()));
    let activity = st.activity.clone();
    let (stop, stopping) = watch::channel(false);
    let join = tokio::spawn(async move {
        if let Err(e) = crate::web::serve_on(listener, st, stopped(stopping)).await {
            tracing::error!(error = %format!("{e:#}"), "web server stopped");
        }
    });
    Ok(Some(InDaemon {
        stop,
        join,
        store,
        listener: keep,
        activity,
    }))
}

/// `dutybell serve` on SIGHUP: load the config again; a refused one leaves the pages as they
/// were (as the daemon does).
async fn reload_on_hup(
    config: std::path::PathBuf,
    clock: SharedClock,
    feed: watch::Sender<Arc<Engine>>,
) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        tracing::error!("cannot install the SIGHUP handler; reload by restarting");
        return;
    };
    while hup.recv().await.is_some() {
        match Engine::load(&config, &clock) {
            Ok(e) => {
                feed.send_replace(Arc::new(e));
                tracing::info!("configuration reloaded");
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "reload refused; the previous configuration stays active")
            }
        }
    }
}

/// The listening socket stays; say so when a reload asks for another one.
async fn warn_when_bind_changes(
    mut engine: watch::Receiver<Arc<Engine>>,
    bound: std::net::SocketAddr,
) {
    while engine.changed().await.is_ok() {
        let wanted = engine.borrow().loaded.catalog.web.bind;
        if wanted != Some(bound) {
            tracing::warn!(
                listening = %bound,
                configured = %wanted.map_or_else(|| "off".to_string(), |a| a.to_string()),
                "web.bind changed; the pages keep listening where they are until dutybell restarts"
            );
        }
    }
}

async fn stopped(mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// `dutybell serve`: the web pages only (no sending).
pub fn serve_cmd(config: &Path, start: StartAt) -> ExitCode {
    super::daemon::init_tracing();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let r: anyhow::Result<()> = rt.block_on(async {
        let probe = crate::loader::load(config, start)
            .map_err(|d| crate::service::ConfigRefused(d.to_string()))?;
        let clock = start.clock(probe.catalog.settings.tz.tz());
        let engine = Arc::new(Engine::load(config, &clock)?);
        let Some(addr) = engine.loaded.catalog.web.bind else {
            return Err(
                crate::service::ConfigRefused("web.bind is off; nothing to serve".into()).into(),
            );
        };
        let store = open_store(&engine).await?;
        let (feed, engine_rx) = watch::channel(engine);
        tokio::spawn(reload_on_hup(config.to_path_buf(), clock.clone(), feed));
        tokio::spawn(warn_when_bind_changes(engine_rx.clone(), addr));
        let st = Arc::new(WebState::following(engine_rx, store, clock));
        let (tx, rx) = watch::channel(false);
        tokio::spawn(super::daemon::stop_on_signals(tx));
        serve(addr, st, stopped(rx)).await
    });
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(if crate::daemon::engine_error_is_config(&e) {
                2
            } else {
                1
            })
        }
    }
}
