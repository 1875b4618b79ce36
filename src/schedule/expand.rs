//! Occurrences of the yearly and multi-year rule forms (once, yearly on a date or an event,
//! campaigns, every N years), and the dispatch to the periodic forms in `periodic`.
//!
//! Pure: reads the catalog's events and the calendar only.

use jiff::civil::Date;

use super::{Draft, periodic, why};
use crate::calendar::{Offset, WorkCalendar};
use crate::catalog::{Catalog, Rule, RuleForm, Task};
use crate::schedule::{Occurrence, OccurrenceKind};

/// The key family of a rule form: two rules of one task in the same family would produce the
/// same keys, so the second gets a `-r{index}` suffix.
pub(crate) fn key_class(form: &RuleForm) -> String {
    match form {
        RuleForm::Once { .. } | RuleForm::Daily { .. } | RuleForm::Cron { .. } => "date".into(),
        RuleForm::YearlyDate { .. } => "year".into(),
        // Rules on different events never collide; two on the same event do.
        RuleForm::YearlyEvent { event, .. } | RuleForm::CampaignEvent { event, .. } => {
            format!("event:{event}")
        }
        RuleForm::CampaignFixed { .. } => "campaign".into(),
        RuleForm::EveryNYears { .. } => "years".into(),
        RuleForm::HalfYearly { .. } => "half".into(),
        RuleForm::Quarterly { .. } => "quarter".into(),
        RuleForm::Monthly { .. } => "month".into(),
        RuleForm::Weekly { .. } => "week".into(),
        RuleForm::BeforeHolidays { .. } => "holiday".into(),
        RuleForm::After { step, .. } => format!("after:{step}"),
        RuleForm::During { event, .. } => format!("during:{event}"),
    }
}

/// A draft with the common fields filled in.
pub(crate) struct Base<'a> {
    pub task: &'a Task,
    pub index: Option<usize>,
    pub rule: Option<&'a Rule>,
}

impl<'a> Base<'a> {
    /// A draft for `period` (key suffix) with the given window and due date.
    pub(crate) fn draft(
        &self,
        kind: OccurrenceKind,
        period: String,
        label: String,
        window: (Date, Date),
        due: Date,
        why: Vec<String>,
    ) -> Draft<'a> {
        let rule_label = self.rule.and_then(|r| r.label.clone());
        let period_label = match rule_label {
            Some(l) => format!("{label} {l}"),
            None => label,
        };
        Draft {
            occ: Occurrence {
                key: format!("{}@{period}", self.task.id),
                task_id: self.task.id.clone(),
                rule_index: self.index,
                kind,
                period_label,
                window_start: window.0,
                window_end: window.1,
                due,
                why,
            },
            ladder: self.rule.map_or(&self.task.ladder, |r| &r.ladder),
            opens: None,
            long_period: false,
            warning: None,
        }
    }
}

/// Jan 1 .. Dec 31 of `y`.
pub(crate) fn year_window(y: i16) -> (Date, Date) {
    (
        Date::constant(y, 1, 1),
        Date::new(y, 12, 31).unwrap_or(Date::MAX),
    )
}

/// `Date::new` that clamps the day to the month's last day (Jan 31 monthly → Feb 28/29).
pub(crate) fn clamped(y: i16, m: i8, d: i8) -> Option<Date> {
    let first = Date::new(y, m, 1).ok()?;
    Some(
        first
            .with()
            .day(d.min(first.days_in_month()))
            .build()
            .unwrap_or(first),
    )
}

