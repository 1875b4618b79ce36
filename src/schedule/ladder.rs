//! Reminder ladders: the stages of one occurrence (lead, open, due, overdue, escalation), their
//! dates after moving off non-working days, and their colours.
//!
//! Pure. Who receives a stage is decided by `route`; this file only says which audience
//! ([`Audience`]) a stage is for.

use std::borrow::Cow;

use jiff::civil::Date;

use super::{Draft, why};
use crate::calendar::{Offset, WorkCalendar};
use crate::model::SharedStr;
use crate::notify::{Colour, MessageKind};
use crate::schedule::OccurrenceKind;

/// At most this many overdue repeats per occurrence.
pub const MAX_OVERDUE: u32 = 10;

/// Who a stage is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    /// Lead units, and cooperating units when the ladder says `inform`.
    Everyone,
    /// Lead units only (overdue repeats).
    Lead,
    /// Lead units plus `escalate_to`.
    Escalation,
}

/// One stage of a ladder, dated.
#[derive(Debug, Clone)]
pub(crate) struct Stage {
    /// Shared by the stage's reminders (see `schedule::Reminder`).
    pub name: SharedStr,
    pub kind: MessageKind,
    pub colour: Colour,
    pub date: Date,
    /// Shared by the stage's reminders.
    pub why: SharedStr,
    pub audience: Audience,
}

/// Move `d` off a non-working day: back for stages before the due date, forward for stages
/// after it (moving an overdue reminder back could put it on or before the due date).
fn settle(cal: &WorkCalendar, d: Date, forward: bool, allowed: bool) -> Date {
    if allowed || cal.is_workday(d) {
        d
    } else if forward {
        cal.next_workday(d)
    } else {
        cal.prev_workday(d)
    }
}

/// Every stage of `d`'s ladder. `prev_due`/`next_due` are the due dates of the neighbouring
/// occurrences of the same rule: no stage fires on or before the previous due date (the start of
/// this occurrence's ladder) and no overdue/escalation stage on or after the next due date.
pub(crate) fn stages(
    cal: &WorkCalendar,
    d: &Draft<'_>,
    prev_due: Option<Date>,
    next_due: Option<Date>,
) -> Vec<Stage> {
    let l = d.ladder;
    if !l.push {
        return Vec::new();
    }
    let due = d.occ.due;
    let checkin = d.occ.kind == OccurrenceKind::Checkin;
    let mut raw = lead_stages(cal, d);
    if let Some(open) = d.opens {
        raw.push(Raw {
            order: 100,
            name: Cow::Borrowed("open"),
            kind: MessageKind::CampaignOpening,
            date: open,
            why: Reason::Opens(open),
            audience: Audience::Everyone,
        });
    }
    let (due_name, due_kind) = if checkin {
        ("checkin", MessageKind::Checkin)
    } else {
        ("due", MessageKind::DueToday)
    };
    raw.push(Raw {
        order: 101,
        name: Cow::Borrowed(due_name),
        kind: due_kind,
        date: due,
        why: Reason::Due(due),
        audience: Audience::Everyone,
    });
    raw.extend(after_stages(cal, d, next_due));
    let mut kept: Vec<(Raw, Date)> = Vec::with_capacity(raw.len());
    for r in raw {
        let after = r.order >= 200;
        let mut at = settle(cal, r.date, after, l.on_non_working_days);
        if !after && prev_due.is_some_and(|p| at <= p) {
            if r.order < 100 {
                continue; // a lead stage that would fire in the previous occurrence's ladder
            }
            at = settle(cal, r.date, true, l.on_non_working_days);
        }
        if r.order < 100 && at > due {
            continue; // a lead reminder never fires after the due date
        }
        if after && next_due.is_some_and(|n| at >= n) {
            continue;
        }
        kept.push((r, at));
    }
    // Two stages on one day after moving: keep the later stage of the ladder only.
    kept.sort_by_key(|(r, at)| (*at, std::cmp::Reverse(r.order)));
    kept.dedup_by_key(|(_, at)| *at);
    kept.sort_by_key(|(r, at)| (*at, r.order));
    // Texts only for the stages kept: most of planning's strings are these.
    kept.into_iter()
        .map(|(r, at)| {
            let mut why = String::with_capacity(64);
            r.why.write(&mut why);
            if at != r.date {
                why.push_str("; ");
                why.push_str(&why::moved(cal, r.date, at));
            }
            let kind = if checkin && r.order < 100 {
                MessageKind::Checkin
            } else {
                r.kind
            };
            Stage {
                name: SharedStr::from(&*r.name),
                kind,
                colour: colour(cal, r.order, at, due, d.opens.is_some()),
                date: at,
                why: SharedStr::from(why),
                audience: r.audience,
            }
        })
        .collect()
}

/// A stage before its date is settled and its texts are written.
struct Raw {
    /// Position in the ladder: leads < 100, open 100, due 101, overdue 201…, escalation 300.
    order: u32,
    name: Cow<'static, str>,
    kind: MessageKind,
    /// The date before moving off a non-working day.
    date: Date,
    why: Reason,
    audience: Audience,
}

