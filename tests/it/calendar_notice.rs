//! The notice importer on the State Council notices of 2020–2026: the parsed holidays against
//! tables written by hand, the written JSON through the real loader, 2025/2026 against the
//! official embedded data, and `dutybell calendar import-notice` as a real process.
//!
//! Touches only temp directories and the fixtures in `tests/fixtures/notices/`.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use dutybell::calendar::WorkCalendar;
use dutybell::calendar::notice::{Notice, Scope, parse_notice};
use jiff::civil::Date;

use crate::helpers::{bin, repo};

/// One expected holiday: name, days off as `A..B` runs or single days, make-up working days.
type Expected = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// Written by hand from the notices (and the reference notes), not from the parser's output.
const YEARS: [(i16, &[Expected]); 7] = [
    (
        2020,
        &[
            ("元旦", &["2020-01-01"], &[]),
            (
                "春节",
                &["2020-01-24..2020-01-30"],
                &["2020-01-19", "2020-02-01"],
            ),
            ("清明节", &["2020-04-04..2020-04-06"], &[]),
            (
                "劳动节",
                &["2020-05-01..2020-05-05"],
                &["2020-04-26", "2020-05-09"],
            ),
            ("端午节", &["2020-06-25..2020-06-27"], &["2020-06-28"]),
            (
                "国庆节、中秋节",
                &["2020-10-01..2020-10-08"],
                &["2020-09-27", "2020-10-10"],
            ),
        ],
    ),
    (
        2021,
        &[
            ("元旦", &["2021-01-01..2021-01-03"], &[]),
            (
                "春节",
                &["2021-02-11..2021-02-17"],
                &["2021-02-07", "2021-02-20"],
            ),
            ("清明节", &["2021-04-03..2021-04-05"], &[]),
            (
                "劳动节",
                &["2021-05-01..2021-05-05"],
                &["2021-04-25", "2021-05-08"],
            ),
            ("端午节", &["2021-06-12..2021-06-14"], &[]),
            ("中秋节", &["2021-09-19..2021-09-21"], &["2021-09-18"]),
            (
                "国庆节",
                &["2021-10-01..2021-10-07"],
                &["2021-09-26", "2021-10-09"],
            ),
        ],
    ),
    (
        2022,
        &[
            ("元旦", &["2022-01-01..2022-01-03"], &[]),
            (
                "春节",
                &["2022-01-31..2022-02-06"],
                &["2022-01-29", "2022-01-30"],
            ),
            ("清明节", &["2022-04-03..2022-04-05"], &["2022-04-02"]),
            (
                "劳动节",
                &["2022-04-30..2022-05-04"],
                &["2022-04-24", "2022-05-07"],
            ),
            ("端午节", &["2022-06-03..2022-06-05"], &[]),
            ("中秋节", &["2022-09-10..2022-09-12"], &[]),
            (
                "国庆节",
                &["2022-10-01..2022-10-07"],
                &["2022-10-08", "2022-10-09"],
            ),
        ],
    ),
    (
        2023,
        &[
            ("元旦", &["2022-12-31..2023-01-02"], &[]),
            (
                "春节",
                &["2023-01-21..2023-01-27"],
                &["2023-01-28", "2023-01-29"],
            ),
            ("清明节", &["2023-04-05"], &[]),
            (
                "劳动节",
                &["2023-04-29..2023-05-03"],
                &["2023-04-23", "2023-05-06"],
            ),
            ("端午节", &["2023-06-22..2023-06-24"], &["2023-06-25"]),
            (
                "中秋节、国庆节",
                &["2023-09-29..2023-10-06"],
                &["2023-10-07", "2023-10-08"],
            ),
        ],
    ),
    (
        2024,
        &[
            ("元旦", &["2024-01-01"], &[]),
            (
                "春节",
                &["2024-02-10..2024-02-17"],
                &["2024-02-04", "2024-02-18"],
            ),
            ("清明节", &["2024-04-04..2024-04-06"], &["2024-04-07"]),
            (
                "劳动节",
                &["2024-05-01..2024-05-05"],
                &["2024-04-28", "2024-05-11"],
            ),
            ("端午节", &["2024-06-10"], &[]),
            ("中秋节", &["2024-09-15..2024-09-17"], &["2024-09-14"]),
            (
                "国庆节",
                &["2024-10-01..2024-10-07"],
                &["2024-09-29", "2024-10-12"],
            ),
        ],
    ),
    (
        2025,
        &[
            ("元旦", &["2025-01-01"], &[]),
            (
                "春节",
                &["2025-01-28..2025-02-04"],
                &["2025-01-26", "2025-02-08"],
            ),
            ("清明节", &["2025-04-04..2025-04-06"], &[]),
            ("劳动节", &["2025-05-01..2025-05-05"], &["2025-04-27"]),
            ("端午节", &["2025-05-31..2025-06-02"], &[]),
            (
                "国庆节、中秋节",
                &["2025-10-01..2025-10-08"],
                &["2025-09-28", "2025-10-11"],
            ),
        ],
    ),
    (
        2026,
        &[
            ("元旦", &["2026-01-01..2026-01-03"], &["2026-01-04"]),
            (
                "春节",
                &["2026-02-15..2026-02-23"],
                &["2026-02-14", "2026-02-28"],
            ),
            ("清明节", &["2026-04-04..2026-04-06"], &[]),
            ("劳动节", &["2026-05-01..2026-05-05"], &["2026-05-09"]),
            ("端午节", &["2026-06-19..2026-06-21"], &[]),
            ("中秋节", &["2026-09-25..2026-09-27"], &[]),
            (
                "国庆节",
                &["2026-10-01..2026-10-07"],
                &["2026-09-20", "2026-10-10"],
            ),
        ],
    ),
];

fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo().join("tests/fixtures/notices").join(name)).unwrap()
}

fn days(spec: &[&str]) -> Vec<Date> {
    let mut out = Vec::new();
    for s in spec {
        let (a, b) = s.split_once("..").unwrap_or((s, s));
        let (a, b): (Date, Date) = (a.parse().unwrap(), b.parse().unwrap());
        out.extend(a.series(jiff::Span::new().days(1)).take_while(|d| *d <= b));
    }
    out
}

fn parse(year: i16) -> Notice {
    let text = fixture(&format!("{year}.txt"));
    parse_notice(&text, None).unwrap_or_else(|e| panic!("{year}: {e:?}"))
}

#[test]
fn notices_2020_to_2026_match_the_hand_written_tables() {
    for (year, expected) in YEARS {
        let n = parse(year);
        assert_eq!(n.year, year);
        let title = format!("国务院办公厅关于{year}年部分节假日安排的通知");
        assert_eq!(n.title.as_deref(), Some(title.as_str()));
        assert!(n.issued.is_some_and(|d| d.year() == year - 1), "{year}");
        let got: Vec<_> = n
            .holidays
            .iter()
            .map(|h| (h.name.as_str(), h.off.clone(), h.workdays.clone()))
            .collect();
        let want: Vec<_> = expected
            .iter()
            .map(|(name, off, work)| (*name, days(off), days(work)))
            .collect();
        assert_eq!(got, want, "{year}");
        assert!(n.holidays.iter().all(|h| h.scope == Scope::All));
        // The written file loads through the real loader and says the same.
        let json = n.holiday_cn_json(&n.all(), &[title], false);
        let mut cal = WorkCalendar::empty();
        cal.load_file(&format!("x/{year}.json"), &json).unwrap();
        assert_eq!(cal.covered_years(), [year]);
        for (name, off, work) in &want {
            for d in off {
                assert!(!cal.is_workday(*d), "{d} {name}");
            }
            for d in work {
                assert!(cal.is_workday(*d), "{d} {name}");
            }
        }
    }
    // 2024's 除夕 sentence only encourages; it changes no day.
    let n = parse(2024);
    assert_eq!(n.advisories.len(), 1);
    assert!(n.advisories[0].text.contains("除夕(2月9日)"));
}

