//! The importer's 完成时限 grammar on real phrases: each phrase → what it became (the rules as the
//! draft writes them, or ongoing / kept as text / TODO) → for dated ones, the first due dates in
//! 2026–2027 from the real planner. Plan year 2026.
//!
//! Phrases: the seed's 完成时限 column (长期坚持), the three public plans in tests/fixtures/plans/
//! and tests/it/phrases.rs, the forms issue 15 names, and common 督办 wording. Dates were worked out
//! by hand on the 2026 State Council notice as in tests/it/phrases.rs (元旦 01-01..03, Sun 01-04
//! make-up; 春节 02-15..23, Sat 02-14 and Sat 02-28 make-up; 清明 04-04..06; 劳动节 05-01..05;
//! 端午 06-19..21; 中秋 09-25..27; 国庆 10-01..07, Sun 09-20 and Sat 10-10 make-up) and plain
//! weekends for 2027; a date on a day off moves to the previous working day unless the rule says
//! otherwise. Events: term starts 03-01 / 09-01, 汛期 06-01, 主汛期 07-16 (the defaults a draft adds).

use dutybell::import::phrase::{Kind, read};
use dutybell::import::phrase_parse::rule_text;
use dutybell::loader::load;
use dutybell::schedule::plan;
use jiff::civil::{Date, date};

const MAIN: &str = "settings:\n  plan: [plan]\n  state_dir: state\nunits:\n  - { name: 县安委办, kind: other }\nchannels:\n  - { id: file, kind: file }\nevents:\n  spring_term_start: { name: 春季开学, default: \"03-01\" }\n  autumn_term_start: { name: 秋季开学, default: \"09-01\" }\n  flood_season: { name: 汛期, default: \"06-01\" }\n  main_flood_season: { name: 主汛期, default: \"07-16\" }\n";

const ONGOING: &str = "ongoing";
const KEPT: &str = "kept as text";
const TODO: &str = "TODO";

