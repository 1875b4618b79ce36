//! Deadline phrases as plans write them → a rule → the first three due dates in 2026–2027.
//!
//! Phrases from the seed (tests 2.2, 4.1, 5.4, 10.2), the three public plans in
//! tests/fixtures/plans/ and common 督办 wording. Every expected date was worked out by hand on the
//! 2026 State Council notice (元旦 01-01..03, Sun 01-04 make-up; 春节 02-15..23, Sat 02-14 and Sat
//! 02-28 make-up; 清明 04-04..06; 劳动节 05-01..05, Sat 05-09 make-up; 端午 06-19..21; 中秋
//! 09-25..27; 国庆 10-01..07, Sun 09-20 and Sat 10-10 make-up; Ningxia 古尔邦节 05-27..28) and
//! plain weekends for 2027 (no notice yet), and cross-checked with a throw-away script.

use dutybell::loader::load;
use dutybell::schedule::plan;
use jiff::civil::{Date, date};

const MAIN: &str = "settings:\n  plan: [plan]\n  state_dir: state\nunits:\n  - { name: 县安委办, kind: other }\nchannels:\n  - { id: file, kind: file }\n";

/// (phrase, rule, first due dates in 2026-01-01 ..= 2027-12-31, at most three).
const TABLE: &[(&str, &str, &[&str])] = &[
    (
        "每年11月30日前完成（种子5.4）",
        "yearly: { date: \"11-30\" }",
        &["2026-11-30", "2027-11-30"],
    ),
    (
        "每两年至少组织一次应急演练（种子10.2）",
        "every_n_years: { years: 2, anchor: 2025, due: \"11-30\" }",
        &["2026-11-30"],
    ),
    (
        "每两年一次，2026–2027年6月底前",
        "every_n_years: { years: 2, anchor: 2026, due: \"06-30\" }",
        &["2027-06-30"],
    ),
    (
        "每月2日前报送上月数据",
        "monthly: { day: 2, covers: previous_month }",
        &["2026-01-04", "2026-02-02", "2026-03-02"],
    ),
    (
        "每月1日前报送上月情况",
        "monthly: { day: 1, covers: previous_month }",
        &["2026-01-04", "2026-02-02", "2026-03-02"],
    ),
    (
        "每月10日前报送上一个月工作情况（成都通知）",
        "monthly: { day: 10, covers: previous_month }",
        &["2026-01-09", "2026-02-10", "2026-03-10"],
    ),
    (
        "每月20日前报送上月统计数据",
        "monthly: { day: 20, covers: previous_month }",
        &["2026-01-20", "2026-02-14", "2026-03-20"],
    ),
    (
        "每月25日前",
        "monthly: { day: 25 }",
        &["2026-01-23", "2026-02-25", "2026-03-25"],
    ),
    (
        "每月15日",
        "monthly: { day: 15 }",
        &["2026-01-15", "2026-02-14", "2026-03-13"],
    ),
    (
        "每月最后一个工作日",
        "monthly: { day: last_workday }",
        &["2026-01-30", "2026-02-28", "2026-03-31"],
    ),
    (
        "每月月底前",
        "monthly: { day: -1 }",
        &["2026-01-30", "2026-02-28", "2026-03-31"],
    ),
    (
        "每月报送一次日管控、周排查、月调度落实情况（种子2.2）",
        "monthly: { day: last_workday, routine: [日管控, 周排查, 月调度] }",
        &["2026-01-30", "2026-02-28", "2026-03-31"],
    ),
    (
        "每月报送一次日管控、周排查落实情况（种子4.1）",
        "monthly: { day: last_workday, routine: [日管控, 周排查] }",
        &["2026-01-30", "2026-02-28", "2026-03-31"],
    ),
    (
        "每季度第1个月20日前报送上季度情况",
        "quarterly: { day: 20, covers: previous_quarter }",
        &["2026-01-20", "2026-04-20", "2026-07-20"],
    ),
    (
        "每季度首月10日前",
        "quarterly: { day: 10 }",
        &["2026-01-09", "2026-04-10", "2026-07-10"],
    ),
    (
        "每季度结束后5个工作日内",
        "quarterly: { workdays_after_end: 5 }",
        &["2026-01-08", "2026-04-08", "2026-07-07"],
    ),
    (
        "每半年一次（6月底、12月底前）",
        "half_yearly: { due: \"06-30\" }",
        &["2026-06-30", "2026-12-31", "2027-06-30"],
    ),
    (
        "每半年一次（5月底、11月底前）",
        "half_yearly: { due: \"05-31\" }",
        &["2026-05-29", "2026-11-30", "2027-05-31"],
    ),
    (
        "每周五",
        "weekly: { weekday: fri }",
        &["2026-01-09", "2026-01-16", "2026-01-23"],
    ),
    (
        "每周一",
        "weekly: { weekday: mon }",
        &["2026-01-05", "2026-01-12", "2026-01-19"],
    ),
    (
        "每个工作日",
        "daily: { workdays_only: true }",
        &["2026-01-04", "2026-01-05", "2026-01-06"],
    ),
    (
        "元旦春节前",
        "before_holidays: { holidays: [元旦, 春节] }",
        &["2026-02-14"],
    ),
    (
        "五一、国庆前",
        "before_holidays: { holidays: [劳动节, 国庆节] }",
        &["2026-04-30", "2026-09-30"],
    ),
    (
        "每年国庆节前",
        "before_holidays: { holidays: [国庆节] }",
        &["2026-09-30"],
    ),
    (
        "节假日前",
        "before_holidays: { holidays: all }",
        &["2026-02-14", "2026-04-03", "2026-04-30"],
    ),
    (
        "6月11日10时",
        "once: { date: 2026-06-11, at: \"10:00\" }",
        &["2026-06-11"],
    ),
    (
        "6月19日上午",
        "once: { date: 2026-06-19, at: 上午 }",
        &["2026-06-19"],
    ),
    (
        "2026年6月30日前完成",
        "once: { date: 2026-06-30 }",
        &["2026-06-30"],
    ),
    (
        "2026年10月3日前",
        "once: { date: 2026-10-03 }",
        &["2026-09-30"],
    ),
    (
        "10月3日，遇节假日顺延",
        "once: { date: 2026-10-03, shift: next }",
        &["2026-10-08"],
    ),
    (
        "每年12月20日至次年1月10日",
        "campaign: { from: \"12-20\", to: \"01-10\" }",
        &["2026-01-09", "2027-01-08"],
    ),
    (
        "每年6月为安全生产月",
        "campaign: { from: \"06-01\", to: \"06-30\" }",
        &["2026-06-30", "2027-06-30"],
    ),
    (
        "5.12期间完成演练（大英县）",
        "campaign: { from: \"05-12\", to: \"05-18\" }",
        &["2026-05-18", "2027-05-18"],
    ),
    (
        "9月中旬完成演练（大英县）",
        "campaign: { from: \"09-11\", to: \"09-20\" }",
        &["2026-09-20", "2027-09-20"],
    ),
    (
        "6月中旬完成演练（大英县）",
        "campaign: { from: \"06-11\", to: \"06-20\" }",
        &["2026-06-18", "2027-06-18"],
    ),
    (
        "4月底前完成方案（大英县）",
        "yearly: { date: \"04-30\" }",
        &["2026-04-30", "2027-04-30"],
    ),
    (
        "5月底前完成方案（大英县）",
        "yearly: { date: \"05-31\" }",
        &["2026-05-29", "2027-05-31"],
    ),
    (
        "8月底前完成方案（大英县）",
        "yearly: { date: \"08-31\" }",
        &["2026-08-31", "2027-08-31"],
    ),
    (
        "每年3月底前",
        "yearly: { date: \"03-31\" }",
        &["2026-03-31", "2027-03-31"],
    ),
    (
        "每年1月10日前报送上年度工作总结",
        "yearly: { date: \"01-10\", covers: previous_year }",
        &["2026-01-09", "2027-01-08"],
    ),
    (
        "每年年底前",
        "yearly: { date: \"12-31\" }",
        &["2026-12-31", "2027-12-31"],
    ),
    (
        "每年7月1日前",
        "yearly: { date: \"07-01\" }",
        &["2026-07-01", "2027-07-01"],
    ),
];