/// All occurrences of one rule in the years `years` (inclusive), in no particular order.
pub(crate) fn expand_rule<'a>(
    cat: &'a Catalog,
    cal: &WorkCalendar,
    task: &'a Task,
    index: usize,
    rule: &'a Rule,
    years: (i16, i16),
) -> Vec<Draft<'a>> {
    let base = Base {
        task,
        index: Some(index),
        rule: Some(rule),
    };
    match &rule.form {
        RuleForm::Once { date } => once(cal, &base, *date, rule.at.as_deref()),
        RuleForm::YearlyDate { month, day } => (years.0..=years.1)
            .filter_map(|y| yearly_date(cal, &base, y, *month, *day))
            .collect(),
        RuleForm::YearlyEvent { event, offset } => (years.0..=years.1)
            .filter_map(|y| yearly_event(cat, cal, &base, y, event, *offset))
            .collect(),
        RuleForm::CampaignEvent {
            event,
            opens,
            closes,
        } => (years.0..=years.1)
            .filter_map(|y| campaign_event(cat, cal, &base, y, event, (*opens, *closes)))
            .collect(),
        RuleForm::CampaignFixed { from, to } => (years.0..=years.1)
            .filter_map(|y| campaign_fixed(cal, &base, y, *from, *to))
            .collect(),
        RuleForm::EveryNYears {
            years: n,
            anchor,
            due,
            times,
        } => every_n_years(cal, &base, years, (*n, *anchor, *due, *times)),
        RuleForm::BeforeHolidays { names, before } => {
            super::holidays::expand(cal, &base, names, *before, years)
        }
        other => periodic::expand(cal, &base, other, years),
    }
}

fn once<'a>(cal: &WorkCalendar, b: &Base<'a>, date: Date, at: Option<&str>) -> Vec<Draft<'a>> {
    let rule = b.rule.map_or(Default::default(), |r| r.shift);
    let mut why = Vec::new();
    // An activity happens when it is held: its date does not move off a rest day.
    let due = match at {
        Some(_) => date,
        None => why::shifted(cal, date, rule, &mut why),
    };
    let label = match at {
        Some(t) => format!("{}{t}", why::zh_date(date)),
        None => why::zh_date(date),
    };
    vec![b.draft(
        OccurrenceKind::Deadline,
        date.to_string(),
        label,
        (due, due),
        due,
        why,
    )]
}

fn yearly_date<'a>(cal: &WorkCalendar, b: &Base<'a>, y: i16, m: i8, d: i8) -> Option<Draft<'a>> {
    // Feb 29 exists only in leap years; other years have no occurrence (documented).
    let covers = b.rule?.covers_previous;
    // A report about year `y` (covers: previous_year) is due in the year after it.
    let date = Date::new(if covers { y.checked_add(1)? } else { y }, m, d).ok()?;
    let mut why = vec![format!("every year on {m:02}-{d:02}")];
    let mut due = why::shifted(cal, date, b.rule?.shift, &mut why);
    let label = if covers {
        due = periodic::not_back_into(cal, date, due, year_window(y).1, &mut why);
        format!("报送{y}年度情况")
    } else {
        format!("{y}年度")
    };
    Some(b.draft(
        OccurrenceKind::Deadline,
        y.to_string(),
        label,
        year_window(y),
        due,
        why,
    ))
}

/// The event's date in `y`, with the default-date note pushed to `why` and the warning text.
fn event_date(
    cat: &Catalog,
    event: &str,
    y: i16,
    why: &mut Vec<String>,
) -> Option<(Date, String, Option<String>)> {
    let ev = cat.events.get(event)?;
    let (date, default) = ev.date_in(y)?;
    let warning = default.then(|| why::default_event(event, &ev.name, date));
    if default {
        why.push(format!(
            "{event} {date} is the default date; enter the real one in events"
        ));
    } else {
        why.push(format!("{event} ({}) is {date}", ev.name));
    }
    Some((date, ev.name.clone(), warning))
}

fn yearly_event<'a>(
    cat: &Catalog,
    cal: &WorkCalendar,
    b: &Base<'a>,
    y: i16,
    event: &str,
    offset: Offset,
) -> Option<Draft<'a>> {
    let mut why = Vec::new();
    let (date, name, warning) = event_date(cat, event, y, &mut why)?;
    let raw = cal.apply(date, offset);
    if !offset.is_zero() {
        why.push(format!("{offset} from {event}: {raw}"));
    }
    let due = why::shifted(cal, raw, b.rule?.shift, &mut why);
    let label = format!("{y}年{name}");
    let mut d = b.draft(
        OccurrenceKind::Deadline,
        format!("{y}-{event}"),
        label,
        year_window(y),
        due,
        why,
    );
    d.warning = warning;
    Some(d)
}

