//! Small value parsers shared by the validators: dates, month-days, times, emails, offsets.
//!
//! Pure; each returns a message that the caller locates.

use jiff::civil::{Date, Time, Weekday};

use crate::calendar::Offset;
use crate::config::raw::OffsetValue;

/// `2027-06-30`.
pub fn date(s: &str) -> Result<Date, String> {
    s.parse::<Date>()
        .map_err(|_| format!("`{s}` is not a valid date; expected YYYY-MM-DD, e.g. 2027-06-30"))
}

/// `"03-01"` → (3, 1); Feb 30 and the like are refused since they never occur.
pub fn month_day(s: &str) -> Result<(i8, i8), String> {
    let bad = || format!("`{s}` is not a month-day; expected \"MM-DD\" in quotes, e.g. \"03-01\"");
    let (m, d) = s.split_once('-').ok_or_else(bad)?;
    let (m, d): (i8, i8) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    // 2024 is a leap year, so Feb 29 is accepted here (it then only occurs in leap years).
    Date::new(2024, m, d).map_err(|_| format!("`{s}` never occurs (month {m} has no day {d})"))?;
    Ok((m, d))
}

/// A recurrence bound: `2024` (year), `2024-H2`, `2024-Q2`, `2024-05` or a date; the first day
/// of that period, or its last day when `end` (for `until`).
pub fn period_bound(s: &str, end: bool) -> Result<Date, String> {
    let bad = || {
        format!(
            "`{s}` is not a period; expected a year (2024), half (2024-H2), quarter (2024-Q2), \
             month (2024-05) or date (2024-05-20)"
        )
    };
    if let Ok(d) = s.parse::<Date>() {
        return Ok(d);
    }
    let (y, rest) = s.split_once('-').map_or((s, None), |(a, b)| (a, Some(b)));
    let y: i16 = y
        .parse()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(bad)?;
    let (first, months): (i8, i8) = match rest {
        None => (1, 12),
        Some(r) if r.starts_with(['H', 'h']) => match &r[1..] {
            "1" => (1, 6),
            "2" => (7, 6),
            _ => return Err(bad()),
        },
        Some(r) if r.starts_with(['Q', 'q']) => match r[1..].parse::<i8>() {
            Ok(q @ 1..=4) => (3 * q - 2, 3),
            _ => return Err(bad()),
        },
        Some(r) => match r.parse::<i8>() {
            Ok(m @ 1..=12) => (m, 1),
            _ => return Err(bad()),
        },
    };
    let start = Date::new(y, first, 1).map_err(|_| bad())?;
    if !end {
        return Ok(start);
    }
    let last = start
        .checked_add(jiff::Span::new().months(i64::from(months - 1)))
        .map_err(|_| bad())?;
    Ok(last.last_of_month())
}

/// `"09:00"`.
pub fn time(s: &str) -> Result<Time, String> {
    let t: Time = s.parse().map_err(|_| {
        format!("`{s}` is not a time of day; expected \"HH:MM\" in quotes, e.g. \"09:00\"")
    })?;
    Ok(t)
}

/// A plausible email address (what lettre will accept).
pub fn email(s: &str) -> Result<String, String> {
    match s.parse::<lettre::Address>() {
        Ok(a) if a.domain().contains('.') => Ok(s.to_string()),
        _ => Err(format!("`{s}` is not a valid email address")),
    }
}

/// `14d`, `3wd`, `2w`.
pub fn offset(s: &str) -> Result<Offset, String> {
    s.parse::<Offset>().map_err(|e| format!("{e}"))
}

/// An integer (calendar days) or an offset string.
pub fn offset_value(v: &OffsetValue) -> Result<Offset, String> {
    match v {
        OffsetValue::Int(i) => i32::try_from(*i)
            .map(Offset::Days)
            .map_err(|_| format!("{i} is out of range")),
        OffsetValue::Text(s) => offset(s),
    }
}

/// `mon` … `sun`.
pub fn weekday(s: &str) -> Result<Weekday, String> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "mon" | "monday" => Weekday::Monday,
        "tue" | "tuesday" => Weekday::Tuesday,
        "wed" | "wednesday" => Weekday::Wednesday,
        "thu" | "thursday" => Weekday::Thursday,
        "fri" | "friday" => Weekday::Friday,
        "sat" | "saturday" => Weekday::Saturday,
        "sun" | "sunday" => Weekday::Sunday,
        _ => {
            return Err(format!(
                "`{s}` is not a weekday; expected mon, tue, wed, thu, fri, sat or sun"
            ));
        }
    })
}

