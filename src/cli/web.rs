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
    let signer = crate::service::links::LinkSigner::from_catalog(&l.catalog, &secrets)
        .map_err(CliError::Usage)?
        .ok_or_else(|| CliError::Usage("no link key is available (web.keys)".into()))?;
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

/// The web state over a fresh engine and the web's own store connection.
///
/// # Errors
/// A refused config or an unopenable store.
pub fn web_state(config: &Path, clock: &SharedClock) -> anyhow::Result<Arc<WebState>> {
    let engine = Engine::load(config, clock)?;
    let db = engine.loaded.catalog.settings.database.clone();
    let store = crate::store::open(&crate::store::StoreUrl::Sqlite(db.clone()))
        .map_err(|e| anyhow::Error::new(e).context(format!("cannot open {}", db.display())))?;
    Ok(Arc::new(WebState::new(
        Arc::new(engine),
        store,
        clock.clone(),
    )))
}

/// Starts the web pages in the background when `web.bind` is set; they stop when `stop` turns
/// true.
///
/// # Errors
/// A refused config, an unopenable store or an address in use.
pub async fn spawn_in_daemon(
    config: &Path,
    clock: &SharedClock,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let st = web_state(config, clock)?;
    let Some(addr) = st.engine.loaded.catalog.web.bind else {
        return Ok(());
    };
    // Reminders matter more than pages: a port in use is logged, and the daemon goes on.
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(address = %addr, error = %e, "web pages not served: cannot listen (set web.bind, or `off`)");
            return Ok(());
        }
    };
    tracing::info!(address = %addr, "web pages served");
    tokio::spawn(async move {
        if let Err(e) = crate::web::serve_on(listener, st, stopped(stop)).await {
            tracing::error!(error = %format!("{e:#}"), "web server stopped");
        }
    });
    Ok(())
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
        let st = web_state(config, &clock)?;
        let Some(addr) = st.engine.loaded.catalog.web.bind else {
            return Err(
                crate::service::ConfigRefused("web.bind is off; nothing to serve".into()).into(),
            );
        };
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
