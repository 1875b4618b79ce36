//! Hand-checked tables for the embedded 2025/2026 calendar (every off day and make-up working day
//! of the State Council notices, plus the UNCONFIRMED Ningxia days) and working-day arithmetic
//! around 春节 and 国庆. Expected values were written by hand from
//! /work/shared/reference/cn-calendar.md, not generated from the data files.

use dutybell::calendar::{DayKind, Offset, Shift, WorkCalendar};
use jiff::civil::{Date, Weekday, date};

/// Every national off day (y, m, d, name), written out date by date.
const OFF_DAYS: &[(i16, i8, i8, &str)] = &[
    (2025, 1, 1, "元旦"),
    (2025, 1, 28, "春节"),
    (2025, 1, 29, "春节"),
    (2025, 1, 30, "春节"),
    (2025, 1, 31, "春节"),
    (2025, 2, 1, "春节"),
    (2025, 2, 2, "春节"),
    (2025, 2, 3, "春节"),
    (2025, 2, 4, "春节"),
    (2025, 4, 4, "清明节"),
    (2025, 4, 5, "清明节"),
    (2025, 4, 6, "清明节"),
    (2025, 5, 1, "劳动节"),
    (2025, 5, 2, "劳动节"),
    (2025, 5, 3, "劳动节"),
    (2025, 5, 4, "劳动节"),
    (2025, 5, 5, "劳动节"),
    (2025, 5, 31, "端午节"),
    (2025, 6, 1, "端午节"),
    (2025, 6, 2, "端午节"),
    (2025, 10, 1, "国庆节、中秋节"),
    (2025, 10, 2, "国庆节、中秋节"),
    (2025, 10, 3, "国庆节、中秋节"),
    (2025, 10, 4, "国庆节、中秋节"),
    (2025, 10, 5, "国庆节、中秋节"),
    (2025, 10, 6, "国庆节、中秋节"),
    (2025, 10, 7, "国庆节、中秋节"),
    (2025, 10, 8, "国庆节、中秋节"),
    (2026, 1, 1, "元旦"),
    (2026, 1, 2, "元旦"),
    (2026, 1, 3, "元旦"),
    (2026, 2, 15, "春节"),
    (2026, 2, 16, "春节"),
    (2026, 2, 17, "春节"),
    (2026, 2, 18, "春节"),
    (2026, 2, 19, "春节"),
    (2026, 2, 20, "春节"),
    (2026, 2, 21, "春节"),
    (2026, 2, 22, "春节"),
    (2026, 2, 23, "春节"),
    (2026, 4, 4, "清明节"),
    (2026, 4, 5, "清明节"),
    (2026, 4, 6, "清明节"),
    (2026, 5, 1, "劳动节"),
    (2026, 5, 2, "劳动节"),
    (2026, 5, 3, "劳动节"),
    (2026, 5, 4, "劳动节"),
    (2026, 5, 5, "劳动节"),
    (2026, 6, 19, "端午节"),
    (2026, 6, 20, "端午节"),
    (2026, 6, 21, "端午节"),
    (2026, 9, 25, "中秋节"),
    (2026, 9, 26, "中秋节"),
    (2026, 9, 27, "中秋节"),
    (2026, 10, 1, "国庆节"),
    (2026, 10, 2, "国庆节"),
    (2026, 10, 3, "国庆节"),
    (2026, 10, 4, "国庆节"),
    (2026, 10, 5, "国庆节"),
    (2026, 10, 6, "国庆节"),
    (2026, 10, 7, "国庆节"),
];

/// Every make-up working day (调休上班) with the weekday it moves work onto.
const MAKEUP_DAYS: &[(i16, i8, i8, Weekday, &str)] = &[
    (2025, 1, 26, Weekday::Sunday, "春节"),
    (2025, 2, 8, Weekday::Saturday, "春节"),
    (2025, 4, 27, Weekday::Sunday, "劳动节"),
    (2025, 9, 28, Weekday::Sunday, "国庆节、中秋节"),
    (2025, 10, 11, Weekday::Saturday, "国庆节、中秋节"),
    (2026, 1, 4, Weekday::Sunday, "元旦"),
    (2026, 2, 14, Weekday::Saturday, "春节"),
    (2026, 2, 28, Weekday::Saturday, "春节"),
    (2026, 5, 9, Weekday::Saturday, "劳动节"),
    (2026, 9, 20, Weekday::Sunday, "国庆节"),
    (2026, 10, 10, Weekday::Saturday, "国庆节"),
];