/// (phrase, rules joined by `; ` — or ONGOING / KEPT / TODO —, first due dates in 2026–2027).
const TABLE: &[(&str, &str, &[&str])] = &[
    // The seed: every row says 长期坚持.
    ("长期坚持", ONGOING, &[]),
    ("长期", ONGOING, &[]),
    ("常态化开展", ONGOING, &[]),
    ("持续推进", ONGOING, &[]),
    // One date; the year assumed when absent (the report lists it).
    (
        "2027年6月底前",
        "once: { date: \"2027-06-30\" }",
        &["2027-06-30"],
    ),
    (
        "6月30日前",
        "once: { date: \"2026-06-30\" }",
        &["2026-06-30"],
    ),
    (
        "2026年6月30日前完成",
        "once: { date: \"2026-06-30\" }",
        &["2026-06-30"],
    ),
    (
        "2026年10月3日前",
        "once: { date: \"2026-10-03\" }",
        &["2026-09-30"],
    ),
    (
        "10月3日，遇节假日顺延",
        "once: { date: \"2026-10-03\", shift: \"next\" }",
        &["2026-10-08"],
    ),
    (
        "6月11日10时",
        "once: { date: \"2026-06-11\", at: \"10:00\" }",
        &["2026-06-11"],
    ),
    (
        "6月19日上午",
        "once: { date: \"2026-06-19\", at: \"上午\" }",
        &["2026-06-19"],
    ),
    (
        "４月底前完成",
        "once: { date: \"2026-04-30\" }",
        &["2026-04-30"],
    ),
    ("年底前", "once: { date: \"2026-12-31\" }", &["2026-12-31"]),
    (
        "2027年底前",
        "once: { date: \"2027-12-31\" }",
        &["2027-12-31"],
    ),
    ("上半年", "once: { date: \"2026-06-30\" }", &["2026-06-30"]),
    ("下半年", "once: { date: \"2026-12-31\" }", &["2026-12-31"]),
    (
        "2026年上半年完成",
        "once: { date: \"2026-06-30\" }",
        &["2026-06-30"],
    ),
    // Windows in the plan year.
    (
        "3月—5月",
        "campaign: { from: \"03-01\", to: \"05-31\", since: \"2026-03-01\", until: \"2026-05-31\" }",
        &["2026-05-29"],
    ),
    (
        "3月至5月底",
        "campaign: { from: \"03-01\", to: \"05-31\", since: \"2026-03-01\", until: \"2026-05-31\" }",
        &["2026-05-29"],
    ),
    (
        "9月中旬",
        "campaign: { from: \"09-11\", to: \"09-20\", since: \"2026-09-11\", until: \"2026-09-20\" }",
        &["2026-09-20"],
    ),
    (
        "6月",
        "campaign: { from: \"06-01\", to: \"06-30\", since: \"2026-06-01\", until: \"2026-06-30\" }",
        &["2026-06-30"],
    ),
    (
        "6月1日至15日",
        "campaign: { from: \"06-01\", to: \"06-15\", since: \"2026-06-01\", until: \"2026-06-15\" }",
        &["2026-06-15"],
    ),
    (
        "12月20日至次年1月10日",
        "campaign: { from: \"12-20\", to: \"01-10\", since: \"2026-12-20\", until: \"2027-01-10\" }",
        &["2027-01-08"],
    ),
    // Yearly.
    (
        "每年11月30日前完成",
        "yearly: { date: \"11-30\" }",
        &["2026-11-30", "2027-11-30"],
    ),
    (
        "每年3月底前",
        "yearly: { date: \"03-31\" }",
        &["2026-03-31", "2027-03-31"],
    ),
    (
        "每年年底前",
        "yearly: { date: \"12-31\" }",
        &["2026-12-31", "2027-12-31"],
    ),
    (
        "每年6月底前、12月底前",
        "yearly: { date: \"06-30\" }; yearly: { date: \"12-31\" }",
        &["2026-06-30", "2026-12-31", "2027-06-30"],
    ),
    (
        "每年1月10日前报送上年度工作总结",
        "yearly: { date: \"01-10\", covers: \"previous_year\" }",
        &["2026-01-09", "2027-01-08"],
    ),
    (
        "每年至少开展一次",
        "yearly: { date: \"12-31\" }",
        &["2026-12-31", "2027-12-31"],
    ),
    (
        "每年一次",
        "yearly: { date: \"12-31\" }",
        &["2026-12-31", "2027-12-31"],
    ),
    (
        "每年上半年",
        "yearly: { date: \"06-30\" }",
        &["2026-06-30", "2027-06-30"],
    ),
    (
        "每年6月",
        "campaign: { from: \"06-01\", to: \"06-30\" }",
        &["2026-06-30", "2027-06-30"],
    ),
    (
        "每年12月20日至次年1月10日",
        "campaign: { from: \"12-20\", to: \"01-10\" }",
        &["2026-01-09", "2027-01-08"],
    ),
    // Every N years, from the plan year.
    (
        "每两年至少开展一次",
        "every_n_years: { years: 2, anchor: 2026, due: \"12-31\" }",
        &["2027-12-31"],
    ),
    (
        "每两年一次",
        "every_n_years: { years: 2, anchor: 2026, due: \"12-31\" }",
        &["2027-12-31"],
    ),
    (
        "每三年至少组织一次",
        "every_n_years: { years: 3, anchor: 2026, due: \"12-31\" }",
        &[],
    ),
    // Half-yearly, quarterly.
    (
        "每半年一次",
        "half_yearly: { due: \"06-30\" }",
        &["2026-06-30", "2026-12-31", "2027-06-30"],
    ),
    (
        "每季度第一个月20日前",
        "quarterly: { day: 20 }",
        &["2026-01-20", "2026-04-20", "2026-07-20"],
    ),
    (
        "每季度第1个月20日前报送上季度情况",
        "quarterly: { day: 20, covers: \"previous_quarter\" }",
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
        "每季度末",
        QUARTER_ENDS,
        &["2026-03-31", "2026-06-30", "2026-09-30"],
    ),
    (
        "每季度至少一次",
        QUARTER_ENDS,
        &["2026-03-31", "2026-06-30", "2026-09-30"],
    ),
    // Monthly.
    (
        "每月28日前",
        "monthly: { day: 28 }",
        &["2026-01-28", "2026-02-28", "2026-03-27"],
    ),
    (
        "每月25日前",
        "monthly: { day: 25 }",
        &["2026-01-23", "2026-02-25", "2026-03-25"],
    ),
    (
        "每月2日前报送上月数据",
        "monthly: { day: 2, covers: \"previous_month\" }",
        &["2026-01-04", "2026-02-02", "2026-03-02"],
    ),
    (
        "每月10日前报送上一个月工作情况",
        "monthly: { day: 10, covers: \"previous_month\" }",
        &["2026-01-09", "2026-02-10", "2026-03-10"],
    ),
    (
        "每月底前",
        "monthly: { day: -1 }",
        &["2026-01-30", "2026-02-28", "2026-03-31"],
    ),
    (
        "每月月底前",
        "monthly: { day: -1 }",
        &["2026-01-30", "2026-02-28", "2026-03-31"],
    ),
    (
        "每月最后一个工作日",
        "monthly: { day: \"last_workday\" }",
        &["2026-01-30", "2026-02-28", "2026-03-31"],
    ),
    (
        "每月一次",
        "monthly: { day: -1 }",
        &["2026-01-30", "2026-02-28", "2026-03-31"],
    ),
    // Weekly, daily.
    (
        "每周五前",
        "weekly: { weekday: \"fri\" }",
        &["2026-01-09", "2026-01-16", "2026-01-23"],
    ),
    (
        "每周一",
        "weekly: { weekday: \"mon\" }",
        &["2026-01-05", "2026-01-12", "2026-01-19"],
    ),
    (
        "每周一次",
        "weekly: { weekday: \"fri\" }",
        &["2026-01-09", "2026-01-16", "2026-01-23"],
    ),
    (
        "每个工作日",
        "daily: { workdays_only: true }",
        &["2026-01-04", "2026-01-05", "2026-01-06"],
    ),
    (
        "每日",
        "daily: { workdays_only: true }",
        &["2026-01-04", "2026-01-05", "2026-01-06"],
    ),
    // Before statutory holidays (2026 data only: 2027 has no notice yet).
    (
        "元旦春节前",
        "before_holidays: { holidays: [\"元旦\", \"春节\"] }",
        &["2026-02-14"],
    ),
    (
        "五一、国庆前",
        "before_holidays: { holidays: [\"劳动节\", \"国庆节\"] }",
        &["2026-04-30", "2026-09-30"],
    ),
    (
        "节假日前",
        "before_holidays: { holidays: \"all\" }",
        &["2026-02-14", "2026-04-03", "2026-04-30"],
    ),
    (
        "国庆节前",
        "before_holidays: { holidays: [\"国庆节\"] }",
        &["2026-09-30"],
    ),
    (
        "每年国庆节前",
        "before_holidays: { holidays: [\"国庆节\"] }",
        &["2026-09-30"],
    ),
    (
        "中秋国庆前",
        "before_holidays: { holidays: [\"中秋节\", \"国庆节\"] }",
        &["2026-09-24", "2026-09-30"],
    ),
    (
        "端午节前",
        "before_holidays: { holidays: [\"端午节\"] }",
        &["2026-06-18"],
    ),
    // School terms.
    (
        "春秋季开学前后",
        "campaign: { event: \"spring_term_start\", opens: -14, closes: 14 }; campaign: { event: \"autumn_term_start\", opens: -14, closes: 14 }",
        &["2026-03-13", "2026-09-15", "2027-03-15"],
    ),
    (
        "开学前",
        "yearly: { event: \"spring_term_start\", offset: -1 }; yearly: { event: \"autumn_term_start\", offset: -1 }",
        &["2026-02-28", "2026-08-31", "2027-02-26"],
    ),
    (
        "春季开学前",
        "yearly: { event: \"spring_term_start\", offset: -1 }",
        &["2026-02-28", "2027-02-26"],
    ),
    (
        "秋季开学季",
        "campaign: { event: \"autumn_term_start\", opens: -14, closes: 30 }",
        &["2026-09-30", "2027-10-01"],
    ),
    // Flood season.
    (
        "汛期前",
        "yearly: { event: \"flood_season\", offset: -1 }",
        &["2026-05-29", "2027-05-31"],
    ),
    (
        "汛前",
        "yearly: { event: \"flood_season\", offset: -1 }",
        &["2026-05-29", "2027-05-31"],
    ),
    (
        "主汛期",
        "campaign: { event: \"main_flood_season\", opens: 0, closes: 30 }",
        &["2026-08-14", "2027-08-13"],
    ),
    (
        "汛期",
        "campaign: { event: \"flood_season\", opens: 0, closes: 121 }",
        &["2026-09-30", "2027-09-30"],
    ),
    // No date in the source: kept as text, the task stays ongoing.
    ("适时", KEPT, &[]),
    ("按上级要求", KEPT, &[]),
    ("根据工作需要", KEPT, &[]),
    ("不定期", KEPT, &[]),
    ("另行通知", KEPT, &[]),
    // Outside the grammar: never guessed.
    ("按照省市统一部署", TODO, &[]),
    ("每月报送一次日管控、周排查、月调度落实情况", TODO, &[]),
    ("2026–2027年", TODO, &[]),
    ("每年至少开展两次", TODO, &[]),
    ("5.12期间", TODO, &[]),
    ("汛后", TODO, &[]),
    ("全年", TODO, &[]),
    ("6月31日前", TODO, &[]),
    ("1月至次年3月", TODO, &[]),
];

