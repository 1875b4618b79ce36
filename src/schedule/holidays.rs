//! `before_holidays`: duties due before each statutory holiday (节假日前, 元旦春节前, 五一、国庆前),
//! driven by the calendar data in the binary (and any loaded notice), not by fixed dates.
//!
//! Pure. A year without calendar data has no holidays, so no occurrences; the plan already
//! carries the uncovered-years warning for it.

use jiff::civil::Date;

use super::expand::Base;
use super::{Draft, why};
use crate::calendar::{DayKind, Offset, WorkCalendar};
use crate::catalog::NATIONAL_HOLIDAYS;
use crate::schedule::OccurrenceKind;

/// One occurrence per matching holiday block starting in each year of `years`: key
/// `{y}-{holiday}`, due `before` ahead of the block's first day off (weekends that run into the
/// holiday count as part of it).
pub(crate) fn expand<'a>(
    cal: &WorkCalendar,
    b: &Base<'a>,
    names: &[String],
    before: Offset,
    years: (i16, i16),
) -> Vec<Draft<'a>> {
    let mut out = Vec::new();
    for y in years.0..=years.1 {
        let (Ok(mut d), Ok(last)) = (Date::new(y, 1, 1), Date::new(y, 12, 31)) else {
            continue;
        };
        let mut prev_name: Option<String> = None;
        while d <= last {
            let name = match cal.day(d).kind {
                DayKind::Holiday { name } if matches(&name, names) => Some(name),
                _ => None,
            };
            if let Some(n) = &name
                && prev_name.as_ref() != Some(n)
            {
                out.push(block(cal, b, y, n, d, before));
            }
            prev_name = name;
            match d.tomorrow() {
                Ok(n) => d = n,
                Err(_) => break,
            }
        }
    }
    out
}

/// Whether a calendar holiday name is one the rule asks for (all national ones when empty).
fn matches(day_name: &str, names: &[String]) -> bool {
    if names.is_empty() {
        NATIONAL_HOLIDAYS.iter().any(|h| day_name.contains(h))
    } else {
        names.iter().any(|n| day_name.contains(n.as_str()))
    }
}

fn block<'a>(
    cal: &WorkCalendar,
    b: &Base<'a>,
    y: i16,
    name: &str,
    first: Date,
    before: Offset,
) -> Draft<'a> {
    // The days off start earlier when a weekend runs into the holiday.
    let mut start = first;
    while let Ok(p) = start.yesterday() {
        if cal.is_workday(p) {
            break;
        }
        start = p;
    }
    let due = cal.before(start, before);
    let why = vec![format!(
        "{} before {name}, first day off {}",
        why::offset_text(before),
        why::short(start)
    )];
    b.draft(
        OccurrenceKind::Deadline,
        format!("{y}-{name}"),
        format!("{y}年{name}前"),
        (due, due),
        due,
        why,
    )
}
