//! [`CronExpr`]: a cron expression in tokio-cron-scheduler's dialect (seconds first), parsed once
//! when the config is loaded. One parser set-up for every cron in the program (task rules,
//! digests), so they all mean the same thing and nothing re-parses a cron in a loop.
//!
//! croner works on chrono date-times; [`CronExpr::next_at_or_after`] hands it a local wall-clock
//! time dressed as UTC and reads the answer back the same way. That is exact for zones without
//! daylight saving (the plans here are in Asia/Shanghai); in a zone with DST a fire time inside
//! the skipped hour would be reported as if it existed.

use chrono::{Datelike, TimeZone, Timelike};
use jiff::civil::DateTime;
use serde::{Serialize, Serializer};

/// A parsed cron expression; compares, prints and serialises as its text.
#[derive(Clone)]
pub struct CronExpr {
    text: String,
    cron: croner::Cron,
}

impl CronExpr {
    /// Parses `text` (sec min hour day month weekday; day and weekday both apply).
    ///
    /// # Errors
    /// croner's explanation.
    pub fn parse(text: &str) -> Result<CronExpr, String> {
        let cron = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Required)
            .dom_and_dow(true)
            .build()
            .parse(text)
            .map_err(|e| e.to_string())?;
        Ok(CronExpr {
            text: text.to_owned(),
            cron,
        })
    }

    /// Whether the expression fires at all: some day of a whole 400-year Gregorian cycle
    /// matches its day, month and weekday fields (both apply; the time fields always match
    /// something once parsed). At most 146,097 day checks, so bounded; croner's own search for
    /// the next time of an expression that never fires (`0 0 9 5 9 0L`: the 5th of September
    /// that is its last Sunday) walks on to the year 5000 and took seconds (found by fuzzing).
    /// Expressions that are not six fields are not checked here.
    pub fn ever_fires(&self) -> bool {
        let f: Vec<&str> = self.text.split_whitespace().collect();
        let [_, _, _, dom, month, dow] = f.as_slice() else {
            return true;
        };
        let Ok(days) = Self::parse(&format!("0 0 0 {dom} {month} {dow}")) else {
            return true;
        };
        let Some(start) = chrono::NaiveDate::from_ymd_opt(2000, 1, 1) else {
            return true;
        };
        start
            .iter_days()
            .take(146_097)
            .filter_map(|d| d.and_hms_opt(0, 0, 0))
            .any(|t| {
                days.cron
                    .is_time_matching(&chrono::Utc.from_utc_datetime(&t))
                    .unwrap_or(false)
            })
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first local date-time at or after `from` at which the expression fires.
    pub fn next_at_or_after(&self, from: DateTime) -> Option<DateTime> {
        let start = chrono::Utc
            .with_ymd_and_hms(
                i32::from(from.year()),
                u32::try_from(from.month()).ok()?,
                u32::try_from(from.day()).ok()?,
                u32::try_from(from.hour()).ok()?,
                u32::try_from(from.minute()).ok()?,
                u32::try_from(from.second()).ok()?,
            )
            .single()?;
        let next = self.cron.find_next_occurrence(&start, true).ok()?;
        Some(jiff::civil::datetime(
            i16::try_from(next.year()).ok()?,
            i8::try_from(next.month()).ok()?,
            i8::try_from(next.day()).ok()?,
            i8::try_from(next.hour()).ok()?,
            i8::try_from(next.minute()).ok()?,
            i8::try_from(next.second()).ok()?,
            0,
        ))
    }
}

impl PartialEq for CronExpr {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for CronExpr {}

impl std::fmt::Debug for CronExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CronExpr({:?})", self.text)
    }
}

impl std::fmt::Display for CronExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for CronExpr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::datetime;

    #[test]
    fn fires_at_or_after_in_local_time() {
        // Mondays 08:30.
        let c = CronExpr::parse("0 30 8 * * Mon").unwrap();
        let fri = datetime(2026, 9, 4, 12, 0, 0, 0);
        assert_eq!(
            c.next_at_or_after(fri),
            Some(datetime(2026, 9, 7, 8, 30, 0, 0))
        );
        let exact = datetime(2026, 9, 7, 8, 30, 0, 0);
        assert_eq!(c.next_at_or_after(exact), Some(exact));
        assert!(CronExpr::parse("0 61 8 * * *").is_err());
        assert_eq!(c.to_string(), "0 30 8 * * Mon");
    }
}