/// Ningxia overlay days (UNCONFIRMED dates, see docs/CALENDAR.md).
const NINGXIA_DAYS: &[(i16, i8, i8, &str)] = &[
    (2025, 3, 31, "开斋节"),
    (2025, 4, 1, "开斋节"),
    (2025, 6, 6, "古尔邦节"),
    (2026, 5, 27, "古尔邦节"),
    (2026, 5, 28, "古尔邦节"),
];

fn holiday(name: &str) -> DayKind {
    DayKind::Holiday { name: name.into() }
}

#[test]
fn every_off_day_is_a_named_holiday() {
    let cal = WorkCalendar::embedded();
    // 28 days in 2025 (1+8+3+5+3+8) and 33 in 2026 (3+9+3+5+3+3+7).
    assert_eq!(OFF_DAYS.iter().filter(|r| r.0 == 2025).count(), 28);
    assert_eq!(OFF_DAYS.iter().filter(|r| r.0 == 2026).count(), 33);
    for &(y, m, d, name) in OFF_DAYS.iter().chain(NINGXIA_DAYS) {
        let info = cal.day(date(y, m, d));
        assert_eq!(info.kind, holiday(name), "{y}-{m}-{d}");
        assert!(!info.working && info.covered, "{y}-{m}-{d}");
        assert!(!cal.is_workday(date(y, m, d)));
    }
}

#[test]
fn every_makeup_day_is_a_working_weekend() {
    let cal = WorkCalendar::embedded();
    for &(y, m, d, weekday, name) in MAKEUP_DAYS {
        let dt = date(y, m, d);
        assert_eq!(dt.weekday(), weekday, "{dt}");
        let info = cal.day(dt);
        assert_eq!(
            info.kind,
            DayKind::MakeupWorkday { name: name.into() },
            "{dt}"
        );
        assert!(info.working && cal.is_workday(dt), "{dt}");
    }
}

#[test]
fn all_other_days_of_2025_and_2026_follow_the_weekday_rule() {
    let cal = WorkCalendar::embedded();
    let listed = |d: Date| {
        let key = (d.year(), d.month(), d.day());
        OFF_DAYS
            .iter()
            .chain(NINGXIA_DAYS)
            .any(|r| (r.0, r.1, r.2) == key)
            || MAKEUP_DAYS.iter().any(|r| (r.0, r.1, r.2) == key)
    };
    let mut d = date(2025, 1, 1);
    let mut checked = 0;
    while d <= date(2026, 12, 31) {
        if !listed(d) {
            let weekend = matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday);
            let info = cal.day(d);
            let kind = if weekend {
                DayKind::Weekend
            } else {
                DayKind::Weekday
            };
            assert_eq!(
                (info.kind, info.working, info.covered),
                (kind, !weekend, true),
                "{d}"
            );
            checked += 1;
        }
        d = d.tomorrow().unwrap();
    }
    // 730 days minus 61 off days, 11 make-up days and 5 Ningxia days.
    assert_eq!(checked, 730 - 61 - 11 - 5);
}

#[test]
fn some_ordinary_days() {
    let cal = WorkCalendar::embedded();
    assert_eq!(cal.day(date(2026, 3, 2)).kind, DayKind::Weekday); // Mon
    assert_eq!(cal.day(date(2026, 3, 7)).kind, DayKind::Weekend); // Sat
    assert_eq!(cal.day(date(2025, 10, 12)).kind, DayKind::Weekend); // Sun after make-up Sat
    // 开斋节 2026 fell on Sat 03-21: no weekday off, so Fri 03-20 and Mon 03-23 are working.
    assert!(cal.is_workday(date(2026, 3, 20)) && cal.is_workday(date(2026, 3, 23)));
    assert_eq!(cal.day(date(2026, 3, 21)).kind, DayKind::Weekend);
}

