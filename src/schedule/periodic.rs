//! Occurrences of the periodic rule forms: half-yearly, quarterly, monthly, weekly, daily, cron.
//!
//! Pure. Cron goes through `croner` with the same parser settings as `catalog::parse::cron`;
//! Cron rules go through [`crate::model::CronExpr`], parsed once at load (see [`cron_dates`]).

use jiff::civil::{Date, Weekday};

use super::expand::{Base, clamped, year_window};
use super::{Draft, why};
use crate::calendar::WorkCalendar;
use crate::catalog::{MonthDay, QuarterDue, RuleForm};
use crate::schedule::OccurrenceKind;

/// Expand one periodic rule over the years `years` (inclusive).
pub(crate) fn expand<'a>(
    cal: &WorkCalendar,
    b: &Base<'a>,
    form: &RuleForm,
    years: (i16, i16),
) -> Vec<Draft<'a>> {
    let ys = years.0..=years.1;
    match form {
        RuleForm::HalfYearly { due } => ys.flat_map(|y| half_yearly(cal, b, y, *due)).collect(),
        RuleForm::Quarterly { due } => ys
            .flat_map(|y| (1..=4).filter_map(move |q| quarterly(cal, b, y, q, *due)))
            .collect(),
        RuleForm::Monthly { day } => ys
            .flat_map(|y| (1..=12).filter_map(move |m| monthly(cal, b, y, m, *day)))
            .collect(),
        RuleForm::Weekly { weekday } => weekly(cal, b, years, *weekday),
        RuleForm::Daily { workdays_only } => daily(cal, b, years, *workdays_only),
        RuleForm::Cron { expr } => cron_dates(expr, years)
            .into_iter()
            .map(|d| single_day(cal, b, d, format!("cron `{expr}` fires on {d}")))
            .collect(),
        _ => Vec::new(),
    }
}

fn shift_of(b: &Base<'_>) -> crate::calendar::Shift {
    b.rule.map(|r| r.shift).unwrap_or_default()
}

/// The two due dates of a half-yearly rule in year `y`: the month-day and six months apart,
/// both in `y` (so `08-31` gives Feb 28/29 and Aug 31). Keys `{y}-H1` / `{y}-H2`.
fn half_yearly<'a>(cal: &WorkCalendar, b: &Base<'a>, y: i16, (m, d): (i8, i8)) -> Vec<Draft<'a>> {
    let first_m = if m > 6 { m - 6 } else { m };
    (0..2)
        .filter_map(|h: i8| {
            // A due date on the last day of its month (06-30) stays on the month's last day six
            // months later (12-31), as 上半年/下半年 end; other days keep their number (clamped).
            let month_end = clamped(y, first_m, 31).is_some_and(|e| e.day() == d);
            let raw = clamped(y, first_m + 6 * h, if month_end { 31 } else { d })?;
            let mut why = vec![format!("half-yearly on {m:02}-{d:02} and six months apart")];
            let due = why::shifted(cal, raw, shift_of(b), &mut why);
            let start = Date::new(y, 1 + 6 * h, 1).ok()?;
            let end = Date::new(y, 6 + 6 * h, 30 + h).ok()?;
            let label = format!("{y}年{}半年", if h == 0 { "上" } else { "下" });
            Some(b.draft(
                OccurrenceKind::Deadline,
                format!("{y}-H{}", h + 1),
                label,
                (start, end),
                due,
                why,
            ))
        })
        .collect()
}

/// Quarter `q` of `y`: window is the quarter; due after its end. Key `{y}-Q{q}`.
fn quarterly<'a>(
    cal: &WorkCalendar,
    b: &Base<'a>,
    y: i16,
    q: i8,
    due: QuarterDue,
) -> Option<Draft<'a>> {
    let start = Date::new(y, 3 * q - 2, 1).ok()?;
    let end = start
        .last_of_month()
        .checked_add(jiff::Span::new().months(2))
        .ok()?
        .last_of_month();
    let mut why = Vec::new();
    let due = match due {
        QuarterDue::WorkdaysAfterEnd(n) => {
            let n = i32::try_from(n).unwrap_or(i32::MAX);
            why.push(format!("working day {n} after the quarter ends {end}"));
            cal.add_workdays(end, n)
        }
        QuarterDue::Day(d) => {
            let next = end.tomorrow().ok()?;
            let raw = clamped(next.year(), next.month(), d)?;
            why.push(format!("day {d} of the month after the quarter"));
            let due = why::shifted(cal, raw, shift_of(b), &mut why);
            not_back_into(cal, raw, due, end, &mut why)
        }
    };
    let label = format!("{y}年第{q}季度");
    Some(b.draft(
        OccurrenceKind::Deadline,
        format!("{y}-Q{q}"),
        label,
        (start, end),
        due,
        why,
    ))
}

/// The last working day of the month containing `d` (or of the window ending at `end`).
pub(crate) fn last_workday_until(cal: &WorkCalendar, end: Date) -> Date {
    if cal.is_workday(end) {
        end
    } else {
        cal.prev_workday(end)
    }
}

