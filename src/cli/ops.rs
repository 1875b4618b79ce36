//! Operating commands against the database (the daemon need not be stopped): `status`,
//! `outbox [--state S] [retry ID]`, `progress TASK --note TEXT [--done] [--by NAME] [--occurrence KEY]`.

use clap::{Args, Subcommand};
use jiff::Timestamp;

use super::CliError;
use crate::loader::Loaded;
use crate::service::progress::{self, Report, ReportError};
use crate::store::{OutboxState, ProgressSource};

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

fn rt(e: crate::store::StoreError) -> CliError {
    super::runtime_err(e)
}

fn local(l: &Loaded, t: Timestamp) -> String {
    t.to_zoned_datetime(l.catalog.settings.tz.tz().clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

pub(super) fn status(l: &Loaded, now: Timestamp) -> Result<(), CliError> {
    let store = super::open_store(l)?;
    let r = store.status(now).map_err(rt)?;
    // Issue 14: events the office declared and has not ended yet.
    let events = super::event::status_lines(l, store.as_ref())?;
    if !events.is_empty() {
        println!("events under way:");
        for e in &events {
            println!("{e}");
        }
    }
    if r.counts.iter().all(|(_, n)| *n == 0) {
        println!(
            "nothing planned yet in {}: run `dutybell run` (or `dutybell simulate --from … --to …` \
             to see a year without sending)",
            l.catalog.settings.store
        );
        return Ok(());
    }
    let replicas = store.replicas().map_err(rt)?;
    if !replicas.is_empty() {
        println!("replicas ({} live):", replicas.len());
        for r in &replicas {
            println!(
                "  {}{}  dutybell {}  plan {} (gen {})  last heartbeat {}",
                r.owner,
                if r.leader { " [leader]" } else { "" },
                r.version,
                r.plan_hash,
                r.plan_gen,
                local(l, r.last_seen)
            );
        }
    }
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
    let today = now
        .to_zoned_datetime(l.catalog.settings.tz.tz().clone())
        .date();
    let years = l.calendar.covered_years();
    let missing = l.calendar.years_to_warn(today);
    match (years.first(), years.last(), missing.is_empty()) {
        (Some(a), Some(b), true) => println!("calendar: holiday data {a}–{b}"),
        (a, b, _) => println!(
            "calendar: holiday data {}–{}; {}",
            a.map(i16::to_string).unwrap_or_default(),
            b.map(i16::to_string).unwrap_or_default(),
            l.calendar.uncovered_warning(&missing)
        ),
    }
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
    let mut store = super::open_store(l)?;
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
    let mut store = super::open_store(l)?;
    let today = now
        .to_zoned_datetime(l.catalog.settings.tz.tz().clone())
        .date();
    let report = Report {
        task: a.task.clone(),
        occurrence: a.occurrence.clone(),
        note: a.note.clone(),
        by: a.by.clone(),
        done: a.done,
        source: ProgressSource::Cli,
    };
    let (id, occurrence) = match progress::report(store.as_mut(), &report, today, now) {
        Ok(r) => r,
        Err(e @ (ReportError::Ambiguous { .. } | ReportError::NothingUnderWay { .. })) => {
            return Err(CliError::Usage(e.to_string()));
        }
        Err(ReportError::Store(e)) => return Err(rt(e)),
    };
    let occ = occurrence.map(|k| format!(" for {k}")).unwrap_or_default();
    let done = if a.done {
        "; marked done, its remaining reminders are cancelled"
    } else {
        ""
    };
    println!("recorded progress note #{id} on task {}{occ}{done}", a.task);
    Ok(())
}
