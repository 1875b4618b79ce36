//! Unit tests of the notice parser: wording variants and errors. The full 2020–2026 notices with
//! hand-written expected tables are in `tests/it/calendar_notice.rs`.

use jiff::civil::{Date, date};

use super::notice::*;

const N2026: &str = include_str!("../../tests/fixtures/notices/2026.txt");
const N2024: &str = include_str!("../../tests/fixtures/notices/2024.txt");
const NX2021: &str = include_str!("../../tests/fixtures/notices/cn-nx-2021.txt");

type Days = Vec<(String, Vec<Date>, Vec<Date>)>;

fn days(text: &str, year: Option<i16>) -> Days {
    let n = parse_notice(text, year).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    n.holidays
        .into_iter()
        .map(|h| (h.name, h.off, h.workdays))
        .collect()
}

fn errors(text: &str, year: Option<i16>) -> Vec<NoticeError> {
    parse_notice(text, year).unwrap_err()
}

#[test]
fn the_2026_notice() {
    let d = days(N2026, None);
    assert_eq!(d.len(), 7);
    assert_eq!(d[1].0, "春节");
    assert_eq!(d[1].1.len(), 9);
    assert_eq!(d[1].2, [date(2026, 2, 14), date(2026, 2, 28)]);
}

#[test]
fn full_width_digits() {
    let wide: String = N2026
        .chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap(),
            _ => c,
        })
        .collect();
    assert!(wide.contains("１月１日"));
    assert_eq!(days(&wide, None), days(N2026, None));
}

#[test]
fn half_width_punctuation() {
    let narrow = N2026
        .replace('：', ":")
        .replace('（', "(")
        .replace('）', ")")
        .replace('，', ",")
        .replace('；', ";");
    assert!(narrow.contains("元旦:1月1日(周四)"));
    assert_eq!(days(&narrow, None), days(N2026, None));
}

#[test]
fn brackets_removed_or_dropped_with_their_notes() {
    let bare = N2026.replace(['（', '）'], "");
    assert!(bare.contains("2月15日农历腊月二十八、周日至23日农历正月初七、周一放假"));
    assert_eq!(days(&bare, None), days(N2026, None));
    // Without the notes at all (as older notices wrote the days off).
    let mut none = String::new();
    let mut depth = 0;
    for c in N2026.chars() {
        match c {
            '（' => depth += 1,
            '）' => depth -= 1,
            _ if depth == 0 => none.push(c),
            _ => {}
        }
    }
    assert!(none.contains("1月1日至3日放假调休"));
    assert_eq!(days(&none, None), days(N2026, None));
}

#[test]
fn line_breaks_and_spaces_anywhere() {
    let mut rng = fastrand::Rng::with_seed(18);
    for _ in 0..20 {
        let mut noisy = String::new();
        for c in N2026.chars() {
            noisy.push(c);
            match rng.u8(0..10) {
                0 => noisy.push('\n'),
                1 => noisy.push(' '),
                2 => noisy.push('\u{3000}'),
                _ => {}
            }
        }
        assert_eq!(days(&noisy, None), days(N2026, None), "{noisy}");
    }
}

#[test]
fn xingqi_and_zhou_are_the_same() {
    let xingqi = N2026.replace("（周", "（星期").replace("、周", "、星期");
    assert!(xingqi.contains("1月1日（星期四）"));
    assert_eq!(days(&xingqi, None), days(N2026, None));
    let zhou = N2024.replace("星期", "周");
    assert_eq!(days(&zhou, None), days(N2024, None));
    assert_eq!(
        days(&N2024.replace("星期日", "星期天"), None),
        days(N2024, None)
    );
}

#[test]
fn year_from_the_option_when_there_is_no_title() {
    let body = N2026.split_once("如下。").unwrap().1;
    assert_eq!(days(body, Some(2026)), days(N2026, None));
    assert_eq!(errors(body, None), [NoticeError::NoYear]);
    let e = errors(N2026, Some(2027));
    assert!(matches!(
        e[..],
        [NoticeError::YearConflict {
            found: 2026,
            given: 2027,
            ..
        }]
    ));
}

