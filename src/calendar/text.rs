//! Human-readable text about days: the "why" lines of `dutybell plan` and the one-line warning
//! for years without calendar data (and which years deserve it on a given day).
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

    /// The one-line warning for years without national data, or an empty string when `years` is
    /// empty, e.g. `no holiday data for 2027 yet; working-day dates in 2027 are provisional until
    /// you run `dutybell calendar import-notice``.
    pub fn uncovered_warning(&self, years: &[i16]) -> String {
        if years.is_empty() {
            return String::new();
        }
        let list = years
            .iter()
            .map(i16::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let in_what = if years.len() == 1 {
            list.clone()
        } else {
            "those years".to_string()
        };
        format!(
            "no holiday data for {list} yet; working-day dates in {in_what} are provisional until \
             you run `dutybell calendar import-notice`"
        )
    }

    /// The years to warn about on `today`: the current year when it has no national data, and
    /// the next year from 1 November on (the State Council publishes it in early or mid
    /// November; warning all year long would teach admins to ignore the line).
    pub fn years_to_warn(&self, today: Date) -> Vec<i16> {
        let y = today.year();
        let mut out = Vec::new();
        if !self.covers_year(y) {
            out.push(y);
        }
        if today.month() >= 11 && !self.covers_year(y + 1) {
            out.push(y + 1);
        }
        out
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
        assert_eq!(
            cal.uncovered_warning(&[2027]),
            "no holiday data for 2027 yet; working-day dates in 2027 are provisional until you \
             run `dutybell calendar import-notice`"
        );
        let two = cal.uncovered_warning(&[2027, 2028]);
        assert!(
            two.starts_with("no holiday data for 2027, 2028 yet; working-day dates in those years")
        );
    }

    #[test]
    fn warns_from_1_november_and_for_a_missing_current_year() {
        let cal = WorkCalendar::embedded();
        assert!(cal.years_to_warn(date(2026, 10, 31)).is_empty());
        assert_eq!(cal.years_to_warn(date(2026, 11, 1)), [2027]);
        assert_eq!(cal.years_to_warn(date(2026, 12, 31)), [2027]);
        assert!(cal.years_to_warn(date(2025, 11, 1)).is_empty());
        assert_eq!(cal.years_to_warn(date(2027, 3, 1)), [2027]);
        assert_eq!(cal.years_to_warn(date(2027, 11, 2)), [2027, 2028]);
    }
}
