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

/// "3 working days" / "14 days" / "1 day" ([`push_offset`] into a new string).
pub(crate) fn offset_text(o: Offset) -> String {
    let mut s = String::new();
    push_offset(&mut s, o);
    s
}

/// Appends `d` as `Date`'s `Display` does (`2026-03-01`), without the formatting machinery:
/// nearly every stage reason of a plan has a date, ~1.6 million for 10,000 duties.
pub(crate) fn push_date(out: &mut String, d: Date) {
    match u32::try_from(d.year()) {
        Ok(y) if y <= 9999 => {
            push_digits(out, u64::from(y), 4);
            out.push('-');
            push_digits(out, u64::from(d.month().unsigned_abs()), 2);
            out.push('-');
            push_digits(out, u64::from(d.day().unsigned_abs()), 2);
        }
        // Years jiff prints with a sign and six digits.
        _ => out.push_str(&d.to_string()),
    }
}

/// `n` in exactly `width` digits, zero-padded (`n` < 10^width).
fn push_digits(out: &mut String, n: u64, width: u32) {
    for i in (0..width).rev() {
        let digit = (n / 10u64.pow(i)) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

/// Appends an integer in decimal.
pub(crate) fn push_int(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    let n = n.unsigned_abs();
    push_digits(out, n, n.checked_ilog10().map_or(1, |l| l + 1));
}

/// Appends "3 working days" / "14 days" / "1 day" / "0 days" for `o`.
pub(crate) fn push_offset(out: &mut String, o: Offset) {
    let (n, unit) = match o {
        Offset::Days(0) | Offset::Workdays(0) => (0, "days"),
        Offset::Days(n) => (n, if n == 1 { "day" } else { "days" }),
        Offset::Workdays(n) => (
            n,
            if n == 1 {
                "working day"
            } else {
                "working days"
            },
        ),
    };
    push_int(out, i64::from(n));
    out.push(' ');
    out.push_str(unit);
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

    /// The hand-written writers print what `Display` prints, and the offsets read as a table.
    #[test]
    fn pushed_texts_match_the_formatted_ones() {
        let mut d = date(1999, 12, 25);
        while d < date(2101, 1, 10) {
            let mut s = String::new();
            push_date(&mut s, d);
            assert_eq!(s, d.to_string());
            d = d.saturating_add(jiff::Span::new().days(1));
        }
        for d in [date(-5, 1, 1), date(9999, 12, 31), date(12, 3, 4)] {
            let mut s = String::new();
            push_date(&mut s, d);
            assert_eq!(s, d.to_string());
        }
        let offsets = [
            (Offset::Days(0), "0 days"),
            (Offset::Workdays(0), "0 days"),
            (Offset::Days(1), "1 day"),
            (Offset::Workdays(1), "1 working day"),
            (Offset::Days(-1), "-1 days"),
            (Offset::Days(14), "14 days"),
            (Offset::Workdays(10), "10 working days"),
            (Offset::Workdays(-3), "-3 working days"),
            (Offset::Days(100), "100 days"),
        ];
        for (o, want) in offsets {
            assert_eq!(offset_text(o), want, "{o:?}");
        }
        for n in [-12_345, -10, -1, 0, 1, 2, 9, 10, 11, 99, 100, 1000, 99_999] {
            let mut s = String::new();
            push_int(&mut s, i64::from(n));
            assert_eq!(s, n.to_string());
        }
    }
}