const QUARTER_ENDS: &str = "yearly: { date: \"03-31\", label: \"季度末\" }; yearly: { date: \"06-30\", label: \"季度末\" }; yearly: { date: \"09-30\", label: \"季度末\" }; yearly: { date: \"12-31\", label: \"季度末\" }";

fn first_dues(rules: &[String]) -> Vec<Date> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("dutybell.yaml"), MAIN).expect("write");
    std::fs::create_dir(dir.path().join("plan")).expect("mkdir");
    let lines: String = rules.iter().map(|r| format!("      - {r}\n")).collect();
    let yaml = format!(
        "area: {{ number: 1, title: 测试 }}\ntasks:\n  - id: \"1\"\n    title: 任务\n    lead: 县安委办\n    rules:\n{lines}"
    );
    std::fs::write(dir.path().join("plan/p.yaml"), yaml).expect("write");
    let l = load(&dir.path().join("dutybell.yaml"), date(2026, 1, 1).into())
        .unwrap_or_else(|d| panic!("{rules:?}: {d}"));
    let (from, to) = (date(2026, 1, 1), date(2027, 12, 31));
    let mut dues: Vec<Date> = plan(&l.catalog, &l.calendar, from, to)
        .occurrences
        .iter()
        .filter(|o| o.rule_index.is_some())
        .map(|o| o.due)
        .filter(|d| *d >= from && *d <= to)
        .collect();
    dues.sort();
    dues.dedup();
    dues.truncate(3);
    dues
}