/// date → (name, off) of a holiday-cn file.
fn entries(json: &str) -> BTreeMap<String, (String, bool)> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap().to_string();
            (s("date"), (s("name"), d["isOffDay"].as_bool().unwrap()))
        })
        .collect()
}

#[test]
fn notices_2025_and_2026_equal_the_official_data() {
    for year in [2025, 2026] {
        let n = parse(year);
        let ours = entries(&n.holiday_cn_json(&n.all(), &[], false));
        let official =
            std::fs::read_to_string(repo().join(format!("data/calendar/{year}.json"))).unwrap();
        assert_eq!(ours, entries(&official), "{year}");
    }
}

#[test]
fn ningxia_notice_keeps_only_the_regional_days() {
    let n = parse_notice(&fixture("cn-nx-2021.txt"), None).unwrap();
    let regional: Vec<_> = n
        .regional()
        .iter()
        .map(|h| (h.name.as_str(), h.off.clone(), h.scope))
        .collect();
    assert_eq!(
        regional,
        [
            ("开斋节", days(&["2021-05-13..2021-05-14"]), Scope::All),
            ("古尔邦节", days(&["2021-07-19..2021-07-20"]), Scope::All),
        ]
    );
    let json = n.holiday_cn_json(&n.regional(), &["test".into()], true);
    assert!(json.contains("\"scope\": \"all\""), "{json}");
    let mut cal = WorkCalendar::empty();
    cal.load_file("x/cn-nx-2021.json", &json).unwrap();
    assert!(
        cal.covered_years().is_empty(),
        "an overlay never covers a year"
    );
    assert!(!cal.is_workday(Date::constant(2021, 5, 13)));
}

fn import(args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(bin())
        .args(["calendar", "import-notice"])
        .args(args)
        .env_remove("DUTYBELL_CONFIG")
        .env_remove("DUTYBELL_NOW")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

#[test]
fn import_notice_writes_a_file_the_loader_reads() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("2026.json");
    let fixture = repo().join("tests/fixtures/notices/2026.txt");
    let args = [
        fixture.to_str().unwrap(),
        "--yes",
        "--out",
        out.to_str().unwrap(),
    ];
    let r = import(&args, "");
    let stdout = String::from_utf8_lossy(&r.stdout);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(
        stdout.contains("春节") && stdout.contains("2026-02-14 Sat"),
        "{stdout}"
    );
    let json = std::fs::read_to_string(&out).unwrap();
    let mut cal = WorkCalendar::empty();
    cal.load_file(out.to_str().unwrap(), &json).unwrap();
    assert_eq!(cal.covered_years(), [2026]);
    let official = std::fs::read_to_string(repo().join("data/calendar/2026.json")).unwrap();
    assert_eq!(entries(&json), entries(&official));

    // A second run refuses to overwrite without --force.
    let r = import(&args, "");
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--force"));
    let forced = [&args[..], &["--force"]].concat();
    assert_eq!(import(&forced, "").status.code(), Some(0));

    // Without --yes, only `y` on stdin writes.
    let other = dir.path().join("other.json");
    let ask = [fixture.to_str().unwrap(), "--out", other.to_str().unwrap()];
    assert_eq!(import(&ask, "n\n").status.code(), Some(1));
    assert!(!other.exists());
    assert_eq!(import(&ask, "y\n").status.code(), Some(0));
    assert!(other.exists());
}

#[test]
fn import_notice_rejects_a_bad_notice_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("2026.json");
    let text = fixture("2026.txt").replace("1月4日（周日）上班", "1月4日（周一）上班");
    let r = import(&["-", "--yes", "--out", out.to_str().unwrap()], &text);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("line 6") && stderr.contains("周一"),
        "{stderr}"
    );
    assert!(!out.exists());
}
