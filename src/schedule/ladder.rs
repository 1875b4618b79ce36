//! Reminder ladders: the stages of one occurrence (lead, open, due, overdue, escalation), their
//! dates after moving off non-working days, and their colours.
//!
//! Pure. Who receives a stage is decided by `route`; this file only says which audience
//! ([`Audience`]) a stage is for.

use jiff::civil::Date;

use super::{Draft, why};
use crate::calendar::{Offset, WorkCalendar};
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
    pub name: String,
    pub kind: MessageKind,
    pub colour: Colour,
    pub date: Date,
    pub why: String,
    pub audience: Audience,
    /// Position in the ladder; of two stages on one day the higher one is kept.
    order: u32,
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
        raw.push((
            100,
            "open".into(),
            MessageKind::CampaignOpening,
            open,
            format!("campaign opens {open}"),
            Audience::Everyone,
        ));
    }
    let (due_name, due_kind) = if checkin {
        ("checkin", MessageKind::Checkin)
    } else {
        ("due", MessageKind::DueToday)
    };
    raw.push((
        101,
        due_name.into(),
        due_kind,
        due,
        format!("due {due}"),
        Audience::Everyone,
    ));
    raw.extend(after_stages(cal, d, next_due));
    let mut out: Vec<Stage> = Vec::new();
    for (order, name, kind, date, text, audience) in raw {
        let after = order >= 200;
        let mut at = settle(cal, date, after, l.on_non_working_days);
        if !after && prev_due.is_some_and(|p| at <= p) {
            if order < 100 {
                continue; // a lead stage that would fire in the previous occurrence's ladder
            }
            at = settle(cal, date, true, l.on_non_working_days);
        }
        if order < 100 && at > due {
            continue; // a lead reminder never fires after the due date
        }
        if after && next_due.is_some_and(|n| at >= n) {
            continue;
        }
        let why = if at == date {
            text
        } else {
            format!("{text}; {}", why::moved(cal, date, at))
        };
        let colour = colour(cal, order, at, due, d.opens.is_some());
        let kind = if checkin && order < 100 {
            MessageKind::Checkin
        } else {
            kind
        };
        out.push(Stage {
            name,
            kind,
            colour,
            date: at,
            why,
            audience,
            order,
        });
    }
    merge_same_day(out)
}

type Raw = (u32, String, MessageKind, Date, String, Audience);

/// Lead stages: `before` offsets from the opening (campaigns) or the due date, plus the
/// midpoint and 90-days-before stages of multi-year periods.
fn lead_stages(cal: &WorkCalendar, d: &Draft<'_>) -> Vec<Raw> {
    let (base, what) = match d.opens {
        Some(o) => (o, "the opening"),
        None => (d.occ.due, "due"),
    };
    let mut raw: Vec<(Date, String, String)> = d
        .ladder
        .before
        .iter()
        .map(|o| {
            (
                cal.before(base, *o),
                format!("lead-{o}"),
                format!("{} before {what} {base}", why::offset_text(*o)),
            )
        })
        .collect();
    if d.long_period {
        let start = d.occ.window_start;
        let half = (d.occ.due - start).get_days() / 2;
        let mid = start.saturating_add(jiff::Span::new().days(half));
        raw.push((
            mid,
            "midpoint".into(),
            format!("midpoint of the period {} .. {}", start, d.occ.due),
        ));
        let o = Offset::Days(90);
        raw.push((
            cal.before(d.occ.due, o),
            "lead-90d".into(),
            format!("90 days before due {}", d.occ.due),
        ));
    }
    raw.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    raw.dedup_by(|a, b| a.1 == b.1);
    raw.into_iter()
        .enumerate()
        .map(|(i, (date, name, why))| {
            (
                u32::try_from(i).unwrap_or(99).min(99),
                name,
                MessageKind::Lead,
                date,
                why,
                Audience::Everyone,
            )
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
        for k in 1..=MAX_OVERDUE {
            // Step from the settled date, so a repeat that lands in a holiday does not pile up
            // with the following ones on the first working day after it.
            let n = settle(cal, cal.apply(at, every), true, l.on_non_working_days);
            if n <= at || next_due.is_some_and(|x| n >= x) {
                break;
            }
            at = n;
            let why = format!("overdue: {k} × {} after due {due}", why::offset_text(every));
            out.push((
                200 + k,
                format!("overdue-{k}"),
                MessageKind::Overdue,
                at,
                why,
                Audience::Lead,
            ));
        }
    }
    if let Some(after) = l.escalate_after.filter(|_| !l.escalate_to.is_empty()) {
        let at = cal.apply(due, after);
        if at > due {
            let why = format!("{} overdue (due {due}): escalated", why::offset_text(after));
            out.push((
                300,
                "escalate-1".into(),
                MessageKind::Escalation,
                at,
                why,
                Audience::Escalation,
            ));
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

/// Two stages on one day after moving: keep the later stage of the ladder only.
fn merge_same_day(mut v: Vec<Stage>) -> Vec<Stage> {
    v.sort_by_key(|s| (s.date, std::cmp::Reverse(s.order)));
    v.dedup_by_key(|s| s.date);
    v.sort_by_key(|s| (s.date, s.order));
    v
}
