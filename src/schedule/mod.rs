//! Scheduling: from the catalog and the working-day calendar, every occurrence of every duty in a
//! date range and every reminder for it (when, to whom, over which channel, which stage, why).
//!
//! Pure: no clock, no I/O. [`plan`] takes the range; callers decide what "now" is.
//!
//! Layout: `expand` (yearly and multi-year rule forms), `periodic` (half-yearly … cron),
//! `checkin` (check-ins and task deadlines), `ladder` (reminder stages per occurrence), `route`
//! (recipients and channels), `why` (explanations), `budget` (messages per recipient and day
//! against the volume budget). See docs/SCHEDULE.md.

pub mod budget;
mod checkin;
mod expand;
mod holidays;
mod ladder;
mod periodic;
pub mod route;
mod steps;
mod types;
mod why;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::calendar::WorkCalendar;
use crate::catalog::{Catalog, Ladder, RuleForm, Task};
use crate::model::SharedStr;

pub use steps::{EventWindow, PlanFacts};
pub use types::*;

/// One generated occurrence before its reminders are computed.
#[derive(Debug, Clone)]
pub(crate) struct Draft<'a> {
    /// The occurrence as it will be published.
    pub occ: Occurrence,
    /// The ladder that applies (rule ladder, or the task ladder for check-ins and deadlines).
    pub ladder: &'a Ladder,
    /// Campaign opening day (leads count back from it); `None` for deadlines and check-ins.
    pub opens: Option<Date>,
    /// Every-N-years periods also get the midpoint and 90-days-before reminders.
    pub long_period: bool,
    /// Warning for an event that fell back to its default date.
    pub warning: Option<String>,
}

/// The years generated around `[from, to]`: one year of margin on both sides covers lead
/// reminders before an early due date and overdue repeats after a late one.
pub(crate) fn year_span(from: Date, to: Date) -> (i16, i16) {
    (from.year().saturating_sub(1), to.year().saturating_add(1))
}

/// Everything planned for `[from, to]` (inclusive): every occurrence whose window or reminders
/// touch the range and every reminder whose date is in it, in deterministic order.
///
/// Each occurrence's reminders depend only on the occurrence and its neighbours of the same rule,
/// never on the range, so `plan(a..c)` equals the union of `plan(a..b)` and `plan(b+1..c)`.
pub fn plan(cat: &Catalog, cal: &WorkCalendar, from: Date, to: Date) -> Plan {
    plan_tasks(cat, cal, &cat.tasks, from, to)
}

/// [`plan`] for some of the catalog's tasks only: rendering a reminder at send time re-plans its
/// one task around the reminder's date instead of holding the whole plan in memory.
pub fn plan_tasks<'a>(
    cat: &'a Catalog,
    cal: &WorkCalendar,
    tasks: impl IntoIterator<Item = &'a Task>,
    from: Date,
    to: Date,
) -> Plan {
    plan_tasks_with(cat, cal, tasks, from, to, &DueOverrides::new())
}

/// Due dates moved by a granted 延期 (occurrence key → new due date), which the planner honours:
/// the occurrence keeps its key and stages, and its ladder is computed from the new date.
pub type DueOverrides = std::collections::BTreeMap<String, Date>;

/// [`plan_tasks`] honouring `overrides` (a granted 延期 moves an occurrence's due date).
pub fn plan_tasks_with<'a>(
    cat: &'a Catalog,
    cal: &WorkCalendar,
    tasks: impl IntoIterator<Item = &'a Task>,
    from: Date,
    to: Date,
    overrides: &DueOverrides,
) -> Plan {
    plan_tasks_facts(
        cat,
        cal,
        tasks,
        from,
        to,
        &PlanFacts::with_overrides(overrides.clone()),
    )
}

/// [`plan_tasks`] with every run-time fact: granted 延期, steps reported done (`after:` rules)
/// and declared event windows (`during:` rules).
pub fn plan_tasks_facts<'a>(
    cat: &'a Catalog,
    cal: &WorkCalendar,
    tasks: impl IntoIterator<Item = &'a Task>,
    from: Date,
    to: Date,
    facts: &PlanFacts,
) -> Plan {
    let mut out = Plan::default();
    out.warnings = plan_each(cat, cal, tasks, from, to, facts, |task| {
        out.occurrences.extend(task.occurrences);
        out.reminders.extend(task.reminders);
    });
    sort_occurrences(&mut out.occurrences);
    // Each task's reminders are already without repeats (a repeat has its task's id).
    sort_reminders(&mut out.reminders);
    out
}

