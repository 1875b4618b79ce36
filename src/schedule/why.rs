//! Explanations ("why") and Chinese period labels for occurrences and reminders.
//!
//! Pure formatting: English for `dutybell plan`, holiday and event names as the data gives them.

use jiff::civil::Date;

use crate::calendar::{Offset, Shift, WorkCalendar};

/// `Wed 2026-09-30`.
pub(crate) fn short(d: Date) -> String {
    format!("{} {d}", d.strftime("%a"))
}

/// "moved from Sat 2026-10-03, 国庆节, to Wed 2026-09-30".
pub(crate) fn moved(cal: &WorkCalendar, from: Date, to: Date) -> String {
    format!("moved from {}, to {}", cal.describe(from), short(to))
}

/// `d` moved to a working day per `shift`; records the move in `why`.
pub(crate) fn shifted(cal: &WorkCalendar, d: Date, shift: Shift, why: &mut Vec<String>) -> Date {
    let s = cal.shift(d, shift);
    if s != d {
        why.push(moved(cal, d, s));
    } else if !cal.is_workday(d) {
        why.push(format!(
            "{} is not a working day; shift is none",
            cal.describe(d)
        ));
    }
    s
}

/// "3 working days" / "14 days" / "the day".
pub(crate) fn offset_text(o: Offset) -> String {
    match o {
        Offset::Days(0) | Offset::Workdays(0) => "0 days".into(),
        Offset::Days(1) => "1 day".into(),
        Offset::Days(n) => format!("{n} days"),
        Offset::Workdays(1) => "1 working day".into(),
        Offset::Workdays(n) => format!("{n} working days"),
    }
}

/// `2026年3月1日`.
pub(crate) fn zh_date(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The warning for an event date that came from the default.
pub(crate) fn default_event(event: &str, name: &str, date: Date) -> String {
    format!(
        "event {event} ({name}) {}: {date} is the default date; enter the real one under \
         `events.{event}.dates` in the config",
        date.year()
    )
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn texts() {
        let cal = WorkCalendar::embedded();
        assert_eq!(
            moved(&cal, date(2026, 10, 3), date(2026, 9, 30)),
            "moved from Sat 2026-10-03, 国庆节, to Wed 2026-09-30"
        );
        assert_eq!(offset_text(Offset::Workdays(3)), "3 working days");
        assert_eq!(offset_text(Offset::Days(14)), "14 days");
        assert_eq!(zh_date(date(2026, 3, 1)), "2026年3月1日");
    }
}