#[test]
fn spring_festival_2026() {
    let cal = WorkCalendar::embedded();
    // Fri 02-13 -> Sat 02-14 is a make-up working day.
    assert_eq!(cal.next_workday(date(2026, 2, 13)), date(2026, 2, 14));
    // After 02-14, 02-15..02-23 are off; Tue 02-24 is the first working day.
    assert_eq!(cal.add_workdays(date(2026, 2, 14), 1), date(2026, 2, 24));
    assert_eq!(cal.add_workdays(date(2026, 2, 13), 2), date(2026, 2, 24));
    assert_eq!(cal.prev_workday(date(2026, 2, 24)), date(2026, 2, 14));
    // Fri 02-27 -> Sat 02-28 (make-up) -> Mon 03-02.
    assert_eq!(cal.add_workdays(date(2026, 2, 27), 1), date(2026, 2, 28));
    assert_eq!(cal.add_workdays(date(2026, 2, 27), 2), date(2026, 3, 2));
    // (02-13, 02-27]: 02-14, 02-24, 02-25, 02-26, 02-27 = 5.
    assert_eq!(
        cal.workdays_between(date(2026, 2, 13), date(2026, 2, 27)),
        5
    );
    assert_eq!(
        cal.workdays_between(date(2026, 2, 27), date(2026, 2, 13)),
        -5
    );
}

#[test]
fn spring_festival_2025() {
    let cal = WorkCalendar::embedded();
    // Sun 01-26 make-up, Mon 01-27 working, 01-28..02-04 off, Wed 02-05 next.
    assert_eq!(cal.next_workday(date(2025, 1, 24)), date(2025, 1, 26));
    assert_eq!(cal.add_workdays(date(2025, 1, 27), 1), date(2025, 2, 5));
    // Wed 02-05, Thu 02-06, Fri 02-07, Sat 02-08 (make-up): 4 working days after 01-27.
    assert_eq!(cal.add_workdays(date(2025, 1, 27), 4), date(2025, 2, 8));
}

#[test]
fn national_day_2025() {
    let cal = WorkCalendar::embedded();
    // Fri 09-26 -> Sun 09-28 (make-up); Sat 09-27 is a plain weekend.
    assert_eq!(cal.next_workday(date(2025, 9, 26)), date(2025, 9, 28));
    // From Tue 09-30: 10-01..10-08 off; Thu 10-09 (1), Fri 10-10 (2), Sat 10-11 make-up (3),
    // Sun 10-12 rest, Mon 10-13 (4).
    assert_eq!(cal.add_workdays(date(2025, 9, 30), 1), date(2025, 10, 9));
    assert_eq!(cal.add_workdays(date(2025, 9, 30), 3), date(2025, 10, 11));
    assert_eq!(cal.add_workdays(date(2025, 9, 30), 4), date(2025, 10, 13));
    assert_eq!(cal.add_workdays(date(2025, 10, 13), -4), date(2025, 9, 30));
    // (09-26, 10-13]: 09-28, 09-29, 09-30, 10-09, 10-10, 10-11, 10-13 = 7.
    assert_eq!(
        cal.workdays_between(date(2025, 9, 26), date(2025, 10, 13)),
        7
    );
}

#[test]
fn mid_autumn_and_national_day_2026() {
    let cal = WorkCalendar::embedded();
    // Thu 09-24 -> 09-25..09-27 off (中秋) -> Mon 09-28.
    assert_eq!(cal.next_workday(date(2026, 9, 24)), date(2026, 9, 28));
    // From Wed 09-30: 10-01..10-07 off; Thu 10-08 (1), Fri 10-09 (2), Sat 10-10 make-up (3),
    // Sun 10-11 rest, Mon 10-12 (4).
    assert_eq!(cal.add_workdays(date(2026, 9, 30), 1), date(2026, 10, 8));
    assert_eq!(cal.add_workdays(date(2026, 9, 30), 3), date(2026, 10, 10));
    assert_eq!(cal.add_workdays(date(2026, 9, 30), 4), date(2026, 10, 12));
    assert_eq!(cal.prev_workday(date(2026, 10, 8)), date(2026, 9, 30));
    // (Fri 09-18, Mon 10-12]: Sun 09-20 make-up, 09-21..09-24 (4), 09-28..09-30 (3),
    // 10-08, 10-09, 10-10, 10-12 (4) = 12.
    assert_eq!(
        cal.workdays_between(date(2026, 9, 18), date(2026, 10, 12)),
        12
    );
}