/// Plans task by task: `each` receives every task's share of the plan (its occurrences and
/// reminders, each in [`plan`]'s order; no warnings) as soon as it is planned, so a caller that
/// consumes them in turn never holds more than one task's. [`plan_tasks_facts`] is this followed
/// by a merge. Returns the warnings of the whole plan.
pub fn plan_each<'a>(
    cat: &'a Catalog,
    cal: &WorkCalendar,
    tasks: impl IntoIterator<Item = &'a Task>,
    from: Date,
    to: Date,
    facts: &PlanFacts,
    mut each: impl FnMut(Plan),
) -> Vec<String> {
    let (from, to) = if from <= to { (from, to) } else { (to, from) };
    let tz = cat.settings.tz.tz().clone();
    let mut warnings = BTreeSet::new();
    let router = route::Router::new(cat);
    for task in tasks {
        let units = router.task_units(task);
        let task_id: SharedStr = task.id.as_str().into();
        let mut out = Plan::default();
        for seq in task_sequences(cat, cal, task, from, to, facts) {
            let ctx = SeqCtx {
                router: &router,
                units: &units,
                task_id: &task_id,
                cal,
                tz: &tz,
            };
            plan_sequence(&ctx, &seq, (from, to), &mut out, &mut warnings);
        }
        sort_occurrences(&mut out.occurrences);
        sort_task_reminders(&mut out.reminders);
        dedupe_sorted(&mut out.reminders);
        each(out);
    }
    let mut out = Vec::new();
    let missing = cal.uncovered_years(from, to);
    if !missing.is_empty() {
        out.push(cal.uncovered_warning(&missing));
    }
    out.extend(warnings);
    out
}

/// The occurrence sequences of one task: one per rule, plus check-ins and the deadline.
/// Sorts reminders by instant, task id, occurrence key and stage name, keeping the order of
/// equals: recipients of one stage stay in the order routing gives them (leads, then cooperating
/// units in the source's order), not sorted by id.
///
/// How: each distinct task id, occurrence key and stage name gets its rank in string order
/// (tens of thousands of strings, not millions), and the reminders' positions are sorted on
/// integer keys, then the reminders are moved once. Sorting the reminders themselves compared
/// strings ~21 times per reminder and moved ~200-byte structs around: a third of all planning
/// instructions for 10,000 duties.
pub(crate) fn sort_reminders(v: &mut Vec<Reminder>) {
    let keys = {
        let (mut task, mut occ, mut stage) = (
            Interner::default(),
            Interner::default(),
            Interner::default(),
        );
        let slots: Vec<[u32; 3]> = v
            .iter()
            .map(|r| {
                [
                    task.slot(&r.task_id),
                    occ.slot(&r.occurrence_key),
                    stage.slot(&r.stage),
                ]
            })
            .collect();
        let (task, occ, stage) = (task.ranks(), occ.ranks(), stage.ranks());
        let rank = |ranks: &[u32], slot: u32| ranks.get(slot as usize).copied().unwrap_or(0);
        let mut keys: Vec<(u128, u64, u64)> = v
            .iter()
            .zip(slots)
            .zip(0u32..)
            .map(|((r, [t, o, s]), i)| {
                // Primitive keys: the instant in nanoseconds (biased to unsigned), the task's and
                // the occurrence's ranks, the stage's rank and the position.
                let at = (r.at.as_nanosecond() as u128) ^ (1 << 127);
                let task_occ = (u64::from(rank(&task, t)) << 32) | u64::from(rank(&occ, o));
                let stage_pos = (u64::from(rank(&stage, s)) << 32) | u64::from(i);
                (at, task_occ, stage_pos)
            })
            .collect();
        // The position is the last key: an unstable sort keeps the order of equals.
        keys.sort_unstable();
        keys
    };
    let mut slots: Vec<Option<Reminder>> = std::mem::take(v).into_iter().map(Some).collect();
    v.extend(
        keys.into_iter()
            .filter_map(|(.., pos)| slots.get_mut(pos as u32 as usize).and_then(Option::take)),
    );
}

