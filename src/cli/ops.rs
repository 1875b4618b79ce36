//! Operating commands against the database (the daemon need not be stopped): `status`,
//! `outbox [--state S] [retry ID]`, `progress TASK --note TEXT [--done] [--by NAME] [--occurrence KEY]`.

use clap::{Args, Subcommand};
use jiff::Timestamp;

use super::CliError;
use crate::loader::Loaded;
use crate::store::{NewProgress, OccurrenceFilter, OutboxState, ProgressSource, Store};

/// `outbox` arguments.
#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// Only rows in this state (pending, sending, sent, retry, dead, cancelled, skipped).
    #[arg(long)]
    pub state: Option<String>,
    /// Most rows to list.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Sub-command.
    #[command(subcommand)]
    pub action: Option<OutboxAction>,
}

/// `outbox` sub-commands.
#[derive(Debug, Subcommand)]
pub enum OutboxAction {
    /// Make a dead, retry or skipped row due now.
    Retry {
        /// Outbox row id.
        id: i64,
    },
}

/// `progress` arguments.
#[derive(Debug, Args)]
pub struct ProgressArgs {
    /// Task id, e.g. 4.2.
    pub task: String,
    /// The progress note (进展情况).
    #[arg(long)]
    pub note: String,
    /// Mark the occurrence done: its remaining reminders are cancelled.
    #[arg(long)]
    pub done: bool,
    /// Who reports.
    #[arg(long, default_value = "")]
    pub by: String,
    /// Occurrence key (default: the task's occurrence under way today).
    #[arg(long)]
    pub occurrence: Option<String>,
}

fn open(l: &Loaded) -> Result<Store, CliError> {
    Store::open(&l.catalog.settings.database).map_err(|e| {
        CliError::Runtime(anyhow::anyhow!(
            "cannot open {}: {e}",
            l.catalog.settings.database.display()
        ))
    })
}

fn rt(e: impl std::fmt::Display) -> CliError {
    CliError::Runtime(anyhow::anyhow!("{e}"))
}

fn local(l: &Loaded, t: Timestamp) -> String {
    let tz =
        jiff::tz::TimeZone::get(&l.catalog.settings.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    t.to_zoned_datetime(tz)
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

pub(super) fn status(l: &Loaded, now: Timestamp) -> Result<(), CliError> {
    let store = open(l)?;
    let r = store.status(now).map_err(rt)?;
    let counts: Vec<String> = r
        .counts
        .iter()
        .map(|(s, n)| format!("{} {n}", s.as_str()))
        .collect();
    println!(
        "outbox: {}",
        if counts.is_empty() {
            "empty".into()
        } else {
            counts.join(", ")
        }
    );
    println!("due now: {}", r.due_now);
    match r.next_wakeup {
        Some(t) => println!("next wake-up: {}", local(l, t)),
        None => println!("next wake-up: nothing waiting"),
    }
    println!("\nnext reminders:");
    for i in &r.next_pending {
        println!(
            "  {}  {:<6} {:<12} {:<10} {}",
            local(l, i.next_attempt_at),
            i.task_id,
            i.stage,
            i.channel,
            l.catalog
                .name_of(i.recipient.split('#').next().unwrap_or(""))
        );
    }
    if !r.recent_failures.is_empty() {
        println!("\nrecent failures:");
        for d in &r.recent_failures {
            println!(
                "  {}  row {} attempt {}: {}",
                local(l, d.at),
                d.outbox_id,
                d.attempt,
                d.detail
            );
        }
    }
    if !r.dead.is_empty() {
        println!("\ndead (retry with `dutybell outbox retry ID`):");
        for i in &r.dead {
            println!(
                "  #{}  {} {} {} → {}: {}",
                i.id,
                i.task_id,
                i.stage,
                i.recipient,
                i.channel,
                i.last_error.as_deref().unwrap_or("")
            );
        }
    }
    Ok(())
}

pub(super) fn outbox(l: &Loaded, a: &OutboxArgs, now: Timestamp) -> Result<(), CliError> {
    let mut store = open(l)?;
    if let Some(OutboxAction::Retry { id }) = a.action {
        store.retry_now(id, now).map_err(rt)?;
        println!("row {id} is due now");
        return Ok(());
    }
    let state = match &a.state {
        Some(s) => Some(OutboxState::parse(s).map_err(|_| {
            CliError::Usage(format!(
                "unknown state `{s}`; expected one of: {}",
                OutboxState::ALL
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?),
        None => None,
    };
    for i in store.list_outbox(state, a.limit).map_err(rt)? {
        println!(
            "#{:<6} {:<9} {}  {:<6} {:<14} {:<22} {:<10} attempts {}{}",
            i.id,
            i.state.as_str(),
            local(l, i.fire_at),
            i.task_id,
            i.stage,
            i.recipient,
            i.channel,
            i.attempts,
            i.last_error
                .as_deref()
                .map(|e| format!("  ({e})"))
                .unwrap_or_default()
        );
    }
    Ok(())
}

pub(super) fn progress(l: &Loaded, a: &ProgressArgs, now: Timestamp) -> Result<(), CliError> {
    if l.catalog.task(&a.task).is_none() {
        let hint =
            crate::config::diag::hint(&a.task, l.catalog.tasks.iter().map(|t| t.id.as_str()));
        return Err(CliError::Usage(format!("unknown task `{}`{hint}", a.task)));
    }
    let mut store = open(l)?;
    let tz =
        jiff::tz::TimeZone::get(&l.catalog.settings.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = now.to_zoned_datetime(tz).date();
    let occurrence = match &a.occurrence {
        Some(k) => Some(k.clone()),
        None => {
            let filter = OccurrenceFilter {
                task_id: Some(a.task.clone()),
                ..OccurrenceFilter::default()
            };
            let occs = store.occurrences(&filter).map_err(rt)?;
            crate::progress_csv::current_open(&occs, &a.task, today).map(|o| o.key.clone())
        }
    };
    if a.done && occurrence.is_none() {
        return Err(CliError::Usage(format!(
            "task {} has no occurrence under way on {today}; name one with --occurrence",
            a.task
        )));
    }
    let id = store
        .add_progress(
            NewProgress {
                task_id: a.task.clone(),
                occurrence_key: occurrence.clone(),
                note: a.note.clone(),
                by_name: a.by.clone(),
                done: a.done,
                source: ProgressSource::Cli,
            },
            now,
        )
        .map_err(rt)?;
    let occ = occurrence.map(|k| format!(" for {k}")).unwrap_or_default();
    let done = if a.done {
        "; marked done, its remaining reminders are cancelled"
    } else {
        ""
    };
    println!("recorded progress note #{id} on task {}{occ}{done}", a.task);
    Ok(())
}
