//! Command-line interface: argument parsing, one library call per command, printing, exit codes.
//!
//! Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage.

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
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the config, plan and calendar; print a one-line summary.
    Check,
    /// List the plan's tasks.
    Tasks(tasks::TasksArgs),
    /// Send a test message over one channel and print the vendor's answer.
    SendTest(send_test::SendTestArgs),
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
    let today = SystemClock.now().to_zoned_datetime(shanghai()).date();
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
        Command::Tasks(a) => tasks::run(&loaded, a),
        Command::SendTest(a) => send_test::run(&loaded, a),
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