#[test]
fn the_table_has_at_least_sixty_phrases_of_every_kind() {
    assert!(TABLE.len() >= 60, "{} phrases", TABLE.len());
    for k in [ONGOING, KEPT, TODO] {
        assert!(TABLE.iter().any(|(_, e, _)| *e == k), "no {k} phrase");
    }
}

#[test]
fn every_phrase_reads_as_expected_and_plans_its_dates() {
    let mut failures = Vec::new();
    for (phrase, expected, dates) in TABLE {
        let r = read(phrase, 2026);
        let got = match r.kind {
            Kind::Ongoing => ONGOING.to_string(),
            Kind::Kept => KEPT.to_string(),
            Kind::Todo => TODO.to_string(),
            Kind::Empty => "empty".to_string(),
            Kind::Rules => r.rules.iter().map(rule_text).collect::<Vec<_>>().join("; "),
        };
        if got != *expected {
            failures.push(format!("{phrase}: got `{got}`, expected `{expected}`"));
            continue;
        }
        if r.kind != Kind::Rules {
            assert!(dates.is_empty(), "{phrase}: no rules, no dates");
            continue;
        }
        let texts: Vec<String> = r.rules.iter().map(rule_text).collect();
        let dues: Vec<String> = first_dues(&texts).iter().map(Date::to_string).collect();
        if dues != *dates {
            failures.push(format!("{phrase}: dues {dues:?}, expected {dates:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn an_implied_year_is_reported_and_an_explicit_one_is_not() {
    assert_eq!(read("6月30日前", 2027).assumed_year, Some(2027));
    assert_eq!(read("年底前", 2027).assumed_year, Some(2027));
    assert_eq!(read("2026年6月30日前", 2027).assumed_year, None);
    assert_eq!(read("每年6月30日前", 2027).assumed_year, None);
    assert_eq!(read("按上级要求", 2027).assumed_year, None);
    assert_eq!(read("", 2027).kind, Kind::Empty);
}

#[test]
fn the_default_plan_year_is_next_year_in_the_fourth_quarter() {
    use dutybell::import::draft::default_year;
    assert_eq!(default_year(date(2026, 9, 30)), 2026);
    assert_eq!(default_year(date(2026, 10, 1)), 2027);
    assert_eq!(default_year(date(2027, 1, 5)), 2027);
}
