//! Unit tests for loading, precedence and coverage, plus property tests of the arithmetic.
//! The hand-checked 2025/2026 tables live in `tests/it/calendar.rs`.

use jiff::civil::{Date, date};
use proptest::prelude::*;

use super::*;

/// A small national file for 2027 with one off day and one make-up day (invented test data).
const FAKE_2027: &str = r#"{"year": 2027, "papers": ["test"], "days": [
    {"name": "元旦", "date": "2027-01-01", "isOffDay": true},
    {"name": "元旦", "date": "2027-01-02", "isOffDay": false}
]}"#;

fn err(json: &str) -> String {
    let mut cal = WorkCalendar::empty();
    cal.load_holiday_cn_json("x/2027.json", json)
        .unwrap_err()
        .to_string()
}

#[test]
fn embedded_files_load_and_cover_2025_2026_only() {
    let cal = WorkCalendar::embedded();
    assert_eq!(cal.covered_years(), [2025, 2026]);
    let files = cal.loaded_files();
    assert_eq!(files.len(), 4);
    assert_eq!(
        (files[0].year, files[0].national, files[0].days),
        (2025, true, 33)
    );
    assert_eq!(
        (files[1].year, files[1].national, files[1].days),
        (2026, true, 39)
    );
    assert!(!files[2].national && !files[3].national);
    assert!(files[2].papers[0].starts_with("UNCONFIRMED"));
    assert!(
        files[1]
            .papers
            .iter()
            .any(|p| p.contains("content_7047091"))
    );
}

#[test]
fn uncovered_year_is_visible() {
    let cal = WorkCalendar::embedded();
    let info = cal.day(date(2027, 1, 1));
    // No data for 2027: New Year's Day is assumed to be a plain Friday.
    assert_eq!(info.kind, DayKind::Weekday);
    assert!(info.working && !info.covered);
    assert!(cal.day(date(2026, 12, 31)).covered);
    assert_eq!(
        cal.uncovered_years(date(2025, 6, 1), date(2027, 2, 1)),
        [2027]
    );
    assert_eq!(
        cal.uncovered_years(date(2028, 1, 1), date(2026, 1, 1)),
        [2027, 2028]
    );
    assert!(
        cal.uncovered_years(date(2025, 1, 1), date(2026, 12, 31))
            .is_empty()
    );
}

#[test]
fn loading_next_year_covers_it() {
    let mut cal = WorkCalendar::embedded();
    cal.load_holiday_cn_json("cal/2027.json", FAKE_2027)
        .unwrap();
    assert!(cal.covers_year(2027));
    let d = cal.day(date(2027, 1, 2));
    assert_eq!(
        d.kind,
        DayKind::MakeupWorkday {
            name: "元旦".into()
        }
    );
    assert_eq!(d.origin.as_deref(), Some("cal/2027.json"));
    assert!(!cal.is_workday(date(2027, 1, 1)));
}

