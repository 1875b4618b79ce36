//! Human-readable text about days: the "why" lines of `dutybell plan` and the loud warning for
//! years without calendar data.
//!
//! Pure formatting. Log/CLI text is English; holiday names stay as the data gives them (Chinese).

use jiff::civil::Date;

use super::{DayKind, WorkCalendar};

impl WorkCalendar {
    /// One line describing `d`, e.g. `Sat 2026-10-03, 国庆节`, `Sat 2026-02-14, 春节调休上班`,
    /// `Tue 2026-03-03, working day`, `Sat 2026-03-07, weekend`. When the year has no data the
    /// line ends with `(assumed: no calendar data for 2027)`.
    pub fn describe(&self, d: Date) -> String {
        let info = self.day(d);
        let what = match &info.kind {
            DayKind::Weekday => "working day".to_string(),
            DayKind::Weekend => "weekend".to_string(),
            DayKind::Holiday { name } => name.clone(),
            DayKind::MakeupWorkday { name } => format!("{name}调休上班"),
        };
        let mut line = format!("{} {}, {what}", d.strftime("%a"), d);
        if !info.covered {
            line.push_str(&format!(" (assumed: no calendar data for {})", d.year()));
        }
        line
    }

    /// The loud warning for years without national data, or an empty string when `years` is
    /// empty. It names the years and says how to add the data.
    pub fn uncovered_warning(&self, years: &[i16]) -> String {
        if years.is_empty() {
            return String::new();
        }
        let list = years
            .iter()
            .map(i16::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let (noun, files) = if years.len() == 1 {
            ("year", format!("{}.json", years[0]))
        } else {
            ("years", format!("{}.json etc.", years[0]))
        };
        format!(
            "WARNING: no Chinese holiday calendar data for {noun} {list}. Dates in {list} are \
             computed as if every Monday-Friday were a working day and every weekend a rest day, \
             ignoring statutory holidays and make-up working days (调休). Add the State Council \
             arrangement as holiday-cn JSON ({files}) to the calendar directory named by the \
             `calendar:` setting, or add `calendar_overrides:` entries; see docs/CALENDAR.md."
        )
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn describes_each_kind() {
        let cal = WorkCalendar::embedded();
        assert_eq!(cal.describe(date(2026, 10, 3)), "Sat 2026-10-03, 国庆节");
        // 2026-02-14 is a Saturday (the brief's example said "Sun").
        assert_eq!(
            cal.describe(date(2026, 2, 14)),
            "Sat 2026-02-14, 春节调休上班"
        );
        assert_eq!(
            cal.describe(date(2025, 9, 28)),
            "Sun 2025-09-28, 国庆节、中秋节调休上班"
        );
        assert_eq!(
            cal.describe(date(2026, 3, 3)),
            "Tue 2026-03-03, working day"
        );
        assert_eq!(cal.describe(date(2026, 3, 7)), "Sat 2026-03-07, weekend");
        assert_eq!(cal.describe(date(2025, 3, 31)), "Mon 2025-03-31, 开斋节");
        assert_eq!(
            cal.describe(date(2027, 3, 1)),
            "Mon 2027-03-01, working day (assumed: no calendar data for 2027)"
        );
    }

    #[test]
    fn warning_names_years_and_the_fix() {
        let cal = WorkCalendar::embedded();
        assert_eq!(cal.uncovered_warning(&[]), "");
        let one = cal.uncovered_warning(&[2027]);
        assert!(one.starts_with("WARNING: no Chinese holiday calendar data for year 2027."));
        assert!(one.contains("2027.json") && one.contains("docs/CALENDAR.md"));
        let two = cal.uncovered_warning(&[2027, 2028]);
        assert!(two.contains("for years 2027, 2028."), "{two}");
    }
}