/// Occurrences by due date, then key, each key once.
fn sort_occurrences(v: &mut Vec<Occurrence>) {
    v.sort_by(|a, b| (a.due, &a.key).cmp(&(b.due, &b.key)));
    v.dedup_by(|a, b| a.key == b.key);
}

/// [`sort_reminders`] for the reminders of one task: by instant, occurrence key and stage name,
/// keeping the order of equals. A task has a few hundred reminders, mostly generated in time
/// order, whose occurrence keys and stage names are shared strings: a stable sort that compares
/// them (equal pointers first) is cheaper than interning them.
pub(crate) fn sort_task_reminders(v: &mut [Reminder]) {
    let shared = SharedStr::cmp_shared;
    v.sort_by(|a, b| {
        a.at.cmp(&b.at)
            .then_with(|| shared(&a.task_id, &b.task_id))
            .then_with(|| shared(&a.occurrence_key, &b.occurrence_key))
            .then_with(|| shared(&a.stage, &b.stage))
    });
}

/// Distinct strings, each with a slot in first-seen order, and later their ranks in string
/// order (for [`sort_reminders`]).
#[derive(Default)]
struct Interner<'a> {
    slots: foldhash::HashMap<&'a str, u32>,
    strings: Vec<&'a str>,
}

impl<'a> Interner<'a> {
    /// The slot of `s`, new if unseen.
    fn slot(&mut self, s: &'a str) -> u32 {
        let next = u32::try_from(self.strings.len()).unwrap_or(u32::MAX);
        *self.slots.entry(s).or_insert_with(|| {
            self.strings.push(s);
            next
        })
    }

    /// Each slot's rank in string order.
    fn ranks(self) -> Vec<u32> {
        let mut order: Vec<u32> =
            (0..u32::try_from(self.strings.len()).unwrap_or(u32::MAX)).collect();
        order.sort_unstable_by_key(|&i| self.strings[i as usize]);
        let mut ranks = vec![0; order.len()];
        for (rank, slot) in (0u32..).zip(order) {
            ranks[slot as usize] = rank;
        }
        ranks
    }
}

/// Drops repeated reminders (the same task, occurrence, stage, recipient and channel: one
/// outbox key), keeping the first, in reminders sorted by instant, task, occurrence and stage.
/// An occurrence and a stage fix the instant, so a reminder's repeats are in its run of equal
/// (instant, task, occurrence, stage), among a stage's few recipients. Before, a set of every
/// `dedupe_key()` string did this: 1.9 million strings for 10,000 duties.
pub(crate) fn dedupe_sorted(v: &mut Vec<Reminder>) {
    let same_run = |a: &Reminder, b: &Reminder| {
        (a.at, &a.task_id, &a.occurrence_key, &a.stage)
            == (b.at, &b.task_id, &b.occurrence_key, &b.stage)
    };
    // `v[..kept]` is the result so far; `run` is where its last run starts.
    let (mut kept, mut run) = (0, 0);
    for i in 0..v.len() {
        if kept > 0 && !same_run(&v[run], &v[i]) {
            run = kept;
        }
        let repeat = v[run..kept]
            .iter()
            .any(|k| k.recipient == v[i].recipient && k.channel == v[i].channel);
        if !repeat {
            v.swap(kept, i);
            kept += 1;
        }
    }
    v.truncate(kept);
}

