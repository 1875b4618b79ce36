//! The plan files: areas, tasks and their rules, events and calendar overrides, and the small
//! value shapes they share (offsets, one-or-many lists).

use serde::Deserialize;

use super::{LStr, Located, RawLadderOrNone};

/// A named yearly event (`events:` values).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    /// Chinese name.
    pub name: LStr,
    /// Month-day used for years without a date.
    pub default: Option<LStr>,
    /// Dates by year. Keys are years.
    #[serde(default)]
    pub dates: std::collections::BTreeMap<String, LStr>,
    /// True for an event the office declares at run time (`dutybell event start NAME`), such as
    /// 防汛应急响应: no dates here; `during:` rules plan inside its declared windows.
    #[serde(default)]
    pub declared: bool,
}

/// A local calendar override (`calendar_overrides:`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCalendarOverride {
    /// The date.
    pub date: LStr,
    /// True: a day off; false: a working day.
    pub off: bool,
    /// Why (e.g. 开斋节).
    pub name: String,
}

/// `area:` in a plan file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArea {
    /// Area number (1–10 in the bundled plan).
    pub number: Located<u32>,
    /// Area title (项目).
    pub title: String,
}

/// One task in a plan file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTask {
    /// Id such as `4.2` (quoted).
    pub id: LStr,
    /// 具体任务.
    pub title: String,
    /// 落实措施.
    #[serde(default)]
    pub measures: String,
    /// Lead unit(s) or group(s) (id, name or alias); a list for co-leads. Absent: the units of
    /// `units` all lead (无牵头单位的，责任单位即为牵头单位), else the default unit.
    pub lead: Option<Located<OneOrMany>>,
    /// Cooperating units or groups (id, name or alias), in the source's order.
    #[serde(default)]
    pub cooperating: Vec<LStr>,
    /// Responsible units without a named lead: all of them lead.
    #[serde(default)]
    pub units: Vec<LStr>,
    /// A vague responsible-unit text kept as written (各有关部门, "…等"); routed to the default unit.
    pub units_text: Option<LStr>,
    /// `ongoing`, a date, or `{date, shift}`. Absent: the date of the task's only `once` rule,
    /// else ongoing.
    pub deadline: Option<Located<RawDeadline>>,
    /// Check-in override for ongoing tasks.
    pub checkin: Option<LStr>,
    /// Recurrence rules.
    #[serde(default)]
    pub rules: Vec<Located<RawRule>>,
    /// Ladder override or `none`.
    pub reminders: Option<Located<RawLadderOrNone>>,
    /// Free notes.
    pub notes: Option<String>,
    /// Where an imported task came from and the cells' text as written (`dutybell import`).
    pub source: Option<crate::config::raw_source::RawSource>,
}

macro_rules! rule_forms {
    ($( $(#[$m:meta])* $name:ident { $( $(#[$fm:meta])* $f:ident : $t:ty ),* $(,)? } )*) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $( $(#[$fm])* pub $f: $t, )*
            /// Chinese label used in messages.
            pub label: Option<String>,
            /// The step's name within its task (`name: drill`), for `after: {step: drill}`.
            pub name: Option<LStr>,
            /// `none` | `previous` | `next` for dates on non-working days.
            pub shift: Option<LStr>,
            /// Ladder override or `none`.
            pub reminders: Option<Located<RawLadderOrNone>>,
            /// A routine duty reported once per period: what the units do themselves (日管控,
            /// 周排查, …), never deadlines of their own.
            pub routine: Option<Located<Vec<String>>>,
            /// Recurrence bound: only periods that end on or after this (`2024-Q2`, `2024-05`,
            /// `2024-H2`, `2024`, or a date). On non-campaign forms `from:` says the same.
            pub since: Option<Located<OffsetValue>>,
            /// Recurrence bound: only periods that start on or before this (`2027-12-31`,
            /// `2027`, `2027-Q2`, `2027-05`).
            pub until: Option<Located<OffsetValue>>,
            /// The period a report is about when it is not the due date's own:
            /// `previous_month`, `previous_quarter`, `previous_year`.
            pub covers: Option<LStr>,
        }
    )*};
}

