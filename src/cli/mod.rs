//! Command-line interface: argument parsing, one library call per command, printing, exit codes.
//!
//! Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage.

mod calendar;
mod daemon;
mod digest;
mod event;
mod export;
mod import;
mod ops;
mod plan;
mod plan_diff;
mod progress_import;
mod render;
mod send_test;
pub mod sleeper;
mod store;
mod tasks;
mod web;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::clock::StartAt;
use crate::loader::{self, Loaded};

/// dutybell (督办提醒): reminders for a government work plan.
#[derive(Debug, Parser)]
#[command(name = "dutybell", version, about)]
pub struct Cli {
    /// Config file (default: config/dutybell.yaml when it exists, else /etc/dutybell/dutybell.yaml).
    #[arg(long, global = true, env = "DUTYBELL_CONFIG")]
    pub config: Option<PathBuf>,
    /// Pretend it is this instant (RFC 3339, or a local `2027-02-20T08:00` in the plan's time
    /// zone): demos and tests run the real program "in" another month.
    #[arg(long, global = true, env = "DUTYBELL_NOW")]
    pub now: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the config, plan and calendar; print a one-line summary.
    Check,
    /// Run the daemon (plans, then sends reminders as they fall due; SIGHUP reloads).
    Run,
    /// Drive the whole pipeline through simulated time and print what is sent when.
    Simulate(daemon::SimulateArgs),
    /// List the plan's tasks.
    Tasks(tasks::TasksArgs),
    /// Next reminders, counts by state, recent failures, dead rows.
    Status,
    /// List outbox rows, or retry one.
    Outbox(ops::OutboxArgs),
    /// Record progress (进展情况) on a task; `--done` stops the occurrence's reminders.
    Progress(ops::ProgressArgs),
    /// Export the checklist (xlsx, csv, md) with 进展情况, or a unit's calendar (ics).
    Export(export::ExportArgs),
    /// Import progress notes from a CSV, all or nothing.
    ImportProgress(progress_import::ImportArgs),
    /// Turn a plan document (.docx, .xlsx, .doc) into a draft config directory and a report.
    Import(import::ImportArgs),
    /// Show the occurrences and reminders of a date range.
    Plan(plan::PlanArgs),
    /// Print exactly what would be sent for a task's reminder, without sending.
    Render(render::RenderArgs),
    /// Send a test message over one channel and print the vendor's answer.
    SendTest(send_test::SendTestArgs),
    /// Preview a unit head's weekly digest (督办周报), or enqueue it with `--send`.
    Digest(digest::DigestArgs),
    /// Calendar data: `import-notice` turns a holiday notice's text into next year's file.
    Calendar(calendar::CalendarArgs),
    /// Serve the web pages only (unit pages, office, board, health, metrics); no sending.
    Serve,
    /// The audit log of web changes (who, when, from where, before -> after), newest first.
    Audit(web::AuditArgs),
    /// Read a password on standard input and print its Argon2 hash for `web.users`.
    HashPassword,
    /// Print a signed link: the read-only board for leaders, or `--unit ID` a unit's page.
    Link(web::LinkArgs),
    /// Compare two plans (config files, draft or plan directories): tasks added, removed,
    /// moved, reworded, units and deadlines changed. Exit 0 equal, 1 different, 2 bad input.
    PlanDiff(plan_diff::PlanDiffArgs),
    /// The state database itself: `store copy` between SQLite and PostgreSQL, `store checksum`.
    Store(store::StoreArgs),
    /// Events the office declares (防汛应急响应): `event start NAME`, `event end NAME`,
    /// `event list`; `during:` rules plan inside their windows.
    Event(event::EventArgs),
}

