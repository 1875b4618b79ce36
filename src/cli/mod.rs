//! Command-line interface: argument parsing, one library call per command, printing, exit codes.
//!
//! Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage.

mod calendar;
mod daemon;
mod digest;
mod export;
mod ops;
mod plan;
mod progress_import;
mod render;
mod send_test;
mod tasks;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::clock::{Clock, SystemClock};
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
}

/// Parse arguments, run, and return the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let config = loader::default_config_path(cli.config.as_deref());
    let now = match start_instant(cli.now.as_deref()) {
        Ok(t) => t,
        Err(m) => {
            eprintln!("error: {m}");
            return ExitCode::from(2);
        }
    };
    match &cli.command {
        Command::Run => return daemon::run(&config, cli.now.as_ref().map(|_| now)),
        Command::Simulate(a) => return daemon::simulate(&config, a),
        _ => {}
    }
    let today = now.to_zoned_datetime(shanghai()).date();
    if let Command::Calendar(a) = &cli.command {
        // Handled before loading: it loads the config only when it needs the calendar directory.
        return calendar::run(a, &config, today);
    }
    let loaded = match loader::load(&config, today) {
        Ok(l) => l,
        Err(diags) => {
            eprintln!("{diags}");
            return ExitCode::from(2);
        }
    };
    for w in loaded.warnings.warnings() {
        eprintln!("{w}");
    }
    let result = match &cli.command {
        Command::Check => {
            let secrets = crate::notify::secret::SystemSecrets::from_env();
            for w in crate::notify::build::check_channels(&loaded.catalog, &secrets) {
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
        Command::Run | Command::Simulate(_) | Command::Calendar(_) => {
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
        Command::SendTest(a) => send_test::run(&loaded, a),
        Command::Digest(a) => digest::run(&loaded, a, today, now),
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

/// A command failure, mapped to an exit code.
#[derive(Debug)]
pub enum CliError {
    /// Bad arguments (exit 2).
    Usage(String),
    /// Runtime failure (exit 1).
    Runtime(anyhow::Error),
}

/// The instant commands treat as "now": `--now`/`DUTYBELL_NOW` when given, else the wall clock.
///
/// # Errors
/// A message when `--now` cannot be read.
pub fn start_instant(given: Option<&str>) -> Result<jiff::Timestamp, String> {
    let Some(s) = given else {
        return Ok(SystemClock.now());
    };
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    s.parse::<jiff::civil::DateTime>()
        .or_else(|_| {
            s.parse::<jiff::civil::Date>()
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        })
        .ok()
        .and_then(|dt| dt.to_zoned_datetime(shanghai()).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            format!("--now `{s}` is not an instant; use 2027-02-20T08:00 or 2027-02-20T00:00:00Z")
        })
}

fn shanghai() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC)
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