#[test]
fn regional_scope_hui_or_all() {
    let hui = NX2021.replace(
        "五、开斋节：5月13日（星期四）至14日（星期五）放假",
        "五、开斋节：全区回族职工5月13日（星期四）至14日（星期五）放假",
    );
    let n = parse_notice(&hui, None).unwrap();
    let r = n.regional();
    assert_eq!((r[0].name.as_str(), r[0].scope), ("开斋节", Scope::Hui));
    assert_eq!((r[1].name.as_str(), r[1].scope), ("古尔邦节", Scope::All));
    let json = n.holiday_cn_json(&r, &[], true);
    assert!(json.contains("\"scope\": \"hui\""), "{json}");
    let after = NX2021.replace("（星期五）放假，共2天", "（星期五）全区回族职工放假，共2天");
    assert_ne!(after, NX2021);
    assert_eq!(
        parse_notice(&after, None).unwrap().regional()[0].scope,
        Scope::Hui
    );
}

#[test]
fn wrong_weekday_is_an_error_with_its_line() {
    let typo = N2026.replace("1月4日（周日）上班", "1月4日（周一）上班");
    let e = errors(&typo, None);
    assert_eq!(e.len(), 1, "{e:?}");
    let msg = e[0].to_string();
    assert!(
        msg.starts_with("line 6: 2026-01-04 is a Sunday, but the notice says 周一"),
        "{msg}"
    );
    // The wrong year shows up as weekday mismatches everywhere.
    let wrong_year = N2026.replace("2026年", "2027年");
    assert!(errors(&wrong_year, None).len() > 10);
}

#[test]
fn unrecognised_dated_sentence_is_an_error() {
    let extra = N2026.replace("共3天。1月4日", "共3天。1月4日下午提前两小时下班。1月4日");
    let e = errors(&extra, None);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(
        e[0].to_string(),
        "line 6: sentence not understood: 1月4日下午提前两小时下班"
    );
    // Also before the first section.
    let pre = N2026.replace("经国务院批准", "12月1日起经国务院批准");
    assert!(matches!(
        errors(&pre, None)[..],
        [NoticeError::Unrecognised(_)]
    ));
}

#[test]
fn empty_input_and_no_sections() {
    assert_eq!(errors("", None), [NoticeError::Empty]);
    assert_eq!(errors(" \n\u{3000}\r\n", None), [NoticeError::Empty]);
    let e = errors("国务院办公厅关于2027年部分节假日安排的通知", None);
    assert_eq!(e, [NoticeError::NoHolidays]);
}

#[test]
fn stated_count_must_match() {
    let e = errors(&N2026.replace("共9天", "共8天"), None);
    assert_eq!(e[0].to_string(), "line 7: 春节 says 8 days but lists 9");
}

#[test]
fn impossible_and_backwards_dates() {
    let e = errors(&N2026.replace("1月4日（周日）上班", "2月30日上班"), None);
    assert!(
        e[0].to_string().contains("2026-02-30 is not a date"),
        "{e:?}"
    );
    let e = errors(&N2026.replace("5月1日（周五）至5日", "5月5日至1日"), None);
    assert!(
        e.iter().any(|e| e.to_string().contains("runs backwards")),
        "{e:?}"
    );
}

#[test]
fn next_year_ranges_and_scope_values() {
    let text = "关于2026年部分节假日安排的通知：一、元旦：12月31日至次年1月2日放假，共3天。";
    let d = days(text, None);
    assert_eq!(
        d[0].1,
        [date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)]
    );
    let bad = r#"{"year": 2027, "days": [{"name": "开斋节", "date": "2027-03-10", "isOffDay": true, "scope": "some"}]}"#;
    let e = super::WorkCalendar::empty().load_file("x/cn-nx-2027.json", bad);
    assert!(
        e.unwrap_err()
            .to_string()
            .contains("days[0].scope \"some\"")
    );
}
