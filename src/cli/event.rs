//! `dutybell event start|end NAME [--at DATE] [--by NAME]` and `dutybell event list`: the windows
//! of events the office declares (防汛应急响应), which `during:` rules plan inside (issue 14).
//!
//! A start or an end is recorded in the store and the plan is synced at once, so `status` and
//! `outbox` show the new reminders right away; a running daemon re-plans at its next wake (on
//! PostgreSQL it is woken at once; on SQLite `systemctl reload dutybell` makes it look now).
//!
//! May touch: the store (through the service), stdout.

use clap::{Args, Subcommand};
use jiff::Timestamp;
use jiff::civil::Date;

use super::CliError;
use crate::catalog::parse;
use crate::loader::Loaded;
use crate::service::events::{self, EventError};
use crate::service::plan::{self, SyncOutcome};
use crate::store::{DeclaredWindow, Store};

/// `event` arguments.
#[derive(Debug, Args)]
pub struct EventArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: EventAction,
}

/// `event` subcommands.
#[derive(Debug, Subcommand)]
pub enum EventAction {
    /// Declare that an event is under way from today (or `--at`): its `during:` duties start.
    Start(Declare),
    /// Declare that an event is over, today (or `--at`) being its last day.
    End(Declare),
    /// Every declared window, open ones marked.
    List,
}

/// What `start` and `end` take.
#[derive(Debug, Args)]
pub struct Declare {
    /// The event: its id under `events:` (`flood_response` or `flood-response`) or its name.
    pub name: String,
    /// The day (YYYY-MM-DD); default today.
    #[arg(long)]
    pub at: Option<String>,
    /// Who declares it (kept with the window).
    #[arg(long, default_value = "cli")]
    pub by: String,
}

pub(super) fn run(l: &Loaded, a: &EventArgs, today: Date, now: Timestamp) -> Result<(), CliError> {
    let cat = &l.catalog;
    let (d, start) = match &a.action {
        EventAction::List => return list(l),
        EventAction::Start(d) => (d, true),
        EventAction::End(d) => (d, false),
    };
    let on = match &d.at {
        Some(s) => parse::date(s).map_err(|e| CliError::Usage(format!("--at: {e}")))?,
        None => today,
    };
    // Check the name before touching the store: a typo is a usage error, whatever the store.
    events::resolve(cat, &d.name).map_err(refused)?;
    let mut store = super::open_store(l)?;
    let id = if start {
        events::start(store.as_mut(), cat, &d.name, on, &d.by, now)
    } else {
        events::end(store.as_mut(), cat, &d.name, on, &d.by, now)
    }
    .map_err(refused)?;
    let name = cat.events.get(&id).map_or(id.as_str(), |e| e.name.as_str());
    println!(
        "{} {id} ({name}) {} {on}",
        if start { "started" } else { "ended" },
        if start { "from" } else { "on" }
    );
    match plan::sync(store.as_mut(), l, now, false).map_err(CliError::Runtime)? {
        SyncOutcome::Synced(r) => println!(
            "plan synced: {} reminder(s) added, {} cancelled",
            r.added, r.cancelled
        ),
        SyncOutcome::Unchanged => println!("plan unchanged"),
    }
    Ok(())
}

fn refused(e: EventError) -> CliError {
    match e {
        EventError::Store(e) => super::runtime_err(e),
        e => CliError::Usage(e.to_string()),
    }
}

fn list(l: &Loaded) -> Result<(), CliError> {
    let store = super::open_store(l)?;
    let all = store.event_windows().map_err(super::runtime_err)?;
    if all.is_empty() {
        println!("no event has been declared");
    }
    for w in &all {
        println!("{}", line(l, w));
    }
    Ok(())
}

/// `flood_response (防汛应急响应)  2026-07-03 – under way  by 值班室`.
fn line(l: &Loaded, w: &DeclaredWindow) -> String {
    let name = l
        .catalog
        .events
        .get(&w.event)
        .map_or("not in the config", |e| e.name.as_str());
    let end = w
        .end
        .map_or_else(|| "under way".to_string(), |e| e.to_string());
    format!(
        "{} ({name})  {} – {end}  started by {}{}",
        w.event,
        w.start,
        w.started_by,
        w.ended_by
            .as_deref()
            .map(|b| format!(", ended by {b}"))
            .unwrap_or_default()
    )
}

/// The `status` section of events under way (empty when none is).
///
/// # Errors
/// A store error.
pub(super) fn status_lines(l: &Loaded, store: &dyn Store) -> Result<Vec<String>, CliError> {
    let open = events::open_windows(store).map_err(super::runtime_err)?;
    Ok(open.iter().map(|w| format!("  {}", line(l, w))).collect())
}