/// An id: lowercase ASCII letters, digits, `_` and `-`.
pub fn id(s: &str) -> Result<(), String> {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        Ok(())
    } else {
        Err(format!(
            "`{s}` is not a valid id; use lowercase letters, digits, `_` and `-`"
        ))
    }
}

/// Validate a cron expression in tokio-cron-scheduler's dialect (seconds first): the expression
/// must be accepted by `tokio_cron_scheduler::Job` itself, and croner (the parser it uses, with
/// its settings) supplies the explanation when it is not.
pub fn cron(expr: &str) -> Result<crate::model::CronExpr, String> {
    let invalid = |detail: String| {
        format!(
            "`{expr}` is not a valid cron expression (sec min hour day month weekday): {detail}"
        )
    };
    // Our parse and the "never fires" check come first and are bounded: tokio-cron-scheduler
    // (below) and croner search until the year 5000 for the first time of an expression that
    // never fires (seconds per check; 59 s for `, * 1 * * *` in a debug build).
    let c = crate::model::CronExpr::parse(expr).map_err(invalid)?;
    if !c.ever_fires() {
        return Err(format!(
            "`{expr}` never fires: no date and time match all its fields (the day and the \
             weekday must both match)"
        ));
    }
    tokio_cron_scheduler::Job::new_async(expr, |_, _| Box::pin(async {}))
        .map_err(|e| invalid(e.to_string()))?;
    Ok(c)
}

/// True for `localhost`, 127.0.0.0/8 and `::1` (also written `[::1]`): the only hosts plain
/// SMTP may go to.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") || h.eq_ignore_ascii_case("localhost.") {
        return true;
    }
    h.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_days() {
        assert_eq!(month_day("03-01"), Ok((3, 1)));
        assert_eq!(month_day("02-29"), Ok((2, 29)));
        assert!(month_day("02-30").unwrap_err().contains("never occurs"));
        assert!(month_day("13-01").is_err());
        assert!(month_day("0301").is_err());
    }

    #[test]
    fn period_bounds() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(period_bound("2024-Q2", false), Ok(d("2024-04-01")));
        assert_eq!(period_bound("2024-Q2", true), Ok(d("2024-06-30")));
        assert_eq!(period_bound("2027", true), Ok(d("2027-12-31")));
        assert_eq!(period_bound("2024-H2", false), Ok(d("2024-07-01")));
        assert_eq!(period_bound("2024-02", true), Ok(d("2024-02-29")));
        assert_eq!(period_bound("2027-12-31", true), Ok(d("2027-12-31")));
        assert!(period_bound("2024-Q5", false).is_err());
        assert!(period_bound("24", false).is_err());
    }

    #[test]
    fn emails_and_times_and_cron() {
        assert!(email("food@example.org").is_ok());
        assert!(email("food@@example").is_err());
        assert!(email("food").is_err());
        assert!(time("09:00").is_ok());
        assert!(time("25:00").is_err());
        assert!(cron("0 30 8 * * Mon").is_ok());
        assert!(cron("30 8 * * Mon").is_err());
    }
}
/// Inputs the cargo-fuzz runs found (docs/TESTING.md, "Fuzzing").
#[cfg(test)]
mod fuzz_found {
    /// Expressions that never fire made `check` spend seconds each (11 s in the fuzz build) in
    /// tokio-cron-scheduler's and croner's search; they are now refused at once.
    #[test]
    fn crons_that_never_fire_are_refused_quickly() {
        for e in [
            "0 0 9 5 9 0L",
            "0 0 4 9 * +",
            "0 0 9 31 2 *",
            "0 0 9 30 2 1",
        ] {
            let t = std::time::Instant::now();
            let err = super::cron(e).unwrap_err();
            assert!(err.contains("never fires"), "{e}: {err}");
            assert!(
                t.elapsed() < std::time::Duration::from_secs(2),
                "{e}: {:?}",
                t.elapsed()
            );
        }
        // An empty list item (found by the libFuzzer smoke: 59 s in a debug build).
        for e in [
            ", * 1 * * *",
            "0 0,,5 9 * * *",
            "0 0 9 1, * *",
            "0 0 9 * * ,Mon",
        ] {
            let t = std::time::Instant::now();
            let err = super::cron(e).unwrap_err();
            assert!(err.contains("empty list item"), "{e}: {err}");
            assert!(t.elapsed() < std::time::Duration::from_secs(2), "{e}");
        }
        for e in [
            "0 0 9 29 2 1",
            "0 0 9 * * 1",
            "0 30 8 * * Mon-Fri",
            "0 0 9 L * *",
        ] {
            assert!(super::cron(e).is_ok(), "{e}");
        }
    }
}
