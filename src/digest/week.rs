//! Digest weeks: ISO week keys and labels, and when a digest is due in a week (its cron
//! expression, moved to a working day). Pure: the calendar and time zone are parameters.
//!
//! May touch: nothing. Crons are [`crate::model::CronExpr`], parsed once at load.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

use crate::calendar::WorkCalendar;
use crate::catalog::DigestSpec;

/// `2027-W09`: the ISO week-year and week of `date` (the key of a weekly digest).
pub fn iso_week_key(date: Date) -> String {
    let w = date.iso_week_date();
    format!("{:04}-W{:02}", w.year(), w.week())
}

/// `2027年第9周`: the ISO week of `date` for people.
pub fn week_label(date: Date) -> String {
    let w = date.iso_week_date();
    format!("{}年第{}周", w.year(), w.week())
}

/// The Monday of the ISO week containing `date`.
pub fn week_monday(date: Date) -> Date {
    let back = i64::from(date.weekday().to_monday_zero_offset());
    date.saturating_sub(jiff::Span::new().days(back))
}

/// `date` plus `n` days (saturating at the ends of the calendar).
pub(crate) fn add_days(date: Date, n: i64) -> Date {
    date.saturating_add(jiff::Span::new().days(n))
}

/// The instant the digest `spec` is due in the ISO week starting `week_monday`: the first time
/// its cron expression fires in that week (local time in `tz`); when that day is not a working
/// day, the same time on the first working day after it in the same week (a 调休 weekend
/// working day counts).
///
/// `None` when the cron does not fire that week, or when no working day is left in the week
/// after the cron day (e.g. the Spring Festival week): that week has no digest, and next week's
/// covers it. `week_monday` need not be a Monday; its ISO week is used.
pub fn due_instant(
    spec: &DigestSpec,
    cal: &WorkCalendar,
    tz: &TimeZone,
    week_monday: Date,
) -> Option<Timestamp> {
    let monday = self::week_monday(week_monday);
    let fire = first_fire_in_week(&spec.cron, monday)?;
    let sunday = add_days(monday, 6);
    let mut day = fire.date();
    while !cal.is_workday(day) {
        if day >= sunday {
            return None;
        }
        day = add_days(day, 1);
    }
    tz.to_timestamp(day.to_datetime(fire.time())).ok()
}

/// The first local date-time in `[monday 00:00, next monday 00:00)` at which `cron` fires.
fn first_fire_in_week(cron: &crate::model::CronExpr, monday: Date) -> Option<DateTime> {
    let next = cron.next_at_or_after(monday.to_datetime(jiff::civil::Time::midnight()))?;
    (next.date() < add_days(monday, 7)).then_some(next)
}

/// The next due instant of any digest strictly after `now` (this week's or next week's), so the
/// daemon can sleep until then instead of polling.
pub fn next_due(
    specs: &[DigestSpec],
    cal: &WorkCalendar,
    tz: &TimeZone,
    now: Timestamp,
) -> Option<Timestamp> {
    let monday = week_monday(now.to_zoned_datetime(tz.clone()).date());
    let weeks = [monday, add_days(monday, 7), add_days(monday, 14)];
    specs
        .iter()
        .flat_map(|s| weeks.iter().filter_map(|w| due_instant(s, cal, tz, *w)))
        .filter(|t| *t > now)
        .min()
}