rule_forms! {
    /// `once: {date}`.
    RawOnce { /// The date.
        date: LStr, /// An activity's time: `"10:00"`, `上午` or `下午` (6月11日10时, 6月19日上午):
        /// reminded before it, never overdue after it.
        at: Option<LStr>, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `yearly: {date}` or `yearly: {event, offset}`.
    RawYearly { /// Month-day.
        date: Option<LStr>, /// Named event.
        event: Option<LStr>, /// Days (or `3wd`) from the event.
        offset: Option<Located<OffsetValue>>, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `campaign: {event, opens, closes}` or `campaign: {from, to}`.
    RawCampaign { /// Named event.
        event: Option<LStr>, /// Opening offset from the event.
        opens: Option<Located<OffsetValue>>, /// Closing offset from the event.
        closes: Option<Located<OffsetValue>>, /// Fixed opening month-day.
        from: Option<LStr>, /// Fixed closing month-day.
        to: Option<LStr> }
    /// `every_n_years: {years, anchor, due, times}`.
    RawEveryNYears { /// Period length in years.
        years: Located<u32>, /// First year of a period.
        anchor: Located<i32>, /// Month-day in the period's last year.
        due: LStr, /// At least this many completions per period.
        times: Option<Located<u32>>, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `half_yearly: {due}`.
    RawHalfYearly { /// Month-day in the first half; the second is six months later.
        due: LStr, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `quarterly: {workdays_after_end}` or `quarterly: {day}`.
    RawQuarterly { /// Nth working day after quarter end.
        workdays_after_end: Option<Located<u32>>, /// Day of the month after the quarter.
        day: Option<Located<u32>>, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `monthly: {day}`.
    RawMonthly { /// 1–31, -1 (last day), or `last_workday`.
        day: Located<OffsetValue>, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `weekly: {weekday}`.
    RawWeekly { /// mon … sun.
        weekday: LStr, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `daily: {workdays_only}`.
    RawDaily { /// Only working days (default true).
        workdays_only: Option<bool>, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `cron: {expr}`.
    RawCron { /// tokio-cron-scheduler syntax.
        expr: LStr, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `before_holidays: {holidays, before}`: before each statutory holiday (节假日前).
    RawBeforeHolidays { /// Holiday names as the calendar data writes them (元旦, 春节, 劳动节,
        /// 国庆节…), or `all` (the national holidays).
        holidays: Located<OneOrMany>, /// Lead before the first day off (default `1wd`: the
        /// last working day before it).
        before: Option<LStr>, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `after: {step, within}`: a step due `within` (`10wd`, `7d`) after the task's step named
    /// `step` is reported done (演练活动结束后10日内报送总结); no occurrence until then.
    RawAfter { /// The name of the rule it follows (`name:` of another rule of the task).
        step: LStr, /// How long after the report: `10wd` (working days), `7d`.
        within: LStr, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `during: {event, every}`: due every `every` (`1d`, `1wd`, `7d`) while a window of a
    /// declared event (`events: {flood_response: {declared: true}}`) is open (应急响应期间每日报告).
    RawDuring { /// A declared event's id.
        event: LStr, /// Cadence inside the window (default `1d`: every day).
        every: Option<LStr>, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
}

/// A recurrence rule: a one-key map naming its form.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawRule {
    /// One-off date.
    Once(RawOnce),
    /// Yearly on a month-day or named event.
    Yearly(RawYearly),
    /// A window.
    Campaign(RawCampaign),
    /// Every N years.
    EveryNYears(RawEveryNYears),
    /// Twice a year.
    HalfYearly(RawHalfYearly),
    /// Quarterly.
    Quarterly(RawQuarterly),
    /// Monthly.
    Monthly(RawMonthly),
    /// Weekly.
    Weekly(RawWeekly),
    /// Daily.
    Daily(RawDaily),
    /// Cron escape hatch.
    Cron(RawCron),
    /// Before each statutory holiday.
    BeforeHolidays(RawBeforeHolidays),
    /// A step that follows another step of the task once it is reported done.
    After(RawAfter),
    /// Repeated while a declared event's window is open.
    During(RawDuring),
}

pub use crate::config::raw_source::RawDeadline;

/// An integer or a string such as `-3wd` / `last_workday`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OffsetValue {
    /// Plain integer (calendar days, or a day number).
    Int(i64),
    /// Text to parse.
    Text(String),
}

impl<'de> Deserialize<'de> for OffsetValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = OffsetValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an integer or an offset like `-3wd`")
            }
            fn visit_i64<E>(self, v: i64) -> Result<OffsetValue, E> {
                Ok(OffsetValue::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<OffsetValue, E> {
                i64::try_from(v).map(OffsetValue::Int).map_err(E::custom)
            }
            fn visit_str<E>(self, v: &str) -> Result<OffsetValue, E> {
                Ok(OffsetValue::Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A single string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OneOrMany {
    /// `to: section_heads`.
    One(String),
    /// `to: [food, catering]`.
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<OneOrMany, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element::<String>()? {
                    v.push(x);
                }
                Ok(OneOrMany::Many(v))
            }
        }
        d.deserialize_any(V)
    }
}