/// Parse arguments, run, and return the process exit code.
pub fn main() -> ExitCode {
    quiet_broken_pipe();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let config = loader::default_config_path(cli.config.as_deref());
    let start = match StartAt::parse(cli.now.as_deref()) {
        Ok(t) => t,
        Err(m) => {
            eprintln!("error: {m}");
            return ExitCode::from(2);
        }
    };
    match &cli.command {
        Command::Run => return daemon::run(&config, start),
        Command::Simulate(a) => return daemon::simulate(&config, a),
        Command::Serve => return web::serve_cmd(&config, start),
        Command::HashPassword => return web::hash_password(),
        Command::PlanDiff(a) => return plan_diff::run(&config, a, start),
        Command::Import(a) => return import::run(cli.config.as_deref(), a, start),
        Command::Store(a) => return store::run(a),
        _ => {}
    }
    if let Command::Calendar(a) = &cli.command {
        // Handled before loading: it loads the config only when it needs the calendar directory.
        // The default year comes from today in the config's default zone.
        let zone = crate::model::Zone::default_zone();
        let today = start
            .resolve(zone.tz())
            .to_zoned_datetime(zone.tz().clone())
            .date();
        return calendar::run(a, &config, today);
    }
    let loaded = match loader::load(&config, start) {
        Ok(l) => l,
        Err(diags) => {
            eprintln!("{diags}");
            return ExitCode::from(2);
        }
    };
    for w in loaded.warnings.warnings() {
        eprintln!("{w}");
    }
    let now = loaded.now;
    let today = now
        .to_zoned_datetime(loaded.catalog.settings.tz.tz().clone())
        .date();
    let result = match &cli.command {
        Command::Check => {
            let secrets = crate::notify::secret::SystemSecrets::from_env();
            for w in crate::notify::build::check_channels(&loaded.catalog, &secrets) {
                eprintln!("warning: {w}");
            }
            // Issue 12: the coming year against the volume budget.
            let year = crate::schedule::plan(
                &loaded.catalog,
                &loaded.calendar,
                today,
                today.saturating_add(jiff::Span::new().days(364)),
            );
            for w in crate::schedule::budget::warnings(&loaded.catalog, &year, plan::BUDGET_LINES) {
                eprintln!("warning: {w}");
            }
            let templates = loaded.catalog.settings.templates.as_deref();
            match crate::render::Renderer::new(templates).and_then(|r| r.check()) {
                Ok(()) => {
                    println!("{}", summary(&loaded, &config));
                    Ok(())
                }
                Err(e) => Err(CliError::Usage(e.to_string())),
            }
        }
        Command::Run
        | Command::Simulate(_)
        | Command::Calendar(_)
        | Command::Serve
        | Command::PlanDiff(_)
        | Command::Import(_)
        | Command::HashPassword
        | Command::Store(_) => {
            unreachable!("handled before loading")
        }
        Command::Tasks(a) => tasks::run(&loaded, a),
        Command::Status => ops::status(&loaded, now),
        Command::Outbox(a) => ops::outbox(&loaded, a, now),
        Command::Progress(a) => ops::progress(&loaded, a, now),
        Command::Export(a) => export::run(&loaded, a, today, now),
        Command::ImportProgress(a) => progress_import::run(&loaded, a, today, now),
        Command::Plan(a) => plan::run(&loaded, a, today),
        Command::Render(a) => render::run(&loaded, a, today, now),
        Command::SendTest(a) => send_test::run(&loaded, a, now),
        Command::Digest(a) => digest::run(&loaded, a, today, now),
        Command::Audit(a) => web::audit(&loaded, a),
        Command::Link(a) => web::link(&loaded, a, now),
        Command::Event(a) => event::run(&loaded, a, today, now),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Usage(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Err(CliError::Runtime(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Opens the configured store, creating the state directory and migrating as needed, so every
/// command works on a fresh checkout before the first `run`.
///
/// # Errors
/// A runtime error naming the database, with its cause.
pub(crate) fn open_store(l: &Loaded) -> Result<Box<dyn crate::store::Store>, CliError> {
    let url = &l.catalog.settings.store;
    crate::store::open(url)
        .map_err(|e| CliError::Runtime(anyhow::Error::new(e).context(format!("cannot open {url}"))))
}

/// A runtime failure that keeps the whole cause chain (printed with `{:#}`).
pub(crate) fn runtime_err(e: impl std::error::Error + Send + Sync + 'static) -> CliError {
    CliError::Runtime(anyhow::Error::new(e))
}

/// A command failure, mapped to an exit code.
#[derive(Debug)]
pub enum CliError {
    /// Bad arguments (exit 2).
    Usage(String),
    /// Runtime failure (exit 1).
    Runtime(anyhow::Error),
}

/// `ok: config/dutybell.yaml: 36 units, …`.
pub fn summary(l: &Loaded, config: &std::path::Path) -> String {
    let c = &l.catalog;
    let enabled = c.channels.iter().filter(|ch| ch.enabled).count();
    let years = l.calendar.covered_years();
    let cal = match (years.first(), years.last()) {
        (Some(a), Some(b)) => format!("calendar {a}–{b}"),
        _ => "no calendar data".into(),
    };
    format!(
        "ok: {}: {} units, {} groups, {} channels ({} enabled), {} events, {} areas, {} tasks, {} rules; {}; {} warning(s)",
        config.display(),
        c.units.len(),
        c.groups.len(),
        c.channels.len(),
        enabled,
        c.events.len(),
        c.areas.len(),
        c.tasks.len(),
        c.rule_count(),
        cal,
        l.warnings.warnings().count()
    )
}

/// `dutybell tasks | head` must end quietly like other Unix tools, not with a panic message and
/// exit 101: Rust ignores SIGPIPE, so the first write after the reader went away fails, and
/// `println!` panics on it. The hook turns exactly that panic into a quiet exit 0; every other
/// panic keeps the default report.
fn quiet_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if payload.contains("Broken pipe") && payload.contains("stdout") {
            #[allow(clippy::disallowed_methods)]
            // the one exit outside main: nothing is left to do
            std::process::exit(0);
        }
        default(info);
    }));
}
