//! `dutybell plan [--from DATE] [--to DATE | --days N] [--unit ID] [--task ID] [--json]`: the
//! occurrences and reminders of a date range, as a readable listing or JSON.
//!
//! May touch: stdout; the store only to read the run-time facts of `after:`/`during:` rules
//! (issue 14). The plan itself comes from `schedule::plan_tasks_facts` (pure).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use clap::Args;
use jiff::civil::Date;

use super::CliError;
use crate::catalog::{Catalog, parse};
use crate::loader::Loaded;
use crate::schedule::route::HEAD_SUFFIX;
use crate::schedule::{self, Occurrence, OccurrenceKind, Plan, Reminder};

/// Arguments of `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// First day (YYYY-MM-DD); default today.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD), inclusive.
    #[arg(long, conflicts_with = "days")]
    pub to: Option<String>,
    /// Number of days from `--from` (default 30).
    #[arg(long)]
    pub days: Option<u32>,
    /// Only reminders for this unit (and its head) and occurrences of its tasks.
    #[arg(long)]
    pub unit: Option<String>,
    /// Only this task.
    #[arg(long)]
    pub task: Option<String>,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Volume budget excesses printed before the rest are counted.
pub(super) const BUDGET_LINES: usize = 20;

pub(super) fn run(l: &Loaded, a: &PlanArgs, today: Date) -> Result<(), CliError> {
    let c = &l.catalog;
    let (from, to) = range(a, today)?;
    check_ids(c, a)?;
    // Issue 14: `after:` steps and `during:` windows exist only with the store's facts; a plan
    // without such rules never opens the store.
    let facts = if c.tasks.iter().any(schedule::PlanFacts::task_uses_facts) {
        let store = super::open_store(l)?;
        crate::service::events::facts(store.as_ref(), l).map_err(super::runtime_err)?
    } else {
        schedule::PlanFacts::default()
    };
    // `--task`: plan that task alone (its share of the whole plan is the same, and a big
    // catalog is not planned whole to print one task).
    let tasks: Vec<_> = match &a.task {
        Some(t) => c.tasks.iter().filter(|x| x.id == *t).collect(),
        None => c.tasks.iter().collect(),
    };
    let mut p = schedule::plan_tasks_facts(c, &l.calendar, tasks, from, to, &facts);
    filter(c, &mut p, a);
    // Issue 12: days on which a recipient would get more messages than the volume budget.
    for w in schedule::budget::warnings(c, &p, BUDGET_LINES) {
        eprintln!("warning: {w}");
    }
    if a.json {
        let text = serde_json::to_string_pretty(&p).map_err(|e| CliError::Runtime(e.into()))?;
        println!("{text}");
    } else {
        print!("{}", render(c, &l.calendar, &p, from, to));
    }
    Ok(())
}

fn range(a: &PlanArgs, today: Date) -> Result<(Date, Date), CliError> {
    let date = |s: &str| parse::date(s).map_err(CliError::Usage);
    let from = a.from.as_deref().map(date).transpose()?.unwrap_or(today);
    let to = match (&a.to, a.days) {
        (Some(t), _) => date(t)?,
        (None, Some(0)) => return Err(CliError::Usage("--days must be at least 1".into())),
        (None, days) => {
            let span = jiff::Span::new().days(i64::from(days.unwrap_or(30)) - 1);
            from.checked_add(span)
                .map_err(|e| CliError::Usage(format!("--days: {e}")))?
        }
    };
    if to < from {
        return Err(CliError::Usage(format!(
            "--to {to} is before --from {from}"
        )));
    }
    Ok((from, to))
}

fn check_ids(c: &Catalog, a: &PlanArgs) -> Result<(), CliError> {
    if let Some(u) = &a.unit
        && c.unit(u).is_none()
    {
        let hint = crate::config::diag::hint(u, c.units.iter().map(|u| u.id.as_str()));
        return Err(CliError::Usage(format!("unknown unit `{u}`{hint}")));
    }
    if let Some(t) = &a.task
        && c.task(t).is_none()
    {
        let hint = crate::config::diag::hint(t, c.tasks.iter().map(|t| t.id.as_str()));
        return Err(CliError::Usage(format!("unknown task `{t}`{hint}")));
    }
    Ok(())
}

/// Apply `--unit` and `--task`.
fn filter(c: &Catalog, p: &mut Plan, a: &PlanArgs) {
    if let Some(t) = &a.task {
        p.occurrences.retain(|o| &o.task_id == t);
        p.reminders.retain(|r| *r.task_id == **t);
    }
    if let Some(u) = &a.unit {
        let head = format!("{u}{HEAD_SUFFIX}");
        p.reminders
            .retain(|r| *r.recipient == **u || *r.recipient == *head);
        p.occurrences.retain(|o| {
            c.task(&o.task_id)
                .is_some_and(|t| c.role_of(t, u).is_some())
        });
    }
}