/// Why a stage fires then, kept as data until the stage is known to be kept.
enum Reason {
    /// "3 working days before due 2026-03-02" / "… before the opening …".
    Before(Offset, &'static str, Date),
    /// "midpoint of the period 2025-01-01 .. 2026-12-31".
    Midpoint(Date, Date),
    /// "90 days before due 2026-12-31".
    Days90(Date),
    /// "campaign opens 2026-03-02".
    Opens(Date),
    /// "due 2026-03-02".
    Due(Date),
    /// "overdue: 2 × 7 days after due 2026-03-02".
    Overdue(u32, Offset, Date),
    /// "3 working days overdue (due 2026-03-02): escalated".
    Escalated(Offset, Date),
}

impl Reason {
    /// Appends the English text (`dutybell plan`'s "why" column).
    fn write(&self, out: &mut String) {
        match *self {
            Reason::Before(o, what, base) => {
                why::push_offset(out, o);
                out.push_str(" before ");
                out.push_str(what);
                out.push(' ');
                why::push_date(out, base);
            }
            Reason::Midpoint(start, due) => {
                out.push_str("midpoint of the period ");
                why::push_date(out, start);
                out.push_str(" .. ");
                why::push_date(out, due);
            }
            Reason::Days90(due) => {
                out.push_str("90 days before due ");
                why::push_date(out, due);
            }
            Reason::Opens(open) => {
                out.push_str("campaign opens ");
                why::push_date(out, open);
            }
            Reason::Due(due) => {
                out.push_str("due ");
                why::push_date(out, due);
            }
            Reason::Overdue(k, every, due) => {
                out.push_str("overdue: ");
                why::push_int(out, i64::from(k));
                out.push_str(" × ");
                why::push_offset(out, every);
                out.push_str(" after due ");
                why::push_date(out, due);
            }
            Reason::Escalated(after, due) => {
                why::push_offset(out, after);
                out.push_str(" overdue (due ");
                why::push_date(out, due);
                out.push_str("): escalated");
            }
        }
    }
}

/// `overdue-1` … `overdue-10`, written once.
const OVERDUE_NAMES: [&str; MAX_OVERDUE as usize] = [
    "overdue-1",
    "overdue-2",
    "overdue-3",
    "overdue-4",
    "overdue-5",
    "overdue-6",
    "overdue-7",
    "overdue-8",
    "overdue-9",
    "overdue-10",
];

/// Lead stages: `before` offsets from the opening (campaigns) or the due date, plus the
/// midpoint and 90-days-before stages of multi-year periods.
fn lead_stages(cal: &WorkCalendar, d: &Draft<'_>) -> Vec<Raw> {
    let (base, what) = match d.opens {
        Some(o) => (o, "the opening"),
        None => (d.occ.due, "due"),
    };
    let mut raw: Vec<(Date, Cow<'static, str>, Reason)> = d
        .ladder
        .before
        .iter()
        .map(|o| {
            (
                cal.before(base, *o),
                Cow::Owned(format!("lead-{o}")),
                Reason::Before(*o, what, base),
            )
        })
        .collect();
    if d.long_period {
        let start = d.occ.window_start;
        let half = (d.occ.due - start).get_days() / 2;
        let mid = start.saturating_add(jiff::Span::new().days(half));
        raw.push((
            mid,
            Cow::Borrowed("midpoint"),
            Reason::Midpoint(start, d.occ.due),
        ));
        let o = Offset::Days(90);
        raw.push((
            cal.before(d.occ.due, o),
            Cow::Borrowed("lead-90d"),
            Reason::Days90(d.occ.due),
        ));
    }
    raw.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    raw.dedup_by(|a, b| a.1 == b.1);
    raw.into_iter()
        .enumerate()
        .map(|(i, (date, name, why))| Raw {
            order: u32::try_from(i).unwrap_or(99).min(99),
            name,
            kind: MessageKind::Lead,
            date,
            why,
            audience: Audience::Everyone,
        })
        .collect()
}

/// Overdue repeats (until the next occurrence is due, at most [`MAX_OVERDUE`]) and the
/// escalation stage.
fn after_stages(cal: &WorkCalendar, d: &Draft<'_>, next_due: Option<Date>) -> Vec<Raw> {
    let l = d.ladder;
    let due = d.occ.due;
    let mut out = Vec::new();
    if let Some(every) = l.overdue_every.filter(|o| !o.is_zero()) {
        let mut at = due;
        for (k, name) in (1..=MAX_OVERDUE).zip(OVERDUE_NAMES) {
            // Step from the settled date, so a repeat that lands in a holiday does not pile up
            // with the following ones on the first working day after it.
            let n = settle(cal, cal.apply(at, every), true, l.on_non_working_days);
            if n <= at || next_due.is_some_and(|x| n >= x) {
                break;
            }
            at = n;
            out.push(Raw {
                order: 200 + k,
                name: Cow::Borrowed(name),
                kind: MessageKind::Overdue,
                date: at,
                why: Reason::Overdue(k, every, due),
                audience: Audience::Lead,
            });
        }
    }
    if let Some(after) = l.escalate_after.filter(|_| !l.escalate_to.is_empty()) {
        let at = cal.apply(due, after);
        if at > due {
            out.push(Raw {
                order: 300,
                name: Cow::Borrowed("escalate-1"),
                kind: MessageKind::Escalation,
                date: at,
                why: Reason::Escalated(after, due),
                audience: Audience::Escalation,
            });
        }
    }
    out
}

/// Blue before the last 3 working days, yellow from then on and while a campaign runs (the
/// opening and the due day), red once overdue.
fn colour(cal: &WorkCalendar, order: u32, at: Date, due: Date, campaign: bool) -> Colour {
    if order >= 200 {
        Colour::Red
    } else if order >= 100 || (campaign && at >= due) || cal.workdays_between(at, due) <= 3 {
        Colour::Yellow
    } else {
        Colour::Blue
    }
}
