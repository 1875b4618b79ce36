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
    /// Parses `text` (sec min hour day month weekday; day and weekday both apply). A list with an
    /// empty item (`,5`, `1,,2`) is refused here: croner reads it as a field that matches
    /// nothing.
    ///
    /// # Errors
    /// croner's explanation, or which field has an empty list item.
    pub fn parse(text: &str) -> Result<CronExpr, String> {
        const FIELDS: [&str; 6] = ["seconds", "minutes", "hours", "day", "month", "weekday"];
        for (i, field) in text.split_whitespace().enumerate() {
            if field.split(',').any(str::is_empty) {
                let name = FIELDS.get(i).copied().unwrap_or("extra");
                return Err(format!(
                    "the {name} field `{field}` has an empty list item (a stray comma)"
                ));
            }
        }
        Self::parse_unchecked(text)
    }

    fn parse_unchecked(text: &str) -> Result<CronExpr, String> {
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

    /// Whether the expression fires at all: each time field (second, minute, hour) matches some
    /// value of its range, and some day of a whole 400-year Gregorian cycle matches the day,
    /// month and weekday fields (both apply). At most 144 + 146,097 checks, so bounded; croner's
    /// own search for the next time of an expression that never fires walks on to the year 5000
    /// and took seconds (found by fuzzing: `0 0 9 5 9 0L`, the 5th of September that is its last
    /// Sunday; `, * 1 * * *`, an empty seconds list). Expressions that are not six fields are not
    /// checked here.
    pub fn ever_fires(&self) -> bool {
        let f: Vec<&str> = self.text.split_whitespace().collect();
        let [sec, min, hour, dom, month, dow] = f.as_slice() else {
            return true;
        };
        // One field at a time against a day that every day-pattern `* * *` matches.
        let Some(day0) = chrono::NaiveDate::from_ymd_opt(2000, 1, 1) else {
            return true;
        };
        let field_matches = |pattern: String, range: u32, at: fn(u32) -> (u32, u32, u32)| {
            let Ok(c) = Self::parse_unchecked(&pattern) else {
                return true;
            };
            (0..range).any(|v| {
                let (h, m, s) = at(v);
                day0.and_hms_opt(h, m, s).is_some_and(|t| {
                    c.cron
                        .is_time_matching(&chrono::Utc.from_utc_datetime(&t))
                        .unwrap_or(false)
                })
            })
        };
        if !field_matches(format!("{sec} 0 0 * * *"), 60, |v| (0, 0, v))
            || !field_matches(format!("0 {min} 0 * * *"), 60, |v| (0, v, 0))
            || !field_matches(format!("0 0 {hour} * * *"), 24, |v| (v, 0, 0))
        {
            return false;
        }
        let Ok(days) = Self::parse_unchecked(&format!("0 0 0 {dom} {month} {dow}")) else {
            return true;
        };
        day0.iter_days()
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