/// The human listing: warnings, occurrences, then reminders by day with recipients of the same
/// stage and channel on one line.
/// The plan as text: a header, the occurrences, then the reminders day by day. A day in a year
/// without the State Council's holiday notice says `(provisional)`: its working days are
/// weekdays only until `dutybell calendar import-notice` adds the year.
pub fn render(
    c: &Catalog,
    cal: &crate::calendar::WorkCalendar,
    p: &Plan,
    from: Date,
    to: Date,
) -> String {
    let mut s = format!(
        "plan {from} .. {to} ({}): {} occurrences, {} reminders, {} warning(s)\n",
        c.settings.timezone,
        p.occurrences.len(),
        p.reminders.len(),
        p.warnings.len()
    );
    for w in &p.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    s.push_str("\n== occurrences (key, window, due, period, why) ==\n");
    for o in &p.occurrences {
        s.push_str(&occurrence_line(o));
    }
    s.push_str("\n== reminders (time, colour, stage, occurrence, channel: recipients; why) ==\n");
    let mut day = None;
    for line in groups(&p.reminders) {
        let r = line.reminders[0];
        if day != Some(r.date) {
            day = Some(r.date);
            let provisional = if cal.covers_year(r.date.year()) {
                ""
            } else {
                " (provisional: no holiday notice for this year yet)"
            };
            s.push_str(&format!(
                "-- {} --{provisional}\n",
                r.date.strftime("%a %Y-%m-%d")
            ));
        }
        s.push_str(&reminder_line(c, &line));
    }
    s
}

fn occurrence_line(o: &Occurrence) -> String {
    let kind = match o.kind {
        OccurrenceKind::Deadline => "deadline",
        OccurrenceKind::Campaign => "campaign",
        OccurrenceKind::Checkin => "checkin",
    };
    let window = if o.window_start == o.window_end {
        o.window_start.to_string()
    } else {
        format!("{}..{}", o.window_start, o.window_end)
    };
    let why = if o.why.is_empty() {
        String::new()
    } else {
        format!("; {}", o.why.join("; "))
    };
    format!(
        "{} [{kind}] {window} due {} {}{why}\n",
        o.key,
        o.due.strftime("%a %Y-%m-%d"),
        o.period_label
    )
}

/// One output line: occurrences that share instant, stage, channel, recipients and reason.
struct Line<'a> {
    occurrences: Vec<&'a str>,
    reminders: Vec<&'a Reminder>,
}

/// Reminders of one instant, grouped per occurrence, stage and channel, then merged across
/// occurrences whose line would otherwise repeat word for word.
///
/// Both steps look groups up in a map (keeping first-seen order in the vectors), so an instant
/// shared by many reminders costs linear time: with 10,000 tasks a year's listing has instants
/// with tens of thousands of reminders, and the linear scans made it quadratic (~100 s).
fn groups(rs: &[Reminder]) -> Vec<Line<'_>> {
    let mut out: Vec<Line<'_>> = Vec::new();
    let mut i = 0;
    while i < rs.len() {
        let at = rs[i].at;
        let j = i + rs[i..].iter().take_while(|x| x.at == at).count();
        let mut stage_groups: Vec<Vec<&Reminder>> = Vec::new();
        let mut by_key: HashMap<(&str, &str, &str), usize> = HashMap::new();
        for x in &rs[i..j] {
            let key = (&*x.occurrence_key, &*x.stage, &*x.channel);
            match by_key.entry(key) {
                Entry::Occupied(e) => stage_groups[*e.get()].push(x),
                Entry::Vacant(e) => {
                    e.insert(stage_groups.len());
                    stage_groups.push(vec![x]);
                }
            }
        }
        let mut by_sig: HashMap<Signature<'_>, usize> = HashMap::new();
        for g in stage_groups {
            match by_sig.entry(signature(&g)) {
                Entry::Occupied(e) => out[*e.get()].occurrences.push(&g[0].occurrence_key),
                Entry::Vacant(e) => {
                    e.insert(out.len());
                    out.push(Line {
                        occurrences: vec![&g[0].occurrence_key],
                        reminders: g,
                    });
                }
            }
        }
        i = j;
    }
    out
}

/// Stage, channel, reason and the (recipient, supporting) list of a group, borrowed.
type Signature<'a> = (&'a str, &'a str, &'a str, Vec<(&'a str, bool)>);

/// What must be equal for two occurrences to share a line (the reason's due date included).
fn signature<'a>(g: &[&'a Reminder]) -> Signature<'a> {
    let r = g[0];
    let who = g.iter().map(|x| (&*x.recipient, x.supporting)).collect();
    (&r.stage, &r.channel, &r.why, who)
}

fn reminder_line(c: &Catalog, l: &Line<'_>) -> String {
    let r = l.reminders[0];
    let time = r.at.to_zoned_datetime(tz(c)).strftime("%H:%M").to_string();
    // Responsible units first, then the supporting ones; otherwise in plan order.
    let mut rs = l.reminders.clone();
    rs.sort_by_key(|x| x.supporting);
    let who: Vec<String> = rs.iter().map(|x| recipient_name(c, x)).collect();
    format!(
        "{time} {} {} {} → {}: {}; {}\n",
        r.colour.zh(),
        r.stage,
        l.occurrences.join(" "),
        r.channel,
        who.join("、"),
        r.why
    )
}

fn tz(c: &Catalog) -> jiff::tz::TimeZone {
    c.settings.tz.tz().clone()
}

/// `餐饮室`, `餐饮室负责人`, `城关南区市场监管所(配合)`.
fn recipient_name(c: &Catalog, r: &Reminder) -> String {
    match r.recipient.strip_suffix(HEAD_SUFFIX) {
        Some(u) => format!("{}负责人", c.name_of(u)),
        None if r.supporting => format!("{}(配合)", c.name_of(&r.recipient)),
        None => c.name_of(&r.recipient).to_string(),
    }
}