/// Each sequence is sorted by due date, so neighbours bound each other's ladders.
fn task_sequences<'a>(
    cat: &'a Catalog,
    cal: &WorkCalendar,
    task: &'a Task,
    from: Date,
    to: Date,
    facts: &PlanFacts,
) -> Vec<Vec<Draft<'a>>> {
    let overrides = &facts.overrides;
    let years = year_span(from, to);
    let mut seqs = Vec::new();
    let mut classes: Vec<String> = Vec::new();
    let mut suffixes: Vec<String> = Vec::new();
    for (i, rule) in task.rules.iter().enumerate() {
        let class = expand::key_class(&rule.form);
        // A second rule of the same key family gets `-r{i}` so keys stay unique.
        let suffix = if classes.contains(&class) {
            format!("-r{i}")
        } else {
            String::new()
        };
        classes.push(class);
        suffixes.push(suffix.clone());
        let mut seq = match &rule.form {
            // Filled by `steps::follow` once every step's occurrences are known.
            RuleForm::After { .. } => Vec::new(),
            RuleForm::During { event, every } => {
                let base = expand::Base {
                    task,
                    index: Some(i),
                    rule: Some(rule),
                };
                steps::during(cat, cal, &base, (event, *every), facts, years)
            }
            _ => expand::expand_rule(cat, cal, task, i, rule, years),
        };
        // Recurrence bounds keep the periods that overlap [since, until].
        seq.retain(|d| {
            rule.since.is_none_or(|s| d.occ.window_end >= s)
                && rule.until.is_none_or(|u| d.occ.window_start <= u)
        });
        for d in &mut seq {
            d.occ.key.push_str(&suffix);
        }
        seqs.push(seq);
    }
    steps::follow(cal, task, &mut seqs, facts, &suffixes);
    seqs.extend(checkin::checkins(cat, cal, task, years));
    if let Some(deadline) = checkin::deadline(cal, task) {
        // A deadline on the day a rule of the task is due (a campaign closing on it, the task's
        // own `once`) is that rule's due day: one due reminder, the rule's.
        let due = deadline.first().map(|d| d.occ.due);
        let same = seqs
            .iter_mut()
            .flat_map(|s| s.iter_mut())
            .find(|d| Some(d.occ.due) == due && d.occ.rule_index.is_some());
        match same {
            Some(d) => d.occ.why.push("also the task deadline (完成时限)".into()),
            None => seqs.push(deadline),
        }
    }
    for seq in &mut seqs {
        for d in seq.iter_mut() {
            if let Some(&due) = overrides.get(&d.occ.key) {
                d.occ.why.push(format!(
                    "due moved from {} to {due} (延期 granted)",
                    d.occ.due
                ));
                d.occ.due = due;
                d.occ.window_end = d.occ.window_end.max(due);
            }
        }
        seq.sort_by(|a, b| (a.occ.due, &a.occ.key).cmp(&(b.occ.due, &b.occ.key)));
    }
    seqs
}

/// What planning one sequence needs besides the sequence.
struct SeqCtx<'a> {
    router: &'a route::Router<'a>,
    units: &'a route::TaskUnits,
    /// The task's id, shared by its reminders.
    task_id: &'a SharedStr,
    cal: &'a WorkCalendar,
    tz: &'a TimeZone,
}

/// Ladders for one sequence; keeps what touches the range.
fn plan_sequence(
    ctx: &SeqCtx<'_>,
    seq: &[Draft<'_>],
    (from, to): (Date, Date),
    out: &mut Plan,
    warnings: &mut BTreeSet<String>,
) {
    for (i, d) in seq.iter().enumerate() {
        // Cheap skip: nothing of this occurrence can reach the range.
        if d.occ.window_end < from.saturating_sub(jiff::Span::new().days(400))
            || d.occ.window_start > to.saturating_add(jiff::Span::new().days(800))
        {
            continue;
        }
        let prev = i.checked_sub(1).map(|p| seq[p].occ.due);
        let next = seq.get(i + 1).map(|n| n.occ.due);
        // Every stage of this ladder lies after the previous due date and before the next one
        // (see `ladder::stages`), so neighbours bound it: a draft whose neighbours are both on one
        // side of the range contributes nothing unless its own window overlaps the range. This
        // keeps planning one task for one day (rendering at send time) to a few ladders.
        let window_touches = d.occ.window_start <= to && d.occ.window_end >= from;
        if !window_touches && (next.is_some_and(|n| n < from) || prev.is_some_and(|p| p > to)) {
            continue;
        }
        let stages = ladder::stages(ctx.cal, d, prev, next);
        let mut touched = d.occ.window_start <= to && d.occ.window_end >= from;
        let mut key: Option<SharedStr> = None;
        for st in stages.iter().filter(|s| s.date >= from && s.date <= to) {
            touched = true;
            let key = key.get_or_insert_with(|| d.occ.key.as_str().into());
            route::reminders(
                (ctx.router, ctx.units, ctx.tz),
                (key, ctx.task_id),
                d,
                st,
                &mut out.reminders,
            );
        }
        if touched {
            out.occurrences.push(d.occ.clone());
            if let Some(w) = &d.warning {
                warnings.insert(w.clone());
            }
        }
    }
}