#[test]
fn empty_placeholder_and_overlays_do_not_cover() {
    let mut cal = WorkCalendar::empty();
    cal.load_holiday_cn_json("2027.json", r#"{"year":2027,"papers":[],"days":[]}"#)
        .unwrap();
    cal.load_overlay_json("cn-nx-2028.json", &FAKE_2027.replace("2027", "2028"))
        .unwrap();
    assert!(!cal.covers_year(2027) && !cal.covers_year(2028));
    // The overlay's days still apply.
    assert!(!cal.is_workday(date(2028, 1, 1)));
}

#[test]
fn load_file_classifies_by_name() {
    let mut cal = WorkCalendar::empty();
    cal.load_file("/etc/dutybell/calendar/cn-nx-2027.json", FAKE_2027)
        .unwrap();
    assert!(!cal.covers_year(2027));
    cal.load_file("C:\\cal\\2027.json", FAKE_2027).unwrap();
    assert!(cal.covers_year(2027));
    assert_eq!(cal.loaded_files().len(), 2);
}

#[test]
fn later_file_overrides_earlier_per_date() {
    let mut cal = WorkCalendar::embedded();
    // A corrected notice that makes 2026-10-10 (a make-up Saturday) a rest day after all.
    let fix = r#"{"year":2026,"papers":[],"days":[{"name":"国庆节","date":"2026-10-10","isOffDay":true}]}"#;
    cal.load_holiday_cn_json("fix/2026.json", fix).unwrap();
    assert!(!cal.is_workday(date(2026, 10, 10)));
    // Other dates of the earlier file are untouched.
    assert!(cal.is_workday(date(2026, 9, 20)));
    assert!(!cal.is_workday(date(2026, 10, 1)));
}

#[test]
fn overrides_beat_files_loaded_before_and_after() {
    let mut cal = WorkCalendar::embedded();
    cal.add_override(date(2026, 10, 10), false, "局里值班", "dutybell.yaml:3:5");
    cal.add_override(date(2026, 10, 1), false, "国庆值班", "dutybell.yaml:4:5");
    cal.add_override(date(2026, 3, 4), true, "局里调休", "dutybell.yaml:5:5");
    let fix =
        r#"{"year":2026,"papers":[],"days":[{"name":"x","date":"2026-10-10","isOffDay":true}]}"#;
    cal.load_holiday_cn_json("late/2026.json", fix).unwrap();
    assert!(cal.is_workday(date(2026, 10, 10)));
    assert!(cal.is_workday(date(2026, 10, 1)));
    let info = cal.day(date(2026, 3, 4));
    assert!(!info.working);
    assert_eq!(
        info.kind,
        DayKind::Holiday {
            name: "局里调休".into()
        }
    );
    assert_eq!(info.origin.as_deref(), Some("dutybell.yaml:5:5"));
}

#[test]
fn errors_name_origin_and_problem() {
    assert!(err("{not json").starts_with("x/2027.json: malformed holiday-cn JSON: "));
    assert!(err(r#"{"year":2027}"#).contains("missing field `days`"));
    let bad_date = r#"{"year":2027,"days":[{"name":"a","date":"2027-02-30","isOffDay":true}]}"#;
    assert!(err(bad_date).starts_with("x/2027.json: days[0].date \"2027-02-30\" is not a valid"));
    let loose = r#"{"year":2027,"days":[{"name":"a","date":"2027-2-3","isOffDay":true}]}"#;
    assert!(err(loose).contains("expected the form YYYY-MM-DD"));
    let wrong = r#"{"year":2027,"days":[{"name":"a","date":"2026-11-30","isOffDay":true}]}"#;
    assert_eq!(
        err(wrong),
        "x/2027.json: days[0].date 2026-11-30 does not belong to the file's year 2027 \
         (only 2027, December 2026 and January 2028 are allowed)"
    );
    let dup = r#"{"year":2027,"days":[{"name":"a","date":"2027-01-01","isOffDay":true},
                 {"name":"a","date":"2027-01-01","isOffDay":false}]}"#;
    assert!(err(dup).contains("days[1].date 2027-01-01 is listed twice"));
    assert!(err(r#"{"year":20270,"days":[]}"#).contains("\"year\" 20270 is out of range"));
}

#[test]
fn adjacent_december_is_accepted_and_bad_file_changes_nothing() {
    let mut cal = WorkCalendar::empty();
    // holiday-cn 2012.json lists 2011-12-31 as a make-up day of the 2012 notice.
    let ok = r#"{"$schema":"s","year":2012,"days":[{"name":"元旦","date":"2011-12-31","isOffDay":false}]}"#;
    cal.load_holiday_cn_json("2012.json", ok).unwrap();
    assert!(cal.is_workday(date(2011, 12, 31)));
    let bad = r#"{"year":2027,"days":[{"name":"a","date":"2027-01-01","isOffDay":true},
                 {"name":"a","date":"bad","isOffDay":true}]}"#;
    assert!(cal.load_holiday_cn_json("2027.json", bad).is_err());
    assert!(cal.is_workday(date(2027, 1, 1)));
    assert_eq!(cal.loaded_files().len(), 1);
}

/// Dates from 2024 to 2028: covered years, both edges, and uncovered years on each side.
fn any_date() -> impl Strategy<Value = Date> {
    (0i32..5 * 366).prop_map(|n| date(2024, 1, 1).saturating_add(jiff::Span::new().days(n)))
}

proptest! {
    #[test]
    fn shifted_dates_are_working_days(d in any_date()) {
        let cal = WorkCalendar::embedded();
        prop_assert!(cal.is_workday(cal.shift(d, Shift::Previous)));
        prop_assert!(cal.is_workday(cal.shift(d, Shift::Next)));
        prop_assert!(cal.shift(d, Shift::Previous) <= d && cal.shift(d, Shift::Next) >= d);
        prop_assert_eq!(cal.shift(d, Shift::None), d);
    }

    #[test]
    fn add_workdays_lands_on_working_days(d in any_date(), n in -300i32..300) {
        let cal = WorkCalendar::embedded();
        prop_assume!(n != 0);
        prop_assert!(cal.is_workday(cal.add_workdays(d, n)));
    }

    #[test]
    fn add_workdays_round_trips_from_working_days(d in any_date(), n in -300i32..300) {
        let cal = WorkCalendar::embedded();
        let a = cal.shift(d, Shift::Next);
        prop_assert_eq!(cal.add_workdays(cal.add_workdays(a, n), -n), a);
        prop_assert_eq!(cal.workdays_between(a, cal.add_workdays(a, n)), n);
    }

    #[test]
    fn workdays_between_is_antisymmetric(a in any_date(), b in any_date()) {
        let cal = WorkCalendar::embedded();
        // Both directions count the same half-open interval, with opposite signs.
        prop_assert_eq!(cal.workdays_between(a, b), -cal.workdays_between(b, a));
        prop_assert_eq!(cal.workdays_between(a, a), 0);
    }

    #[test]
    fn the_year_bits_answer_as_the_entries_do(
        d in any_date(),
        overrides in proptest::collection::vec((any_date(), any::<bool>()), 0..8),
    ) {
        // The embedded calendar plus overrides in any years (also years without a file, and
        // Dec 31 of leap years): the bit test and the map lookups agree on every date.
        let mut cal = WorkCalendar::embedded();
        for (i, (day, off)) in overrides.iter().enumerate() {
            cal.add_override(*day, *off, "测试", &format!("test:{i}"));
        }
        prop_assert_eq!(cal.is_workday(d), cal.is_workday_slow(d));
        for (day, _) in &overrides {
            // The last override of a date wins.
            let off = overrides.iter().rev().find(|(x, _)| x == day).is_some_and(|(_, o)| *o);
            prop_assert_eq!(cal.is_workday(*day), !off);
            let eve = jiff::civil::Date::new(day.year(), 12, 31).unwrap();
            prop_assert_eq!(cal.is_workday(eve), cal.is_workday_slow(eve));
        }
    }
}
