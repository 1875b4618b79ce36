//! Check-in occurrences of ongoing (长期坚持) tasks, and the single occurrence of a task with a
//! dated 完成时限.
//!
//! Pure. A task gets check-ins when it is ongoing, its check-in is not `none`, and none of its
//! rules pushes reminders (a rule that pushes already keeps the unit busy with that duty).

use jiff::civil::Date;

use super::expand::{Base, year_window};
use super::periodic::last_workday_until;
use super::{Draft, why};
use crate::calendar::WorkCalendar;
use crate::catalog::{Catalog, Checkin, Deadline, Task};
use crate::schedule::OccurrenceKind;

/// Periods of one check-in cadence in year `y`: (key suffix, label, start, end).
fn periods(c: Checkin, y: i16) -> Vec<(String, String, Date, Date)> {
    let span = |m0: i8, months: i8| -> Option<(Date, Date)> {
        let start = Date::new(y, m0, 1).ok()?;
        let end = Date::new(y, m0 + months - 1, 1).ok()?.last_of_month();
        Some((start, end))
    };
    let mut out = Vec::new();
    let mut add = |key: String, label: String, s: Option<(Date, Date)>| {
        if let Some((a, b)) = s {
            out.push((key, label, a, b));
        }
    };
    match c {
        Checkin::Monthly => (1..=12).for_each(|m| {
            add(
                format!("{y}-{m:02}-checkin"),
                format!("{y}年{m}月"),
                span(m, 1),
            );
        }),
        Checkin::Quarterly => (1..=4).for_each(|q| {
            add(
                format!("{y}-Q{q}-checkin"),
                format!("{y}年第{q}季度"),
                span(3 * q - 2, 3),
            );
        }),
        Checkin::HalfYearly => (1..=2).for_each(|h| {
            let half = if h == 1 { "上" } else { "下" };
            add(
                format!("{y}-H{h}-checkin"),
                format!("{y}年{half}半年"),
                span(6 * h - 5, 6),
            );
        }),
        Checkin::Yearly => {
            let (a, b) = year_window(y);
            add(format!("{y}-checkin"), format!("{y}年度"), Some((a, b)));
        }
        Checkin::None => {}
    }
    out
}

/// The check-in sequence of `task` (empty when it gets none).
pub(crate) fn checkins<'a>(
    _cat: &'a Catalog,
    cal: &WorkCalendar,
    task: &'a Task,
    years: (i16, i16),
) -> Option<Vec<Draft<'a>>> {
    let pushes = task.rules.iter().any(|r| r.ladder.push);
    if task.deadline != Deadline::Ongoing || task.checkin == Checkin::None || pushes {
        return None;
    }
    let base = Base {
        task,
        index: None,
        rule: None,
    };
    let mut seq = Vec::new();
    for y in years.0..=years.1 {
        for (key, label, start, end) in periods(task.checkin, y) {
            let due = last_workday_until(cal, end);
            let why = vec![format!(
                "{} progress check-in of an ongoing task: last working day of the period, {}",
                cadence(task.checkin),
                why::short(due)
            )];
            seq.push(base.draft(
                OccurrenceKind::Checkin,
                key,
                format!("{label}进展报送"),
                (start, end),
                due,
                why,
            ));
        }
    }
    Some(seq)
}

/// The occurrence of a dated task deadline (key `{task}@deadline`), moved to the previous working
/// day like rules by default.
pub(crate) fn deadline<'a>(cal: &WorkCalendar, task: &'a Task) -> Option<Vec<Draft<'a>>> {
    let Deadline::Date(d) = task.deadline else {
        return None;
    };
    let base = Base {
        task,
        index: None,
        rule: None,
    };
    let mut why = vec![format!("task deadline (完成时限) {d}")];
    let due = why::shifted(cal, d, task.deadline_shift, &mut why);
    let label = format!("{}完成时限", why::zh_date(d));
    Some(vec![base.draft(
        OccurrenceKind::Deadline,
        "deadline".into(),
        label,
        (due, due),
        due,
        why,
    )])
}

/// `quarterly`, … for the why-text.
fn cadence(c: Checkin) -> &'static str {
    match c {
        Checkin::Monthly => "monthly",
        Checkin::Quarterly => "quarterly",
        Checkin::HalfYearly => "half-yearly",
        Checkin::Yearly => "yearly",
        Checkin::None => "no",
    }
}
