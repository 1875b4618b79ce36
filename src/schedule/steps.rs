//! Occurrences that exist only because of something reported or declared at run time:
//! `after:` steps (due N days after the step they follow was reported done) and `during:` duties
//! (repeated inside the windows of an event the office declares, `dutybell event start`).
//!
//! Pure: the run-time facts come in as [`PlanFacts`] (read from the store by the service), so
//! planning with the same facts gives the same plan, and a new fact re-plans.

use std::collections::BTreeMap;

use jiff::civil::Date;

use super::expand::{Base, year_window};
use super::{Draft, DueOverrides, why};
use crate::calendar::{Offset, WorkCalendar};
use crate::catalog::{Catalog, RuleForm, Task};
use crate::schedule::OccurrenceKind;

/// One declared window of an event: from `start` to `end` inclusive (`None`: still open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventWindow {
    /// First day of the window (the day the office declared it).
    pub start: Date,
    /// Last day of the window; `None` while the event is still under way.
    pub end: Option<Date>,
}

/// The run-time facts a plan depends on besides the configuration: granted 延期, steps reported
/// done (with the day of the report) and the declared event windows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PlanFacts {
    /// Due dates moved by a granted 延期.
    pub overrides: DueOverrides,
    /// Occurrence key → the local day it was reported done (first report wins).
    pub steps_done: BTreeMap<String, Date>,
    /// Declared event id → its windows, oldest first.
    pub windows: BTreeMap<String, Vec<EventWindow>>,
}

impl PlanFacts {
    /// Facts holding only granted 延期.
    pub fn with_overrides(overrides: DueOverrides) -> PlanFacts {
        PlanFacts {
            overrides,
            ..PlanFacts::default()
        }
    }

    /// True when a task's plan can depend on these facts beyond 延期 (it has `after:` or
    /// `during:` rules).
    pub fn task_uses_facts(task: &Task) -> bool {
        task.rules
            .iter()
            .any(|r| matches!(r.form, RuleForm::After { .. } | RuleForm::During { .. }))
    }
}

/// The occurrences of a `during:` rule: every `every` from each window's first day to its last
/// (an open window runs to the end of the planned years). Keys `{task}@{event}-{date}`.
pub(crate) fn during<'a>(
    cat: &Catalog,
    cal: &WorkCalendar,
    b: &Base<'a>,
    (event, every): (&str, Offset),
    facts: &PlanFacts,
    years: (i16, i16),
) -> Vec<Draft<'a>> {
    let name = cat.events.get(event).map_or(event, |e| e.name.as_str());
    let (first, last) = (year_window(years.0).0, year_window(years.1).1);
    let mut out = Vec::new();
    for w in facts.windows.get(event).into_iter().flatten() {
        let end = w.end.unwrap_or(last).min(last);
        let mut d = match every {
            // Working-day cadence: the first report is due on the first working day of the window.
            Offset::Workdays(_) if !cal.is_workday(w.start) => cal.next_workday(w.start),
            _ => w.start,
        };
        let since = match w.end {
            Some(e) => format!("declared {} to {e}", w.start),
            None => format!("declared since {}, still open", w.start),
        };
        while d <= end {
            if d >= first {
                out.push(b.draft(
                    OccurrenceKind::Deadline,
                    format!("{event}-{d}"),
                    format!("{name}期间 {}", why::zh_date(d)),
                    (d, d),
                    d,
                    vec![format!(
                        "every {} while {event} ({name}) is under way ({since})",
                        why::offset_text(every)
                    )],
                ));
            }
            let next = cal.apply(d, every);
            if next <= d {
                break;
            }
            d = next;
        }
    }
    out
}

/// Fills the sequences of the task's `after:` rules from the occurrences of the steps they
/// follow: each step occurrence reported done on day D gets one follow-up due `within` after D,
/// keyed `{step key}-then`. Chains (a step after a step) are filled in order, one pass per link.
pub(crate) fn follow<'a>(
    cal: &WorkCalendar,
    task: &'a Task,
    seqs: &mut [Vec<Draft<'a>>],
    facts: &PlanFacts,
    suffixes: &[String],
) {
    let named: BTreeMap<&str, usize> = task
        .rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.name.as_deref().map(|n| (n, i)))
        .collect();
    // Validation refuses loops, so `rules.len()` passes fill every chain.
    for _ in 0..task.rules.len() {
        for (i, rule) in task.rules.iter().enumerate() {
            let RuleForm::After { step, within } = &rule.form else {
                continue;
            };
            let Some(&j) = named.get(step.as_str()) else {
                continue;
            };
            let base = Base {
                task,
                index: Some(i),
                rule: Some(rule),
            };
            let made: Vec<Draft<'a>> = seqs[j]
                .iter()
                .filter_map(|s| {
                    let done = *facts.steps_done.get(&s.occ.key)?;
                    let mut d = then(cal, &base, s, (step, *within), done);
                    d.occ
                        .key
                        .push_str(suffixes.get(i).map_or("", String::as_str));
                    let inside = rule.since.is_none_or(|x| d.occ.window_end >= x)
                        && rule.until.is_none_or(|u| d.occ.window_start <= u);
                    inside.then_some(d)
                })
                .collect();
            seqs[i] = made;
        }
    }
}

/// The follow-up of step occurrence `s`, reported done on `done`.
fn then<'a>(
    cal: &WorkCalendar,
    b: &Base<'a>,
    s: &Draft<'_>,
    (step, within): (&str, Offset),
    done: Date,
) -> Draft<'a> {
    let mut why = vec![format!(
        "{} after step {step} ({}) was reported done on {}",
        why::offset_text(within),
        s.occ.key,
        why::short(done)
    )];
    let raw = cal.apply(done, within);
    let shift = b.rule.map(|r| r.shift).unwrap_or_default();
    // A working-day count lands on a working day; a calendar-day one may need the usual shift.
    let due = match within {
        Offset::Workdays(_) => raw,
        Offset::Days(_) => why::shifted(cal, raw, shift, &mut why),
    };
    let key = s.occ.key.split_once('@').map_or("", |(_, p)| p);
    b.draft(
        OccurrenceKind::Deadline,
        format!("{key}-then"),
        format!("{}后", s.occ.period_label),
        (done, due.max(done)),
        due.max(done),
        why,
    )
}