#[test]
fn ningxia_days_shift_arithmetic() {
    let cal = WorkCalendar::embedded();
    // Fri 2025-03-28 -> Mon 03-31 and Tue 04-01 off (开斋节) -> Wed 04-02.
    assert_eq!(cal.next_workday(date(2025, 3, 28)), date(2025, 4, 2));
    // Thu 2025-06-05 -> Fri 06-06 off (古尔邦节), weekend -> Mon 06-09.
    assert_eq!(cal.next_workday(date(2025, 6, 5)), date(2025, 6, 9));
}

#[test]
fn shift_around_holidays() {
    let cal = WorkCalendar::embedded();
    let d = date(2026, 10, 3); // Sat, 国庆节
    assert_eq!(cal.shift(d, Shift::Previous), date(2026, 9, 30));
    assert_eq!(cal.shift(d, Shift::Next), date(2026, 10, 8));
    assert_eq!(cal.shift(d, Shift::None), d);
    // Sun 02-15 (春节): the previous working day is the make-up Saturday 02-14.
    assert_eq!(
        cal.shift(date(2026, 2, 15), Shift::Previous),
        date(2026, 2, 14)
    );
    assert_eq!(cal.shift(date(2026, 2, 15), Shift::Next), date(2026, 2, 24));
    // Working days, including make-up Saturdays, stay put.
    assert_eq!(
        cal.shift(date(2026, 10, 10), Shift::Previous),
        date(2026, 10, 10)
    );
    assert_eq!(cal.shift(date(2026, 3, 2), Shift::Next), date(2026, 3, 2));
    // Wed 2025-01-01: previous is Tue 2024-12-31 (2024 uncovered: weekday assumed).
    assert_eq!(
        cal.shift(date(2025, 1, 1), Shift::Previous),
        date(2024, 12, 31)
    );
    assert_eq!(cal.shift(date(2025, 1, 1), Shift::Next), date(2025, 1, 2));
    // Labour Day 2026: Fri 05-01..Tue 05-05 off -> Wed 05-06.
    assert_eq!(cal.shift(date(2026, 5, 1), Shift::Next), date(2026, 5, 6));
}

#[test]
fn shift_deserializes_snake_case() {
    let v: Vec<Shift> = serde_json::from_str(r#"["none","previous","next"]"#).unwrap();
    assert_eq!(v, [Shift::None, Shift::Previous, Shift::Next]);
    assert!(serde_json::from_str::<Shift>(r#""Previous""#).is_err());
}

#[test]
fn offsets_apply_and_before() {
    let cal = WorkCalendar::embedded();
    let due = date(2026, 10, 8); // Thu, first working day after 国庆
    // 3 working days before 10-08: 09-30 (1), 09-29 (2), 09-28 (3).
    assert_eq!(cal.before(due, "3wd".parse().unwrap()), date(2026, 9, 28));
    assert_eq!(cal.before(due, "14d".parse().unwrap()), date(2026, 9, 24));
    assert_eq!(
        cal.before(date(2026, 2, 24), "2w".parse().unwrap()),
        date(2026, 2, 10)
    );
    assert_eq!(
        cal.apply(date(2026, 2, 13), "1wd".parse().unwrap()),
        date(2026, 2, 14)
    );
    assert_eq!(cal.apply(due, "-3wd".parse().unwrap()), date(2026, 9, 28));
    // 0d and 0wd are the day itself, even on a holiday.
    let holiday = date(2026, 10, 3);
    assert_eq!(cal.apply(holiday, Offset::Days(0)), holiday);
    assert_eq!(cal.before(holiday, Offset::Workdays(0)), holiday);
    assert_eq!(cal.add_workdays(holiday, 0), holiday);
}

#[test]
fn year_without_data_is_reported() {
    let cal = WorkCalendar::embedded();
    let info = cal.day(date(2027, 10, 1));
    // Fri 2027-10-01 will surely be 国庆节, but without data it is an assumed working day.
    assert!(info.working && !info.covered);
    assert!(!cal.covers_year(2027));
    let years = cal.uncovered_years(date(2026, 11, 1), date(2027, 12, 31));
    assert_eq!(years, [2027]);
    let warning = cal.uncovered_warning(&years);
    assert!(warning.contains("2027") && warning.contains("dutybell calendar import-notice"));
    assert!(
        cal.describe(date(2027, 10, 1))
            .ends_with("(assumed: no calendar data for 2027)")
    );
}