fn first_dues(rule: &str) -> Vec<Date> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("dutybell.yaml"), MAIN).expect("write");
    std::fs::create_dir(dir.path().join("plan")).expect("mkdir");
    let yaml = format!(
        "area: {{ number: 1, title: 测试 }}\ntasks:\n  - id: \"1\"\n    title: 任务\n    lead: 县安委办\n    deadline: ongoing\n    rules:\n      - {rule}\n"
    );
    std::fs::write(dir.path().join("plan/p.yaml"), yaml).expect("write");
    let l = load(&dir.path().join("dutybell.yaml"), date(2026, 1, 1).into())
        .unwrap_or_else(|d| panic!("{rule}: {d}"));
    let (from, to) = (date(2026, 1, 1), date(2027, 12, 31));
    let mut dues: Vec<Date> = plan(&l.catalog, &l.calendar, from, to)
        .occurrences
        .iter()
        .map(|o| o.due)
        .filter(|d| *d >= from && *d <= to)
        .collect();
    dues.sort();
    dues.dedup();
    dues.truncate(3);
    dues
}

#[test]
fn deadline_phrases_give_the_hand_checked_dates() {
    assert!(TABLE.len() >= 40, "{}", TABLE.len());
    let mut wrong = Vec::new();
    for (phrase, rule, want) in TABLE {
        let want: Vec<Date> = want.iter().map(|s| s.parse().expect("date")).collect();
        let got = first_dues(rule);
        if got != want {
            wrong.push(format!("{phrase} ({rule}): got {got:?}, want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