/// Month `m` of `y`. Day N is clamped to the month's last day (31 → Feb 28/29, Apr 30).
fn monthly<'a>(
    cal: &WorkCalendar,
    b: &Base<'a>,
    y: i16,
    m: i8,
    day: MonthDay,
) -> Option<Draft<'a>> {
    let start = Date::new(y, m, 1).ok()?;
    let end = start.last_of_month();
    let mut why = Vec::new();
    let covers = b.rule.is_some_and(|r| r.covers_previous);
    // A report about month `m` (covers: previous_month) is due in the month after it.
    let due_month = if covers { end.tomorrow().ok()? } else { start };
    let due = match day {
        MonthDay::Day(n) => {
            let raw = clamped(due_month.year(), due_month.month(), n)?;
            if raw.day() != n {
                why.push(format!("day {n} clamped to the month's last day {raw}"));
            }
            let due = why::shifted(cal, raw, shift_of(b), &mut why);
            if covers {
                not_back_into(cal, raw, due, end, &mut why)
            } else {
                due
            }
        }
        MonthDay::LastDay => why::shifted(cal, end, shift_of(b), &mut why),
        MonthDay::LastWorkday => {
            let d = last_workday_until(cal, end);
            why.push(format!("last working day of the month: {}", why::short(d)));
            d
        }
    };
    let label = if covers {
        format!("报送{y}年{m}月份数据")
    } else {
        format!("{y}年{m}月")
    };
    Some(b.draft(
        OccurrenceKind::Deadline,
        format!("{y}-{m:02}"),
        label,
        (start, end),
        due,
        why,
    ))
}

/// A report about a period ending `end` is never due inside that period: when moving `raw` off
/// a non-working day put it on or before `end` (每月2日前报送上月数据 with 01-02 a holiday), it goes
/// to the next working day instead.
pub(crate) fn not_back_into(
    cal: &WorkCalendar,
    raw: Date,
    due: Date,
    end: Date,
    why: &mut Vec<String>,
) -> Date {
    if due > end {
        return due;
    }
    let next = cal.next_workday(raw);
    why.push(format!(
        "not moved back into the period it reports on (ends {end}): {}",
        why::short(next)
    ));
    next
}

/// One occurrence per ISO week; key `{iso-year}-W{week}`, window Monday..Sunday.
fn weekly<'a>(cal: &WorkCalendar, b: &Base<'a>, years: (i16, i16), wd: Weekday) -> Vec<Draft<'a>> {
    let (mut d, last) = (year_window(years.0).0, year_window(years.1).1);
    let mut out = Vec::new();
    while d.weekday() != wd {
        d = d.tomorrow().unwrap_or(Date::MAX);
    }
    while d <= last {
        let iso = d.iso_week_date();
        let monday = d
            .saturating_sub(jiff::Span::new().days(i64::from(d.weekday().to_monday_zero_offset())));
        let sunday = monday.saturating_add(jiff::Span::new().days(6));
        let mut why = vec![format!("every {}", d.strftime("%A"))];
        let due = why::shifted(cal, d, shift_of(b), &mut why);
        let (iy, w) = (iso.year(), iso.week());
        let label = format!("{iy}年第{w}周");
        out.push(b.draft(
            OccurrenceKind::Deadline,
            format!("{iy}-W{w:02}"),
            label,
            (monday, sunday),
            due,
            why,
        ));
        match d.checked_add(jiff::Span::new().days(7)) {
            Ok(n) => d = n,
            Err(_) => break,
        }
    }
    out
}

/// One occurrence per day (working days only unless `workdays_only: false`; never shifted,
/// since shifting every rest day onto a working day would duplicate that day).
fn daily<'a>(
    cal: &WorkCalendar,
    b: &Base<'a>,
    years: (i16, i16),
    workdays_only: bool,
) -> Vec<Draft<'a>> {
    let (mut d, last) = (year_window(years.0).0, year_window(years.1).1);
    let mut out = Vec::new();
    while d <= last {
        if !workdays_only || cal.is_workday(d) {
            let label = why::zh_date(d);
            out.push(b.draft(
                OccurrenceKind::Deadline,
                d.to_string(),
                label,
                (d, d),
                d,
                Vec::new(),
            ));
        }
        match d.tomorrow() {
            Ok(n) => d = n,
            Err(_) => break,
        }
    }
    out
}

/// A one-day occurrence on `d` (shifted per the rule); used by cron.
fn single_day<'a>(cal: &WorkCalendar, b: &Base<'a>, d: Date, note: String) -> Draft<'a> {
    let mut why = vec![note];
    let due = why::shifted(cal, d, shift_of(b), &mut why);
    b.draft(
        OccurrenceKind::Deadline,
        d.to_string(),
        why::zh_date(d),
        (due, due),
        due,
        why,
    )
}

/// The local dates on which a cron expression fires in the years `years` (one per date).
pub(crate) fn cron_dates(expr: &crate::model::CronExpr, years: (i16, i16)) -> Vec<Date> {
    let (Ok(first), Ok(end)) = (Date::new(years.0, 1, 1), Date::new(years.1, 12, 31)) else {
        return Vec::new();
    };
    let mut cur = first.to_datetime(jiff::civil::Time::midnight());
    let mut out = Vec::new();
    while let Some(next) = expr.next_at_or_after(cur) {
        if next.date() > end {
            break;
        }
        out.push(next.date());
        // Jump to the next day: one occurrence per date, and at most one search per day.
        let Ok(day) = next.date().tomorrow() else {
            break;
        };
        cur = day.to_datetime(jiff::civil::Time::midnight());
    }
    out
}