fn campaign_event<'a>(
    cat: &Catalog,
    cal: &WorkCalendar,
    b: &Base<'a>,
    y: i16,
    event: &str,
    (opens, closes): (Offset, Offset),
) -> Option<Draft<'a>> {
    let mut why = Vec::new();
    let (date, name, warning) = event_date(cat, event, y, &mut why)?;
    let open = cal.apply(date, opens);
    let close_raw = cal.apply(date, closes);
    why.push(format!(
        "window {event}{opens:+} .. {event}{closes:+}",
        opens = Signed(opens),
        closes = Signed(closes)
    ));
    let due = why::shifted(cal, close_raw, b.rule?.shift, &mut why);
    let label = format!("{y}年{name}");
    let mut d = b.draft(
        OccurrenceKind::Campaign,
        format!("{y}-{event}"),
        label,
        (open, due),
        due,
        why,
    );
    d.opens = Some(open);
    d.warning = warning;
    Some(d)
}

/// An offset printed with its sign (`-14d`, `+30d`).
struct Signed(Offset);

impl std::fmt::Display for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let neg = matches!(self.0, Offset::Days(n) | Offset::Workdays(n) if n < 0);
        if neg {
            write!(f, "{}", self.0)
        } else {
            write!(f, "+{}", self.0)
        }
    }
}

fn campaign_fixed<'a>(
    cal: &WorkCalendar,
    b: &Base<'a>,
    y: i16,
    from: (i8, i8),
    to: (i8, i8),
) -> Option<Draft<'a>> {
    let open = Date::new(y, from.0, from.1).ok()?;
    // A window like 12-01 .. 01-15 closes in the next year.
    let close_year = if to < from { y.checked_add(1)? } else { y };
    let close_raw = clamped(close_year, to.0, to.1)?;
    let mut why = vec![format!(
        "every year from {:02}-{:02} to {:02}-{:02}",
        from.0, from.1, to.0, to.1
    )];
    let due = why::shifted(cal, close_raw, b.rule?.shift, &mut why);
    let label = format!("{y}年{}月{}日至{}月{}日", from.0, from.1, to.0, to.1);
    let mut d = b.draft(
        OccurrenceKind::Campaign,
        format!("{y}-campaign"),
        label,
        (open, due),
        due,
        why,
    );
    d.opens = Some(open);
    Some(d)
}

fn every_n_years<'a>(
    cal: &WorkCalendar,
    b: &Base<'a>,
    years: (i16, i16),
    (n, anchor, due_md, times): (u32, i16, (i8, i8), u32),
) -> Vec<Draft<'a>> {
    let n = i32::try_from(n.max(1)).unwrap_or(1);
    let (lo, hi) = (i32::from(years.0), i32::from(years.1) + n);
    // First period index whose last year reaches `lo`.
    let mut k = (lo - i32::from(anchor)).div_euclid(n) - 1;
    let mut out = Vec::new();
    loop {
        let start = i32::from(anchor) + k * n;
        let end = start + n - 1;
        k += 1;
        if start > hi {
            break;
        }
        let (Ok(s), Ok(e)) = (i16::try_from(start), i16::try_from(end)) else {
            continue;
        };
        if end < lo {
            continue;
        }
        // Feb 29 in a period whose last year is not a leap year is clamped to Feb 28.
        let Some(raw) = clamped(e, due_md.0, due_md.1) else {
            continue;
        };
        let mut why = vec![format!(
            "every {n} years from {anchor}: period {s}–{e}, at least {times} time(s)"
        )];
        let Some(rule) = b.rule else { continue };
        let due = why::shifted(cal, raw, rule.shift, &mut why);
        let label = format!("{s}–{e}年（至少{times}次）");
        let window = (year_window(s).0, year_window(e).1);
        let mut d = b.draft(
            OccurrenceKind::Deadline,
            format!("{s}-{e}"),
            label,
            window,
            due,
            why,
        );
        d.long_period = true;
        out.push(d);
    }
    out
}
